"""`autoj train` on the CPU with a tiny Llama built here from a config (no download): the prompt is
masked out of the loss, the loss falls, and the saved checkpoint loads back and judges."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("trl")
pytest.importorskip("peft")
torch = pytest.importorskip("torch")

from autoj.backends import backend_entries  # noqa: E402
from autoj.protocols import AutoJProtocol  # noqa: E402
from autoj.protocols.families.autoj import llama2_wrap  # noqa: E402
from autoj.train import LoraSettings, TrainConfig, build_trainer, train  # noqa: E402
from autoj.train.tiny import make_tiny_llama  # noqa: E402
from autoj.types import GenerationParams, PairItem  # noqa: E402

TARGET = (
    "1. The key factors to distinguish these two responses:\n- correctness: Response 1 is right.\n\n"
    "2. The final decision:\n\nSo, the final decision is Response 1."
)


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    # Two threads on a shared 2-core machine are ten times slower than one for a model this small.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """SFT data in the pipeline's export format, and a tiny Llama + byte-level BPE tokenizer."""
    root = tmp_path_factory.mktemp("tiny")
    protocol = AutoJProtocol()
    rows = []
    for n in range(8):
        item = PairItem(f"What is {n} plus {n}?", f"It is {2 * n}.", f"It is {2 * n + 1}.")
        rows.append({"prompt": llama2_wrap(protocol.pairwise_message(item)), "completion": " " + TARGET})
    data = root / "sft.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")

    base = make_tiny_llama(
        [r["prompt"] + r["completion"] for r in rows], root / "tiny-llama", max_positions=1024
    )
    return data, base


def test_paper_defaults() -> None:
    config = TrainConfig(data="d", base_model="m", output_dir="o")
    assert (config.learning_rate, config.lr_scheduler_type, config.warmup_ratio) == (1e-5, "cosine", 0.03)
    assert (config.adam_beta1, config.adam_beta2, config.weight_decay) == (0.9, 0.95, 0.1)
    assert config.max_length == 4096
    assert config.total_steps(rows=800) == 100  # 800 rows / (1 x 8) per step
    assert config.warmup_steps(rows=800) == 3


def test_only_the_judgment_is_in_the_loss(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    data, base = tiny
    trainer, rows = build_trainer(TrainConfig(data=str(data), base_model=str(base), output_dir=str(tmp_path)))
    example = trainer.train_dataset[0]
    batch = trainer.data_collator([example])
    labels = batch["labels"][0].tolist()
    ids = example["input_ids"]
    tokenizer = trainer.processing_class
    prompt_len = len(
        tokenizer(
            llama2_wrap(
                AutoJProtocol().pairwise_message(PairItem("What is 0 plus 0?", "It is 0.", "It is 1."))
            )
        ).input_ids
    )
    assert rows == 8
    assert all(label == -100 for label in labels[:prompt_len])
    learned = [label for label in labels if label != -100]
    assert learned == ids[prompt_len:]
    assert tokenizer.decode(learned).strip() == TARGET + tokenizer.eos_token


def test_a_few_steps_lower_the_loss_and_the_checkpoint_judges(
    tiny: tuple[Path, Path], tmp_path: Path
) -> None:
    data, base = tiny
    out = tmp_path / "tiny-autoj"
    summary = train(
        TrainConfig(
            data=str(data),
            base_model=str(base),
            output_dir=str(out),
            learning_rate=5e-3,
            max_steps=60,
            per_device_batch_size=4,
            gradient_accumulation_steps=1,
        )
    )
    assert summary.steps == 60 and len(summary.losses) == 60
    assert summary.losses[-1] < 0.25 * summary.losses[0]
    item = PairItem("What is 3 plus 3?", "It is 6.", "It is 7.")
    if "hf" in {entry.name for entry in backend_entries()}:
        from autoj.run.judge import Judge

        judge = Judge(f"hf:{out}", protocol="autoj", params=GenerationParams(max_new_tokens=60))
        judgment = judge.compare(item.query, item.response_1, item.response_2).judgment
    else:  # the hf backend is not in this installation: generate with transformers directly
        from transformers import AutoModelForCausalLM, AutoTokenizer

        model, tokenizer = AutoModelForCausalLM.from_pretrained(out), AutoTokenizer.from_pretrained(out)
        inputs = tokenizer(AutoJProtocol().pairwise_prompt(item).text, return_tensors="pt")
        generated = model.generate(**inputs, max_new_tokens=60, do_sample=False)
        text = str(tokenizer.decode(generated[0][inputs.input_ids.shape[1] :], skip_special_tokens=True))
        judgment = AutoJProtocol().parse_pairwise(text)
    assert judgment.ok, judgment.raw
    assert judgment.verdict is not None and judgment.verdict.label == 0


def test_lora_trains_adapters_and_saves_a_merged_model(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM

    data, base = tiny
    out = tmp_path / "lora"
    summary = train(
        TrainConfig(
            data=str(data),
            base_model=str(base),
            output_dir=str(out),
            learning_rate=1e-2,
            max_steps=8,
            per_device_batch_size=4,
            gradient_accumulation_steps=1,
            lora=LoraSettings(r=8, alpha=16),
        )
    )
    assert summary.lora and summary.losses[-1] < summary.losses[0]
    merged = AutoModelForCausalLM.from_pretrained(out)
    assert not any("lora" in name for name, _ in merged.named_parameters())
    original = AutoModelForCausalLM.from_pretrained(base)
    changed = [
        name
        for (name, p), (_, q) in zip(merged.named_parameters(), original.named_parameters(), strict=True)
        if not torch.equal(p, q)
    ]
    assert changed and all("embed" not in name for name in changed)
