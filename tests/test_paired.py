"""Paired comparison (`autoj.stats.paired`, `autoj evaluate --paired`): checked against a paired
bootstrap written here independently, on real public annotations (a near tie and a clear gap),
and through the CLI on judged runs and annotation files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import shared_file
from tests.test_evaluate_run import autoj, outputs_file

from autoj.evaluate import load_annotation_groups
from autoj.evaluate.decisions import paired_table
from autoj.stats.paired import MIN_N, paired_figures

ANNOTATIONS = "alpaca_eval/annotations"
FIELDS = {"model_a", "model_b", "difference", "ci_low", "ci_high", "p_value", "n"}


def _independent(
    a: np.ndarray, b: np.ndarray, rounds: int = 4000, seed: int = 7
) -> tuple[float, float, float]:
    """Paired bootstrap by hand: resample instruction indices, both models' values together."""
    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(a), size=(rounds, len(a)))
    means = (a[index] - b[index]).mean(axis=1) * 100
    return float((a - b).mean() * 100), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def _wins(model: str) -> dict[str, float]:
    folder = shared_file(ANNOTATIONS)
    groups = load_annotation_groups([folder / f"{model}.weighted_alpaca_eval_gpt4_turbo.json.gz"], "file")
    return {c.key: c.preference - 1.0 for c in groups[model] if c.preference is not None}


@pytest.mark.data
@pytest.mark.parametrize(
    ("first", "second", "tie"),
    [
        ("gpt-3.5-turbo-1106", "gpt4_0613_concise", True),  # raw win rates 9.18 and 9.40
        ("claude-2.1", "alpaca-7b", False),  # 15.73 and 2.59
    ],
)
def test_paired_figures_match_an_independent_bootstrap(first: str, second: str, tie: bool) -> None:
    wins_a, wins_b = _wins(first), _wins(second)
    shared = [k for k in wins_a if k in wins_b]
    a = np.array([wins_a[k] for k in shared])
    b = np.array([wins_b[k] for k in shared])
    difference, low, high = _independent(a, b)
    figures = paired_figures(100 * (a - b), seed=0)
    assert figures.n == len(shared) == 805
    assert figures.difference == pytest.approx(difference, abs=1e-9)
    assert figures.ci_low == pytest.approx(low, abs=0.3) and figures.ci_high == pytest.approx(high, abs=0.3)
    assert figures.p_value is not None
    if tie:
        assert low < 0 < high and figures.ci_low < 0 < figures.ci_high and figures.p_value > 0.3
    else:
        assert low > 5 and figures.ci_low > 5 and figures.p_value < 0.001
    again = paired_figures(100 * (a - b), seed=0)
    assert again == figures  # seeded


def test_few_instructions_are_n_too_small_and_a_constant_gap_has_no_spread() -> None:
    few = paired_figures(np.array([10.0, -5.0, 20.0]))
    assert few.difference == pytest.approx(25 / 3) and few.ci_low is None and few.p_value is None
    assert few.note == "n too small" and few.n == 3
    assert MIN_N == 10
    same = paired_figures(np.zeros(20))
    assert (same.difference, same.ci_low, same.ci_high, same.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_sign_flip_p_value_is_exact_for_small_n() -> None:
    """Ten differences, nine positive: the exact two-sided sign-flip p-value counts the 2^10
    sign patterns whose mean is at least as far from zero."""
    values = np.array([3.0, 1, 4, 1, 5, 9, 2, 6, 5, -3])
    signs = np.array(np.meshgrid(*[[-1, 1]] * 10)).reshape(10, -1).T
    means = (signs * values).mean(axis=1)
    exact = float(np.mean(np.abs(means) >= abs(values.mean()) - 1e-12))
    assert paired_figures(values).p_value == pytest.approx(exact, abs=1e-9)


def test_cli_paired_on_a_judged_run_names_the_reference_side(tmp_path: Path) -> None:
    ref = outputs_file(tmp_path / "ref.json", "base", "The reference answer")
    a = outputs_file(tmp_path / "a.json", "model-a", "Answer of model A")
    b = outputs_file(tmp_path / "b.json", "model-b", "B says")
    results = tmp_path / "r.jsonl"
    done = autoj(
        "evaluate", str(a), str(b), "--reference", str(ref), "-j", "fake", "--no-scenarios",
        "-o", str(results), "--paired", "--json", "--bootstrap-rounds", "20",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    pairs = payload["paired"]
    assert [(p["model_a"], p["model_b"], p["via"]) for p in pairs] == [
        ("model-a", "base", "direct"),
        ("model-b", "base", "direct"),
        ("model-a", "model-b", "reference"),
    ]
    assert all(set(p) >= FIELDS and p["reference"] == "base" for p in pairs)
    assert all(p["n"] == 12 and p["ci_low"] <= p["difference"] <= p["ci_high"] for p in pairs)
    rows = {r["model"]: r for r in payload["leaderboard"]}
    assert all(r["bt_ci_low"] <= r["bt_score"] <= r["bt_ci_high"] for r in rows.values())
    assert payload["ranking"]["reference"] == "base"
    lines = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    assert lines and all(line["item"]["meta"]["reference_side"] == "response_1" for line in lines)
    assert all(line["item"]["response_1"].startswith("The reference answer") for line in lines)
    shown = autoj(
        "evaluate", str(a), str(b), "--reference", str(ref), "-j", "fake", "--no-scenarios",
        "-o", str(results), "--paired", "--bootstrap-rounds", "20",
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "paired differences" in shown.stdout and "Bradley-Terry ranking" in shown.stdout


@pytest.mark.data
def test_paired_table_on_public_annotations_is_first_minus_second() -> None:
    folder = shared_file(ANNOTATIONS)
    names = ("claude-2.1", "alpaca-7b")
    groups = load_annotation_groups(
        [folder / f"{m}.weighted_alpaca_eval_gpt4_turbo.json.gz" for m in names], name_from="file"
    )
    table = paired_table(groups)
    direct = {p.model_a: p for p in table if p.via == "direct"}
    assert direct["claude-2.1"].difference == pytest.approx(15.73 - 50, abs=0.01)  # published win rate
    (pair,) = [p for p in table if p.via == "reference"]
    assert (pair.model_a, pair.model_b) == names
    assert pair.difference == pytest.approx(15.73 - 2.59, abs=0.02) and pair.reference == "gpt4_1106_preview"


def test_paired_on_a_rate_run_is_refused_before_judging(tmp_path: Path) -> None:
    a = outputs_file(tmp_path / "a.json", "model-a", "Answer")
    out = tmp_path / "r.jsonl"
    done = autoj("evaluate", str(a), "--mode", "rate", "-j", "fake", "-o", str(out), "--paired")
    assert done.returncode == 2 and "--paired" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()
