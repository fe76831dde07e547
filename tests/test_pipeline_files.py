"""The pipeline end to end over files: every stage, resumption, dry run, and the CLI."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from typer.testing import CliRunner

from autoj.backends import FakeBackend
from autoj.pipeline import files
from autoj.pipeline.records import read_samples, write_samples
from autoj.pipeline.teacher import TeacherProtocol
from autoj.pipeline.teacher_run import run_teacher
from autoj.protocols import AutoJProtocol
from autoj.protocols.families.autoj import llama2_wrap
from autoj.run.judge import Judge
from autoj.types import Prompt

QUESTIONS = [
    "How do I boil an egg?",
    "Why is the sky blue?",
    "What is a prime?",
    "Name a fruit.",
    "How far is the moon?",
    "Is it safe to eat raw flour?",
]


def _hh_file(path: Path) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for n, question in enumerate(QUESTIONS):
            prefix = f"\n\nHuman: {question}"
            row = {
                "chosen": f"{prefix}\n\nAssistant: good answer {n}",
                "rejected": f"{prefix}\n\nAssistant: bad {n}",
            }
            handle.write(json.dumps(row) + "\n")
        handle.write(
            json.dumps(
                {"chosen": "\n\nHuman: x\n\nAssistant: same", "rejected": "\n\nHuman: x\n\nAssistant: same"}
            )
            + "\n"
        )
    return path


def _teacher_script(prompt: Prompt) -> str:
    """Prefers the response that says 'good', except on the raw-flour question (disagrees) and the
    moon question (writes no verdict)."""
    user = prompt.messages[-1].content
    if "moon" in user:
        return "Both are fine I guess."
    first_is_good = "[Response 1]: good" in user
    if "flour" in user:
        first_is_good = not first_is_good
    better = "Response 1" if first_is_good else "Response 2"
    worse = "Response 2" if first_is_good else "Response 1"
    return (
        "1. The key factors to distinguish these two responses:\n"
        f"- helpfulness: {better} answers the question; {worse} does not.\n\n"
        f"2. The final decision:\n\nSo, the final decision is {better}."
    )


def test_pipeline_over_files(tmp_path: Path) -> None:
    source = _hh_file(tmp_path / "hh.jsonl.gz")
    ingest = files.ingest_file(source, tmp_path / "pairs.jsonl", "hh")
    assert (ingest["pairs"], ingest["skipped"]) == (6, {"identical_responses": 1})
    assert files.ingest_file(source, tmp_path / "pairs.jsonl", "hh")["up_to_date"] is True
    files.classify_file(tmp_path / "pairs.jsonl", tmp_path / "cls.jsonl", fallback="others")
    bal = files.balance_file(tmp_path / "cls.jsonl", tmp_path / "bal.jsonl", cap=100)
    assert bal["after"] == 6

    dry = files.teacher_file(tmp_path / "bal.jsonl", tmp_path / "teacher.jsonl", "fake", dry_run=True)
    assert dry["dry_run"] is True and dry["before"]["samples"] == 6
    assert not (tmp_path / "teacher.jsonl").exists()

    backend = FakeBackend(script=_teacher_script)
    judge = Judge(backend, protocol=TeacherProtocol())
    samples = read_samples(tmp_path / "bal.jsonl")
    first = run_teacher(judge, samples[:3], tmp_path / "teacher.jsonl", progress=False)
    assert first["after"]["judged_now"] == 3
    # An interrupted run resumes: only the missing samples are sent to the teacher.
    judge = Judge(FakeBackend(script=_teacher_script), protocol=TeacherProtocol())
    second = run_teacher(judge, samples, tmp_path / "teacher.jsonl", progress=False)
    assert (second["after"]["judged_now"], second["after"]["already_done"]) == (3, 3)
    assert len(judge.backend.calls) == 3  # type: ignore[attr-defined]
    assert second["before"]["samples"] == 6 and second["after"]["prompt_tokens"] > 0

    kept = files.filter_file(tmp_path / "teacher.jsonl", tmp_path / "kept.jsonl")
    assert kept["kept"] == {"pairwise": 4}
    assert kept["dropped"] == {"disagreement": 1, "parse_failure": 1}
    # Only the current samples, when the teacher file also remembers earlier ones.
    write_samples(tmp_path / "two.jsonl", samples[:2])
    only = files.filter_file(
        tmp_path / "teacher.jsonl", tmp_path / "kept2.jsonl", samples=tmp_path / "two.jsonl"
    )
    assert only["input"] == 2

    dist = files.distil_file(tmp_path / "kept.jsonl", tmp_path / "distilled.jsonl")
    assert dist["by_kind_augmentation"] == {"pairwise/none": 4, "pairwise/swap": 4}
    out = files.export_file([tmp_path / "distilled.jsonl"], tmp_path / "sft.jsonl", "prompt-completion")
    assert out["rows"] == 8
    rows = [json.loads(line) for line in (tmp_path / "sft.jsonl").read_text().splitlines()]
    protocol = AutoJProtocol()
    for row in rows:
        verdict = protocol.parse_pairwise(row["completion"]).verdict
        good_first = "[Response 1]: good" in row["prompt"]
        assert verdict is not None and verdict.label == (0 if good_first else 1)
        assert row["prompt"].startswith("[INST] You are assessing two submitted responses")
        assert "criteria" not in row["prompt"].lower()


def test_pipeline_cli_chain(tmp_path: Path) -> None:
    from autoj.cli import pipeline_cmds  # noqa: F401  (registers the sub-app)
    from autoj.cli.main import app

    source = _hh_file(tmp_path / "hh.jsonl.gz")
    runner = CliRunner()
    steps = [
        ["ingest", str(source), "-f", "hh", "-o", f"{tmp_path}/a.jsonl"],
        [
            "classify",
            f"{tmp_path}/a.jsonl",
            "-o",
            f"{tmp_path}/b.jsonl",
            "--no-classifier",
            "--fallback",
            "others",
        ],
        ["balance", f"{tmp_path}/b.jsonl", "-o", f"{tmp_path}/c.jsonl", "--cap", "4", "--seed", "3"],
        [
            "teacher",
            f"{tmp_path}/c.jsonl",
            "-o",
            f"{tmp_path}/d.jsonl",
            "-j",
            "fake",
            "--max-new-tokens",
            "200",
        ],
        ["filter", f"{tmp_path}/d.jsonl", "-o", f"{tmp_path}/e.jsonl"],
        ["distill", f"{tmp_path}/e.jsonl", "-o", f"{tmp_path}/f.jsonl"],
        ["export", f"{tmp_path}/f.jsonl", "-o", f"{tmp_path}/g.jsonl", "-f", "messages"],
    ]
    reports = []
    for step in steps:
        result = runner.invoke(app, ["pipeline", *step])
        assert result.exit_code == 0, result.output
        reports.append(json.loads(result.output))
    assert reports[2]["after"] == 4
    assert sum(reports[4]["kept"].values()) + sum(reports[4]["dropped"].values()) == 4
    rerun = runner.invoke(app, ["pipeline", *steps[3]])
    assert json.loads(rerun.output)["after"]["judged_now"] == 0
    rows = [json.loads(line) for line in (tmp_path / "g.jsonl").read_text().splitlines()]
    assert all(row["messages"][0]["role"] == "user" for row in rows)
    assert llama2_wrap(rows[0]["messages"][0]["content"]).startswith("[INST] You are assessing")


def test_cli_reports_a_bad_field_mapping(tmp_path: Path) -> None:
    from autoj.cli import pipeline_cmds  # noqa: F401
    from autoj.cli.main import app

    source = tmp_path / "pairs.jsonl"
    source.write_text(json.dumps({"instruction": "q", "a": "x", "b": "y", "label": "win"}) + "\n")
    runner = CliRunner()
    bad = runner.invoke(app, ["pipeline", "ingest", str(source), "-f", "pairs", "-o", f"{tmp_path}/o.jsonl"])
    assert bad.exit_code != 0
    assert "pairs.jsonl:1 field 'prompt'" in str(bad.exception)
    good = runner.invoke(
        app,
        [
            "pipeline",
            "ingest",
            str(source),
            "-f",
            "pairs",
            "-o",
            f"{tmp_path}/o.jsonl",
            "--field",
            "query=instruction",
            "--field",
            "response_1=a",
            "--field",
            "response_2=b",
        ],
    )
    assert good.exit_code == 0, good.output
    assert json.loads(good.output)["labels"] == {"response_1": 1}
