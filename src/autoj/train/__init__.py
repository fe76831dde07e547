"""Fine-tuning a judge on the pipeline's SFT data (TRL; LoRA through PEFT): `autoj train`.

Needs the `train` extra (torch, transformers, trl, peft, datasets); importing this package does
not import them.
"""

from autoj.train.config import LoraSettings, TrainConfig
from autoj.train.data import sft_rows
from autoj.train.sft import TrainSummary, build_trainer, train

__all__ = ["LoraSettings", "TrainConfig", "TrainSummary", "build_trainer", "sft_rows", "train"]
