"""`autoj train`: fine-tune a judge on the pipeline's SFT data (full weights or LoRA)."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from autoj.cli.main import app
from autoj.train.config import LoraSettings, TrainConfig


class TemplateOpt(str, Enum):
    autoj = "autoj"
    chat = "chat"


@app.command("train")
def train_cmd(
    data: Annotated[Path, typer.Argument(help="SFT JSONL from `autoj pipeline export`")],
    base: Annotated[str, typer.Option("--base", help="base causal LM: a local path or a hub name")],
    output: Annotated[Path, typer.Option("--output", "-o", help="where the fine-tuned judge is saved")],
    lora: Annotated[bool, typer.Option("--lora", help="train LoRA adapters (merged when saved)")] = False,
    lora_r: Annotated[int, typer.Option(help="LoRA rank")] = 16,
    lora_alpha: Annotated[int, typer.Option(help="LoRA alpha")] = 32,
    no_merge: Annotated[bool, typer.Option("--no-merge", help="save the LoRA adapters unmerged")] = False,
    lr: Annotated[float, typer.Option("--lr", help="peak learning rate (paper: 1e-5)")] = 1e-5,
    epochs: Annotated[float, typer.Option(help="passes over the data")] = 1.0,
    max_steps: Annotated[int | None, typer.Option(help="stop after N optimiser steps")] = None,
    batch_size: Annotated[int, typer.Option(help="rows per device per step")] = 1,
    grad_accum: Annotated[int, typer.Option(help="gradient accumulation steps")] = 8,
    max_length: Annotated[int, typer.Option(help="sequence length (paper: 4096)")] = 4096,
    template: Annotated[
        TemplateOpt,
        typer.Option(help="autoj: raw [INST] prompts (as Auto-J); chat: the base's chat template"),
    ] = TemplateOpt.autoj,
    gradient_checkpointing: Annotated[bool, typer.Option(help="trade compute for memory")] = False,
    seed: Annotated[int, typer.Option(help="training seed")] = 0,
) -> None:
    """Fine-tune a judge (SFT, loss on the judgment only) with the paper's optimiser defaults."""
    from autoj.train.sft import train

    config = TrainConfig(
        data=str(data),
        base_model=base,
        output_dir=str(output),
        learning_rate=lr,
        max_length=max_length,
        epochs=epochs,
        max_steps=max_steps,
        per_device_batch_size=batch_size,
        gradient_accumulation_steps=grad_accum,
        template="chat" if template is TemplateOpt.chat else "autoj",
        lora=LoraSettings(r=lora_r, alpha=lora_alpha, merge=not no_merge) if lora else None,
        gradient_checkpointing=gradient_checkpointing,
        seed=seed,
    )
    summary = train(config)
    typer.echo(json.dumps(summary.to_dict(), indent=2))
