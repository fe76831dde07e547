"""Evaluate's per-item `outcome` column (model won / reference won / tie) tells the board's story:
counted as the win rate counts it, from one definition (stats/winrate.py)."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from tests.conftest import shared_file

from autoj import results_frame
from autoj.errors import AutojError
from autoj.stats.winrate import head_to_head, model_outcome, preference_of
from autoj.types import Verdict


def _autoj(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoj", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A real `autoj evaluate` (fake judge, both orders) of two AlpacaEval models against the reference."""
    outputs = shared_file("alpaca_eval/model_outputs/gpt4_1106_preview.json.gz").parent
    folder = tmp_path_factory.mktemp("outcome")
    done = _autoj(
        "evaluate",
        outputs / "alpaca-7b.json.gz",
        outputs / "zephyr-7b-beta.json.gz",
        "-r",
        outputs / "gpt4_1106_preview.json.gz",
        "-j",
        "fake",
        "--limit",
        "40",
        "--no-scenarios",
        "--no-ranking",
        "-o",
        "eval.jsonl",
        "--leaderboard",
        "board.csv",
        cwd=folder,
    )
    assert done.returncode == 0, done.stderr
    return folder / "eval.jsonl", folder / "board.csv"


def test_the_outcomes_add_up_to_the_boards_win_rate(evaluated: tuple[Path, Path]) -> None:
    results, board = evaluated
    frame = results_frame(results)
    assert list(frame.columns[:6]) == [
        "id",
        "item.meta.model",
        "item.scenario",
        "verdict",
        "outcome",
        "swapped_verdict_mapped_back",
    ]
    with board.open(encoding="utf-8") as handle:
        rows = {row["model"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"alpaca-7b", "zephyr-7b-beta"} == set(frame["item.meta.model"])
    for model, row in rows.items():
        counts = Counter(frame.loc[frame["item.meta.model"] == model, "outcome"].dropna())
        assert counts["model won"] == int(row["n_wins"])
        assert counts["reference won"] == int(row["n_wins_base"])
        assert counts["tie"] == int(row["n_draws"])
        n = sum(counts.values())
        assert n == int(row["n_total"]) == 40
        assert (counts["model won"] + counts["tie"] / 2) / n * 100 == pytest.approx(float(row["win_rate"]))
    assert set(frame["outcome"]) == {"model won", "reference won", "tie"}
    # the model's output is Response 2 of each pair (`item.meta.reference_side` is response_1)
    assert set(frame["item.meta.reference_side"]) == {"response_1"}
    assert set(frame.loc[frame["outcome"] == "model won", "verdict"]) == {"response_2"}
    assert set(frame.loc[frame["outcome"] == "reference won", "verdict"]) == {"response_1"}


def test_export_writes_the_outcome_beside_the_verdict(evaluated: tuple[Path, Path]) -> None:
    results, _ = evaluated
    out = results.parent / "eval.csv"
    done = _autoj("export", results, "-o", out, cwd=results.parent)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out, keep_default_na=False)
    assert list(table.columns) == list(results_frame(results).columns)
    assert list(table["outcome"]) == list(results_frame(results)["outcome"])


def test_compare_results_have_no_outcome(tmp_path: Path) -> None:
    pairs = Path(__file__).resolve().parents[1] / "examples" / "pairs.jsonl"
    done = _autoj("compare", pairs, "-j", "fake", "--no-cache", "-o", "r.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "outcome" not in results_frame(tmp_path / "r.jsonl").columns


def test_outcomes_round_continuous_preferences_as_the_counts_do() -> None:
    """AlpacaEval 2's own judge gives probabilities: each item's outcome and the published counts
    come from the same rounding (exact 1.5 a tie)."""
    path = shared_file("alpaca_eval/annotations/alpaca-7b.weighted_alpaca_eval_gpt4_turbo.json.gz")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        preferences = [row["preference"] for row in json.load(handle)]
    counts = Counter(o for o in map(model_outcome, preferences) if o is not None)
    figures = head_to_head(preferences)
    assert (counts["model won"], counts["reference won"], counts["tie"]) == (
        figures.n_wins,
        figures.n_wins_base,
        figures.n_draws,
    )
    assert figures.discrete_win_rate == pytest.approx(
        (counts["model won"] + counts["tie"] / 2) / figures.n_total * 100
    )
    assert [model_outcome(p) for p in (2.0, 1.51, 1.5, 0, 1.49, 1.0, None)] == [
        "model won",
        "model won",
        "tie",
        "tie",
        "reference won",
        "reference won",
        None,
    ]


def test_the_reference_side_decides_whose_win_a_verdict_is() -> None:
    assert preference_of(Verdict.RESPONSE_2) == preference_of(Verdict.RESPONSE_2, "response_1") == 2.0
    assert preference_of(Verdict.RESPONSE_2, "response_2") == 1.0
    assert preference_of(Verdict.TIE, "response_2") == 1.5
    with pytest.raises(AutojError, match=r"reference_side 'left'.*response_1 or response_2"):
        preference_of(Verdict.RESPONSE_1, "left")
