"""Arena-Hard-Auto v0.1's score, computed exactly as its authors' `show_result.py` computes it.

`autoj.stats.bradley_terry.rank` is autoj's own Bradley-Terry board ranking (a ridge, resampled
instructions); this module reproduces the published v0.1 numbers instead (lmarena/arena-hard-auto
as of its 2024-07 leaderboard), step for step:

- each judgment's two games become battles between the baseline (always `model_a`) and the model;
  a strong verdict (`A>>B` / `B>>A`) is `weight` identical battles, a label outside the five none;
- the battles are fitted by scikit-learn's LogisticRegression as Elo-scaled Bradley-Terry
  strengths: every battle twice, a tie one win each way, no intercept, no penalty, tol 1e-8, the
  baseline anchored at 1000;
- the score is the probability of beating the baseline under the fit on all battles; the 95%
  interval is the 2.5 and 97.5 percentiles of `rounds` fits on battles resampled with replacement,
  drawn as pandas' `sample(frac=1, replace=True)` draws them after `np.random.seed(seed)`, so the
  same battles in the same order give their numbers.

Battles are `autoj.stats.bradley_terry.Battle`s whose outcome is 1 (A won), 0 (B won) or 0.5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from autoj.errors import AutojError
from autoj.stats.bradley_terry import Battle, one_blas_thread

SCALE, BASE, INIT_RATING = 400.0, 10.0, 1000.0
WEIGHT = 3  # show_result.py --weight: a strong verdict counts this many times
ROUNDS, SEED = 100, 42  # show_result.py --num-rounds, np.random.seed

#: A game's label: whether Assistant A won (1), lost (0) or tied (0.5), and whether it is strong.
GAME_LABELS: dict[str, tuple[float, bool]] = {
    "A>>B": (1.0, True),
    "A>B": (1.0, False),
    "A=B": (0.5, False),
    "B>A": (0.0, False),
    "B>>A": (0.0, True),
}


@dataclass(frozen=True)
class ArenaHardScore:
    """A model's win probability against the baseline (percent), its 95% interval, Elo rating."""

    model: str
    score: float
    ci_low: float
    ci_high: float
    rating: float
    n_battles: int


def game_battles(
    label: str | None, baseline: str, model: str, instruction: str, baseline_first: bool, weight: int = WEIGHT
) -> list[Battle]:
    """The battles of one game, the baseline as `model_a` as show_result.py writes them.

    `baseline_first` says the baseline was shown as Assistant A (game 1); an unknown or missing
    label gives none.
    """
    if label is None or label not in GAME_LABELS:
        return []
    a_won, strong = GAME_LABELS[label]
    outcome = a_won if baseline_first else 1.0 - a_won
    return [Battle(baseline, model, instruction, outcome)] * (weight if strong else 1)


@dataclass(frozen=True)
class _Battles:
    """The battles as arrays: each side's model index and the outcome for `model_a`."""

    models: list[str]
    a: np.ndarray
    b: np.ndarray
    outcome: np.ndarray

    @classmethod
    def of(cls, battles: Sequence[Battle]) -> _Battles:
        models = list(dict.fromkeys([b.model_a for b in battles] + [b.model_b for b in battles]))
        column = {m: n for n, m in enumerate(models)}
        return cls(
            models,
            np.array([column[b.model_a] for b in battles], dtype=int),
            np.array([column[b.model_b] for b in battles], dtype=int),
            np.array([b.outcome for b in battles], dtype=float),
        )


def _fit(battles: _Battles, picks: np.ndarray, baseline: str) -> dict[str, float]:
    """show_result.compute_mle_elo on the picked battles: Elo-scaled strengths, the baseline at 1000.

    Their design has one row per battle copy; rows that repeat (the same two models, the same
    label) are fitted once with their count as the sample weight, which is the same likelihood,
    so a fit over thousands of battles takes a few rows.
    """
    from sklearn.linear_model import LogisticRegression

    n = len(picks)
    a, b, outcome = (np.tile(values[picks], 2) for values in (battles.a, battles.b, battles.outcome))
    y = (outcome == 1.0).astype(int)
    tie = outcome == 0.5
    tie[n:] = False  # one tie = a win for A in the first copy, for B in the second
    y[tie] = 1
    size = len(battles.models)
    counted = np.bincount((a * size + b) * 2 + y, minlength=size * size * 2)
    keys = np.flatnonzero(counted)
    rows, counts = np.stack([keys // 2 // size, keys // 2 % size, keys % 2], axis=1), counted[keys]
    present = sorted(set(rows[:, 0]) | set(rows[:, 1]))  # their models: those of these battles
    column = {m: n for n, m in enumerate(present)}
    x = np.zeros((len(rows), len(present)))
    x[np.arange(len(rows)), [column[m] for m in rows[:, 0]]] = +math.log(BASE)
    x[np.arange(len(rows)), [column[m] for m in rows[:, 1]]] = -math.log(BASE)
    # their penalty=None, spelt as scikit-learn 1.8+ asks (no penalty = an infinite C)
    fit = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-8)
    fit.fit(x, rows[:, 2], sample_weight=counts.astype(float))
    ratings = dict(zip((battles.models[m] for m in present), SCALE * fit.coef_[0] + INIT_RATING, strict=True))
    shift = INIT_RATING - ratings[baseline] if baseline in ratings else 0.0
    return {model: float(rating + shift) for model, rating in ratings.items()}


def _one_way(outcomes: np.ndarray) -> bool:
    """Every battle won by the same side (no tie, which counts both ways): no finite fit exists."""
    return bool((outcomes == outcomes[0]).all() and outcomes[0] != 0.5)


def elo_ratings(battles: Sequence[Battle], baseline: str) -> dict[str, float]:
    """Bradley-Terry strengths on the Elo scale by maximum likelihood, the baseline at 1000."""
    with one_blas_thread():
        return _fit(_Battles.of(battles), np.arange(len(battles)), baseline)


def win_probability(rating: float, baseline_rating: float = INIT_RATING) -> float:
    """show_result.predict_win_rate against the baseline, in percent."""
    return 100.0 / (1.0 + BASE ** ((baseline_rating - rating) / SCALE))


def arena_hard_scores(
    battles: Sequence[Battle], baseline: str, rounds: int = ROUNDS, seed: int = SEED
) -> dict[str, ArenaHardScore]:
    """Every model's score against the baseline, with the bootstrap 95% interval."""
    if not battles:
        return {}
    with one_blas_thread():
        return _scores(battles, baseline, rounds, seed)


def _scores(battles: Sequence[Battle], baseline: str, rounds: int, seed: int) -> dict[str, ArenaHardScore]:
    table = _Battles.of(battles)
    if _one_way(table.outcome):
        # one outcome everywhere: no finite Bradley-Terry strengths (their fit stops there too)
        raise AutojError(
            f"all {len(battles)} Arena-Hard battles went the same way, so no score can be fitted: "
            "judge more prompts (a larger --limit)"
        )
    point = _fit(table, np.arange(len(battles)), baseline)
    rng = np.random.RandomState(seed)  # pandas' sample(replace=True) draws with RandomState.choice
    samples: dict[str, list[float]] = {m: [] for m in point}
    for _ in range(rounds):
        picks = rng.choice(len(battles), size=len(battles), replace=True)
        resampled = {} if _one_way(table.outcome[picks]) else _fit(table, picks, baseline)
        for model, values in samples.items():
            values.append(resampled.get(model, math.nan))
    counts = np.bincount(table.b, minlength=len(table.models))
    scores = {}
    for model, rating in point.items():
        if model == baseline:
            continue
        low, high = np.nanpercentile(samples[model], [2.5, 97.5])
        scores[model] = ArenaHardScore(
            model,
            win_probability(rating),
            win_probability(float(low)),
            win_probability(float(high)),
            rating,
            int(counts[table.models.index(model)]),
        )
    return scores
