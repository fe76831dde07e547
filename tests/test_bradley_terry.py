"""Bradley-Terry ranking (`autoj.stats.bradley_terry`): known strengths recovered, intervals,
style control, both-order noise, separability; and on the 20 public AlpacaEval 2 models."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from scipy.stats import spearmanr
from tests.conftest import shared_file

from autoj.stats.bradley_terry import Battle, Strength, rank, separability, style_counts

REF = "ref"


def _battles(win_rates: dict[str, float], n: int = 300, seed: int = 0) -> list[Battle]:
    """Each model against the reference on n instructions, winning with the given probability."""
    rng = np.random.default_rng(seed)
    return [
        Battle(model, REF, f"q{i}", float(rng.random() < rate))
        for model, rate in win_rates.items()
        for i in range(n)
    ]


def test_scores_are_win_rates_against_the_reference_with_intervals() -> None:
    battles = _battles({"strong": 0.8, "even": 0.5, "weak": 0.2})
    ranking = rank(battles, REF, rounds=60, seed=1)
    scores = ranking.by_model()
    assert ranking.strengths[0].model == "strong"
    assert scores[REF].score == 50.0 and scores[REF].ci_low is None
    for model in ("strong", "even", "weak"):
        observed = 100 * np.mean([b.outcome for b in battles if b.model_a == model])
        assert scores[model].score == pytest.approx(observed, abs=0.1)  # the ridge moves nothing
        assert scores[model].ci_low < scores[model].score < scores[model].ci_high
        assert 3 < scores[model].ci_high - scores[model].ci_low < 15  # ~ 2 x 1.96 x sqrt(pq/n)
    assert ranking.separability == 1.0
    again = rank(battles, REF, rounds=60, seed=1)
    assert again.strengths == ranking.strengths  # seeded


def test_head_to_head_battles_inform_the_scale() -> None:
    """A model never judged against the reference still gets a score through its battles."""
    rng = np.random.default_rng(3)
    battles = _battles({"a": 0.5}, n=200)
    battles += [Battle("b", "a", f"q{i}", float(rng.random() < 0.73)) for i in range(200)]
    scores = rank(battles, REF, rounds=40).by_model()
    assert scores["b"].score > 65  # b beats a, who is level with the reference


def test_undefeated_model_gets_a_finite_score() -> None:
    scores = rank(_battles({"perfect": 1.0, "x": 0.4}), REF, rounds=20).by_model()
    assert 99 < scores["perfect"].score < 100 and np.isfinite(scores["perfect"].ci_low)


def test_both_order_disagreements_widen_the_interval() -> None:
    """Two orders that disagree are resampled: a judge that flips with the order is noisier than
    one that calls every pair a tie, though both average 50."""
    flips = [Battle("m", REF, f"q{i}", o) for i in range(200) for o in (1.0, 0.0)]
    ties = [Battle("m", REF, f"q{i}", 0.5) for i in range(200) for _ in range(2)]
    noisy = rank(flips, REF, rounds=80).by_model()["m"]
    fixed = rank(ties, REF, rounds=80).by_model()["m"]
    assert noisy.score == pytest.approx(50, abs=0.01) and fixed.score == pytest.approx(50, abs=0.01)
    assert fixed.ci_high - fixed.ci_low < 0.01
    assert noisy.ci_high - noisy.ci_low > 3


def test_style_control_removes_a_win_bought_by_length() -> None:
    """Two models of the reference's quality whose wins follow length alone: one is mostly longer,
    the other mostly shorter. Raw, they are apart; with length as a control both are near 50."""
    battles = []
    for model, n_long in (("verbose", 420), ("terse", 180)):
        for i in range(600):
            longer = i < n_long
            position = i if longer else i - n_long
            won = float(position < (0.8 * n_long if longer else 0.2 * (600 - n_long)))
            text = "word " * (200 if longer else 18)
            battles.append(Battle(model, REF, f"q{i}", won, text, "word " * 60))
    raw = rank(battles, REF, rounds=20).by_model()
    controlled = rank(battles, REF, style=True, rounds=20)
    assert raw["verbose"].score > 57 and raw["terse"].score < 43
    for model in ("verbose", "terse"):
        assert controlled.by_model()[model].score == pytest.approx(50, abs=1)
    assert controlled.style_weights["length"] > 0.5


def test_style_counts_follow_arena_hard() -> None:
    text = "# Title\n## Sub\n1. one\n- two\n* three\n**bold** and __also__\n"
    text += "```\n# not a header\n- nor a list\n```"
    length, headers, lists, bold = style_counts(text)
    assert (headers, lists, bold) == (2, 3, 2)
    assert length == len(text)


def test_separability_counts_pairs_apart() -> None:
    strengths = [Strength("a", 70, 65, 75), Strength("b", 60, 55, 66), Strength("c", 40, 35, 45)]
    assert separability(strengths) == pytest.approx(2 / 3)
    assert separability(strengths[:1]) is None


LEADERBOARD = "alpaca_eval/leaderboards/data_AlpacaEval_2__weighted_alpaca_eval_gpt4_turbo_leaderboard.csv"


@pytest.mark.data
def test_bradley_terry_on_the_public_alpacaeval_models() -> None:
    """On the 20 public models against GPT-4 Turbo the BT order is the published win-rate order
    and most pairs are separable."""
    from autoj.evaluate import load_annotation_groups

    folder = shared_file("alpaca_eval/annotations")
    with shared_file(LEADERBOARD).open(newline="", encoding="utf-8") as handle:
        published = {row[""]: float(row["win_rate"]) for row in csv.DictReader(handle)}
    groups = load_annotation_groups(sorted(folder.glob("*.json.gz")), name_from="file")
    battles = [
        Battle(c.model, c.reference, c.key, c.preference - 1.0)
        for comparisons in groups.values()
        for c in comparisons
        if c.preference is not None
    ]
    ranking = rank(battles, battles[0].model_b, rounds=30)
    models = [s for s in ranking.strengths if s.model != ranking.reference]
    assert len(models) == 20
    assert spearmanr([s.score for s in models], [published[s.model] for s in models]).statistic > 0.99
    for s in models:  # against the reference alone, the BT score is the win rate
        assert s.score == pytest.approx(published[s.model], abs=0.05), s.model
    assert ranking.separability is not None and ranking.separability > 0.7
