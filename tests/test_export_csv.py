"""`autoj export RESULTS -o X.csv`: a flat CSV that leads with what people read, never overwriting."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from autoj import results_frame

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _autoj(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoj", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    done = _autoj(
        "compare",
        EXAMPLES / "pairs.jsonl",
        "-j",
        "fake",
        "--both-orders",
        "--no-cache",
        "-o",
        "r.jsonl",
        cwd=folder,
    )
    assert done.returncode == 0, done.stderr
    return folder / "r.jsonl"


def test_the_csv_leads_with_the_columns_people_read(results: Path) -> None:
    out = results.parent / "r.csv"
    done = _autoj("export", results, "-o", out, cwd=results.parent)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out, keep_default_na=False)
    records = [json.loads(line) for line in results.read_text().splitlines()]
    # the order of `autoj.results_frame` (its leading columns: tests/test_frames.py), provenance last
    assert list(table.columns) == list(results_frame(results).columns)
    assert table.columns[-1].startswith("provenance.") and "swapped.verdict" in table.columns
    assert list(table["id"]) == [r["id"] for r in records]
    assert list(table["verdict"]) == [r["verdict"] for r in records]
    assert list(table["item.human_label"]) == [r["item"]["human_label"] or "" for r in records]
    assert list(table["judgment.critique"]) == [r["judgment"]["critique"] for r in records]
    # lists are JSON in their cell, so they read back as they were
    assert [json.loads(c) for c in table["provenance.prompt_sha256"]] == [
        r["provenance"]["prompt_sha256"] for r in records
    ]


def test_an_existing_file_or_the_input_is_never_replaced(results: Path) -> None:
    out = results.parent / "mine.csv"
    out.write_text("my own data\n")
    kept = _autoj("export", results, "-o", out, cwd=results.parent)
    assert kept.returncode == 2 and "--overwrite" in kept.stderr and str(out) in kept.stderr
    assert out.read_text() == "my own data\n"
    before = results.read_bytes()
    refused = _autoj("export", results, "-o", results, "--overwrite", cwd=results.parent)
    assert refused.returncode == 2 and "input" in refused.stderr and "Traceback" not in refused.stderr
    assert results.read_bytes() == before
    replaced = _autoj("export", results, "-o", out, "--overwrite", cwd=results.parent)
    assert replaced.returncode == 0, replaced.stderr
    assert out.read_text().startswith("id,item.scenario,verdict,")


def test_an_empty_results_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    done = _autoj("export", empty, "-o", tmp_path / "e.csv", cwd=tmp_path)
    assert done.returncode == 2 and "no results" in done.stderr
    assert not (tmp_path / "e.csv").exists()


def test_a_file_that_is_not_results_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("query,response\nWhat is 2+2?,4\n", encoding="utf-8")
    for given, what in ((data, "not JSON"), (EXAMPLES / "pairs.jsonl", "no 'item' field")):
        done = _autoj("export", given, "-o", tmp_path / "x.csv", cwd=tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.strip().splitlines() == [
            f"error: {given}:1: {what}, so not an autoj results file: give the results JSONL that a run "
            "wrote with -o (compare, rate, evaluate, bench)"
        ]
        assert not (tmp_path / "x.csv").exists()


def test_a_results_file_damaged_after_good_lines_is_a_failed_run(results: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_bytes(results.read_bytes() + b"{cut by hand\n")
    done = _autoj("export", damaged, "-o", tmp_path / "x.csv", cwd=tmp_path)
    lines = len(results.read_bytes().splitlines())
    assert done.returncode == 1 and f"{damaged}:{lines + 1}: not JSON" in done.stderr, done.stderr
    assert not (tmp_path / "x.csv").exists()
