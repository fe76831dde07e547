"""Supervised fine-tuning of a judge with TRL: full weights or LoRA (PEFT), loss on the judgment only.

Any causal LM that transformers loads can be the base. The prompt tokens are masked out of the
loss (TRL's completion-only loss on prompt/completion rows), so the model learns to write
judgments, not to repeat queries. Imports of torch/transformers/TRL happen here only, so the rest
of autoj works without the `train` extra.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autoj.errors import MissingExtraError
from autoj.train.config import TrainConfig
from autoj.train.data import sft_rows


def require_train_extra() -> None:
    for module in ("torch", "transformers", "trl", "datasets"):
        if importlib.util.find_spec(module) is None:
            raise MissingExtraError("autoj train", "train", module)


@dataclass
class TrainSummary:
    """What a run did: steps, the logged training losses in order, where the checkpoint is."""

    output_dir: str
    rows: int
    steps: int
    warmup_steps: int
    losses: list[float] = field(default_factory=list)
    lora: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "output_dir": self.output_dir,
            "rows": self.rows,
            "steps": self.steps,
            "warmup_steps": self.warmup_steps,
            "lora": self.lora,
            "first_loss": self.losses[0] if self.losses else None,
            "last_loss": self.losses[-1] if self.losses else None,
            "losses": [round(x, 4) for x in self.losses],
        }


def sft_config(config: TrainConfig, rows: int) -> Any:
    """The TRL SFTConfig for a run: the paper's optimiser settings and completion-only loss."""
    import torch
    from trl import SFTConfig

    bf16 = config.bf16
    if bf16 is None:
        bf16 = bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    options: dict[str, Any] = {
        "output_dir": config.output_dir,
        "learning_rate": config.learning_rate,
        "lr_scheduler_type": config.lr_scheduler_type,
        "warmup_steps": config.warmup_steps(rows),
        "adam_beta1": config.adam_beta1,
        "adam_beta2": config.adam_beta2,
        "weight_decay": config.weight_decay,
        "optim": "adamw_torch",
        "max_length": config.max_length,
        "num_train_epochs": config.epochs,
        "max_steps": config.max_steps if config.max_steps is not None else -1,
        "per_device_train_batch_size": config.per_device_batch_size,
        "gradient_accumulation_steps": config.gradient_accumulation_steps,
        "completion_only_loss": True,
        "packing": False,
        "bf16": bf16,
        "logging_steps": config.logging_steps,
        "save_strategy": "no",
        "report_to": "none",
        "seed": config.seed,
        "disable_tqdm": True,
    }
    if config.gradient_checkpointing:
        options["gradient_checkpointing"] = True
    options.update(config.extra)
    return SFTConfig(**options)


def lora_config(config: TrainConfig) -> Any:
    if config.lora is None:
        return None
    if importlib.util.find_spec("peft") is None:
        raise MissingExtraError("LoRA training", "train", "peft")
    from peft import LoraConfig

    target = config.lora.target_modules
    return LoraConfig(
        r=config.lora.r,
        lora_alpha=config.lora.alpha,
        lora_dropout=config.lora.dropout,
        target_modules=target if isinstance(target, str) else list(target),
        task_type="CAUSAL_LM",
    )


def build_trainer(config: TrainConfig) -> tuple[Any, int]:
    """An SFTTrainer ready to train, and the number of training rows."""
    require_train_extra()
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTTrainer

    rows = sft_rows(config.data, config.template)
    tokenizer = AutoTokenizer.from_pretrained(config.base_model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(config.base_model)
    trainer = SFTTrainer(
        model=model,
        args=sft_config(config, len(rows)),
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=lora_config(config),
    )
    return trainer, len(rows)


def save_checkpoint(trainer: Any, config: TrainConfig) -> None:
    """A checkpoint that loads like any causal LM (LoRA merged by default) with its tokenizer."""
    output = Path(config.output_dir)
    model = trainer.model
    if config.lora is not None and config.lora.merge:
        model = model.merge_and_unload()
    model.save_pretrained(output)
    trainer.processing_class.save_pretrained(output)


def train(config: TrainConfig) -> TrainSummary:
    """Fine-tune `config.base_model` on `config.data` and save the judge to `config.output_dir`."""
    trainer, rows = build_trainer(config)
    result = trainer.train()
    save_checkpoint(trainer, config)
    losses = [float(entry["loss"]) for entry in trainer.state.log_history if "loss" in entry]
    return TrainSummary(
        output_dir=config.output_dir,
        rows=rows,
        steps=int(result.global_step),
        warmup_steps=config.warmup_steps(rows),
        losses=losses,
        lora=config.lora is not None,
    )
