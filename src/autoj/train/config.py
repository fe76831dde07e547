"""Fine-tuning settings; the defaults are the Auto-J paper's (arXiv 2310.05470, section 4.1).

lr 1e-5 with cosine decay and 3% warm-up, AdamW with betas (0.9, 0.95) and weight decay 0.1,
sequence length 4,096. Epochs and batch size depend on the data and the hardware and are the
user's to choose.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Template = Literal["autoj", "chat"]


@dataclass(frozen=True)
class LoraSettings:
    """PEFT LoRA adapters on every linear layer; merged into the base weights after training."""

    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: str | tuple[str, ...] = "all-linear"
    merge: bool = True


@dataclass(frozen=True)
class TrainConfig:
    """One SFT run: data, base model, output, and the optimiser schedule."""

    data: str
    base_model: str
    output_dir: str
    learning_rate: float = 1e-5
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = 0.03
    adam_beta1: float = 0.9
    adam_beta2: float = 0.95
    weight_decay: float = 0.1
    max_length: int = 4096
    epochs: float = 1.0
    max_steps: int | None = None
    per_device_batch_size: int = 1
    gradient_accumulation_steps: int = 8
    template: Template = "autoj"
    lora: LoraSettings | None = None
    bf16: bool | None = None  # None: on when the GPU supports it
    gradient_checkpointing: bool = False
    logging_steps: int = 1
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # passed to SFTConfig as given

    def total_steps(self, rows: int) -> int:
        """Optimiser steps of the run (what the warm-up ratio is taken of)."""
        if self.max_steps is not None:
            return self.max_steps
        per_step = self.per_device_batch_size * self.gradient_accumulation_steps
        return max(1, math.ceil(math.ceil(rows / per_step) * self.epochs))

    def warmup_steps(self, rows: int) -> int:
        return math.ceil(self.warmup_ratio * self.total_steps(rows))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
