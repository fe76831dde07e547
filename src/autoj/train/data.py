"""Reading the pipeline's SFT files into rows a TRL SFTTrainer trains on, loss on the judgment only.

Both export formats are accepted. With the `autoj` template (the default) every row becomes raw
Llama-2 text, `[INST] message [/INST]` + ` judgment`, exactly what Auto-J was trained and is
prompted with; with `chat` the base model's own chat template is applied by TRL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autoj.errors import AutojError
from autoj.pipeline.records import read_jsonl
from autoj.protocols.families.autoj import llama2_wrap
from autoj.train.config import Template


def sft_rows(path: str | Path, template: Template = "autoj") -> list[dict[str, Any]]:
    """Prompt/completion rows (TRL's format for completion-only loss) from an exported SFT file."""
    rows: list[dict[str, Any]] = []
    for number, data in read_jsonl(path):
        rows.append(_row(data, template, f"{path}:{number}"))
    if not rows:
        raise AutojError(f"{path}: no training rows")
    return rows


def _row(data: dict[str, Any], template: Template, where: str) -> dict[str, Any]:
    if "prompt" in data and "completion" in data:
        prompt, completion = data["prompt"], data["completion"]
        if not isinstance(prompt, str) or not isinstance(completion, str):
            raise AutojError(f"{where}: prompt and completion must be text")
        if template == "chat":
            raise AutojError(f"{where}: the chat template needs the `messages` export format")
        return {"prompt": prompt, "completion": completion}
    messages = data.get("messages")
    if not isinstance(messages, list) or len(messages) < 2:
        raise AutojError(f"{where}: expected `prompt`/`completion` or a `messages` list")
    *context, answer = messages
    if not isinstance(answer, dict) or answer.get("role") != "assistant":
        raise AutojError(f"{where}: the last message must be the assistant's judgment")
    if template == "chat":
        return {"prompt": context, "completion": [answer]}
    users = [m for m in context if isinstance(m, dict) and m.get("role") == "user"]
    if len(users) != 1 or len(context) != 1:
        raise AutojError(f"{where}: the autoj template takes exactly one user message (no system)")
    return {"prompt": llama2_wrap(str(users[0]["content"])), "completion": " " + str(answer["content"])}
