"""Length control for one model alone: the shipped AlpacaEval 2 difficulty, the prior for other
judges, and "n/a" with its reason where nothing can be estimated (never 50.00 +- 0.00)."""

from __future__ import annotations

import csv
import json

import pytest
from tests.conftest import shared_file

from autoj.evaluate import load_annotation_groups, score_groups
from autoj.evaluate.comparisons import Comparison
from autoj.evaluate.difficulty import DifficultyError, prepare_length_control
from autoj.evaluate.shipped_difficulty import DATA_FILE, instruction_hash, shipped

LEADERBOARD = "alpaca_eval/leaderboards/data_AlpacaEval_2__weighted_alpaca_eval_gpt4_turbo_leaderboard.csv"


def test_the_shipped_file_says_how_it_was_made() -> None:
    values = shipped()
    assert len(values.by_hash) == 805 and len(values.models) == 20
    assert values.judge == "weighted_alpaca_eval_gpt4_turbo" and values.reference == "gpt4_1106_preview"
    assert "scripts/make_alpaca_eval_difficulty.py" in values.about
    assert -3 < values.length_slope < 0  # the judge prefers the longer output
    assert DATA_FILE.stat().st_size < 64_000
    assert json.loads(DATA_FILE.read_text(encoding="utf-8"))["difficulty"]


def _own(model: str, n: int, instruction=lambda i: f"my task {i}") -> list[Comparison]:
    return [
        Comparison(
            model, "base", f"k{i}", instruction(i), "r" * (50 + i), "m" * (40 + 3 * i), 1.0 + (i % 3) / 2
        )
        for i in range(n)
    ]


def test_own_instructions_with_fewer_than_three_models_give_no_lc_and_say_why() -> None:
    groups = {"a": _own("a", 60), "b": _own("b", 60)}
    setup = prepare_length_control(groups, {"a": 50, "b": 50}, difficulty="estimate")
    assert setup.difficulty is None and setup.unavailable is not None
    assert "3 or more models" in setup.unavailable and "got 2" in setup.unavailable
    rows = score_groups(groups, difficulty="estimate", classify=False)
    assert all(r.length_controlled_winrate is None and r.lc_standard_error is None for r in rows)
    assert all(r.lc_method.startswith("n/a: needs instruction difficulty") for r in rows)
    with pytest.raises(DifficultyError, match="805 instructions only"):
        prepare_length_control(groups, {}, difficulty="shipped")


@pytest.mark.data
def test_another_judge_on_alpacaeval_instructions_gets_the_shipped_prior() -> None:
    folder = shared_file("alpaca_eval/annotations")
    comparisons = load_annotation_groups([folder / "alpaca-7b.weighted_alpaca_eval_gpt4_turbo.json.gz"])
    own = {
        "mine": [
            Comparison("mine", "base", c.key, c.instruction, c.reference_output, c.model_output, c.preference)
            for c in next(iter(comparisons.values()))
        ]
    }
    setup = prepare_length_control(own, {"mine": 3.0}, difficulty="estimate", judge="my-judge")
    assert setup.difficulty is not None and setup.unavailable is None
    assert "as a prior for this judge" in setup.source and "not regularised" in setup.source
    key = own["mine"][0].key
    assert setup.difficulty[key] == shipped().by_hash[instruction_hash(own["mine"][0].instruction)]


@pytest.mark.data
@pytest.mark.parametrize(
    ("model", "tolerance"),
    [("claude-2.1", 2.5), ("gpt-3.5-turbo-1106", 1.5), ("FuseChat-Gemma-2-9B-Instruct", 0.5)],
)
def test_one_public_model_alone_gets_the_published_lc(model: str, tolerance: float) -> None:
    """Evaluated alone, as one new model is: the shipped difficulty stands in for the others."""
    folder = shared_file("alpaca_eval/annotations")
    with shared_file(LEADERBOARD).open(newline="", encoding="utf-8") as handle:
        published = {r[""]: float(r["length_controlled_winrate"]) for r in csv.DictReader(handle)}
    groups = load_annotation_groups(
        [folder / f"{model}.weighted_alpaca_eval_gpt4_turbo.json.gz"], name_from="file"
    )
    row = score_groups(groups, difficulty="shipped", classify=False)[0]
    assert row.length_controlled_winrate == pytest.approx(published[model], abs=tolerance)
    assert row.lc_standard_error is not None and row.lc_standard_error > 0.3
    assert "shipped AlpacaEval 2 difficulty" in row.lc_method
    auto = score_groups(groups, difficulty="auto", classify=False)[0]  # the hub, else the same values
    assert auto.length_controlled_winrate == pytest.approx(published[model], abs=tolerance)
