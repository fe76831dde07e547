"""Stage 7, export: training samples as SFT files that TRL and other trainers read.

- `messages`: {"messages": [{"role": "user", ...}, {"role": "assistant", ...}]}, for trainers
  that apply the base model's chat template;
- `prompt-completion`: {"prompt": "[INST] ... [/INST]", "completion": " judgment"}, Auto-J's own
  raw Llama-2 format; trainers compute the loss on the completion only.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, Literal

from autoj.pipeline.distill import TrainingSample
from autoj.protocols.families.autoj import llama2_wrap

ExportFormat = Literal["messages", "prompt-completion"]
EXPORT_FORMATS: tuple[str, ...] = ("messages", "prompt-completion")


def sft_row(sample: TrainingSample, fmt: ExportFormat) -> dict[str, Any]:
    """One SFT row; the completion starts with the space that follows `[/INST]` in Llama-2 chat."""
    if fmt == "messages":
        return {
            "messages": [
                {"role": "user", "content": sample.message},
                {"role": "assistant", "content": sample.target},
            ],
            "id": sample.id,
        }
    return {"prompt": llama2_wrap(sample.message), "completion": " " + sample.target, "id": sample.id}


def export_rows(
    samples: Sequence[TrainingSample], fmt: ExportFormat, shuffle_seed: int | None = None
) -> list[dict[str, Any]]:
    """All rows, optionally in a seeded shuffled order (so a pair and its swap are not adjacent)."""
    order = list(samples)
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(order)
    return [sft_row(s, fmt) for s in order]
