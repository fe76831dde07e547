"""The whole data-construction pipeline on real data, then a tiny training run on its output.

Pairs: HH-RLHF harmless-base test (human chosen/rejected); singles: Auto-J's released single-response
training rows. Never the Eval-P test pairs. The teacher defaults to the embedded CPU model, a weak
stand-in: the point is the mechanics (counts per stage, drop reasons, swap augmentation, resume).

    .venv/bin/python benchmarks/pipeline_real_run.py --out /tmp/autoj-pipeline-run --pairs 30 --singles 30

Re-running resumes: finished stages are skipped and the teacher judges only what is missing.
Prints a JSON summary (also written to OUT/summary.json); asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from autoj.cli.options import judge_config
from autoj.data.datadir import data_path, missing_data_message
from autoj.errors import AutojError
from autoj.pipeline import files
from autoj.pipeline.distill import TrainingSample
from autoj.pipeline.records import read_jsonl
from autoj.pipeline.scenario_support import shipped_classifier

HH = "hh_rlhf/harmless-base_test.jsonl.gz"
SINGLES = "autoj/training/single_traindata.jsonl"


def _need(relative: str) -> Path:
    path = data_path(relative)
    if path is None:
        sys.exit(missing_data_message(relative))
    return path


def _classifier() -> Any:
    try:
        return shipped_classifier()
    except AutojError as exc:
        print(f"no scenario classifier ({exc}); pairs fall back to 'others'", file=sys.stderr)
        return None


def _swap_example(distilled: Path) -> dict[str, Any] | None:
    samples = [TrainingSample.from_dict(d) for _, d in read_jsonl(distilled)]
    by_id = {s.id: s for s in samples}
    for sample in samples:
        if sample.augmentation == "swap" and sample.source_id in by_id:
            original = by_id[sample.source_id]
            return {
                "id": original.id,
                "before": {"prompt_head": _data_part(original.message), "judgment": original.target},
                "after": {"prompt_head": _data_part(sample.message), "judgment": sample.target},
            }
    return None


def _data_part(message: str, width: int = 400) -> str:
    start = message.find("[Response 1]")
    return message[start : start + width] + ("..." if len(message) > start + width else "")


def _round_trip(distilled: Path, source: Path) -> dict[str, int]:
    """Distilled single samples vs the released `usrmsg` of the row they came from."""
    rows = {f"{source.name.split('.')[0]}:{n}": d for n, d in read_jsonl(source)}
    equal = checked = 0
    for _, data in read_jsonl(distilled):
        sample = TrainingSample.from_dict(data)
        row = rows.get(sample.source_id)
        if row is not None:
            checked += 1
            equal += sample.message == row["usrmsg"]
    return {"checked": checked, "byte_equal": equal}


def _train(sft: Path, out: Path, steps: int) -> dict[str, Any]:
    import torch

    from autoj.train import TrainConfig, train
    from autoj.train.tiny import make_tiny_llama

    torch.set_num_threads(1)  # a tiny model on a shared 2-core machine: one thread is fastest
    texts = [row["prompt"] + row["completion"] for _, row in read_jsonl(sft)]
    base = make_tiny_llama(texts, out / "tiny-base", vocab_size=2000)
    config = TrainConfig(
        data=str(sft),
        base_model=str(base),
        output_dir=str(out / "tiny-judge"),
        learning_rate=5e-3,
        max_steps=steps,
        per_device_batch_size=2,
        gradient_accumulation_steps=1,
        max_length=2048,
    )
    started = time.perf_counter()
    summary = train(config).to_dict()
    summary["elapsed_s"] = round(time.perf_counter() - started, 1)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "autoj-pipeline-run")
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--singles", type=int, default=30)
    parser.add_argument("--judge", default="llamacpp")
    parser.add_argument("--max-new-tokens", type=int, default=192)
    parser.add_argument("--single-copies", type=int, default=2)
    parser.add_argument("--train-steps", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    hh, singles = _need(HH), _need(SINGLES)
    report: dict[str, Any] = {"judge": args.judge, "max_new_tokens": args.max_new_tokens}
    judge = judge_config(args.judge, max_new_tokens=args.max_new_tokens)
    stages: dict[str, Any] = {}

    stages["ingest_pairs"] = files.ingest_file(hh, out / "pairs.jsonl", "hh", seed=args.seed)
    stages["ingest_singles"] = files.ingest_file(singles, out / "singles.jsonl", "autoj-single")
    predict = _classifier()
    stages["classify_pairs"] = files.classify_file(
        out / "pairs.jsonl", out / "pairs.cls.jsonl", predict, "shipped", fallback="others"
    )
    stages["classify_singles"] = files.classify_file(
        out / "singles.jsonl", out / "singles.cls.jsonl", None, fallback="others"
    )
    for kind, total in (("pairs", args.pairs), ("singles", args.singles)):
        stages[f"balance_{kind}"] = files.balance_file(
            out / f"{kind}.cls.jsonl", out / f"{kind}.bal.jsonl", cap=100, seed=args.seed, total=total
        )
        stages[f"teacher_{kind}_dry_run"] = files.teacher_file(
            out / f"{kind}.bal.jsonl",
            out / f"{kind}.teacher.jsonl",
            judge,
            dry_run=True,
        )
        stages[f"teacher_{kind}"] = files.teacher_file(
            out / f"{kind}.bal.jsonl",
            out / f"{kind}.teacher.jsonl",
            judge,
            progress=False,
        )
        stages[f"filter_{kind}"] = files.filter_file(
            out / f"{kind}.teacher.jsonl", out / f"{kind}.kept.jsonl", samples=out / f"{kind}.bal.jsonl"
        )
        stages[f"distill_{kind}"] = files.distil_file(
            out / f"{kind}.kept.jsonl", out / f"{kind}.distilled.jsonl", single_copies=args.single_copies
        )
    distilled = [out / "pairs.distilled.jsonl", out / "singles.distilled.jsonl"]
    stages["export_prompt_completion"] = files.export_file(distilled, out / "sft.jsonl", "prompt-completion")
    stages["export_messages"] = files.export_file(distilled, out / "sft.messages.jsonl", "messages")
    report["stages"] = stages
    report["swap_example"] = _swap_example(out / "pairs.distilled.jsonl")
    report["round_trip_singles"] = _round_trip(out / "singles.distilled.jsonl", singles)
    if stages["export_prompt_completion"]["rows"] == 0:
        report["tiny_training"] = "skipped: no sample survived the filter (see the drop reasons)"
    elif args.train_steps > 0:
        report["tiny_training"] = _train(out / "sft.jsonl", out, args.train_steps)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    (out / "summary.json").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
