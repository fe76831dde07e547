"""Length-controlled win rate, following AlpacaEval 2 (Dubois et al., 2024).

Per model, a logistic model of the judge's preference is fitted on three terms: the length
difference (tanh of the reference-minus-model length in characters, standardised by its spread
over that model's instructions), the instruction's difficulty, and a bias. The length-controlled
win rate is the model's mean predicted preference with the length difference set to zero: what
the judge would say if both outputs were as long.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from autoj.stats.glm import fit_soft_logistic, logistic
from autoj.stats.memo import Memo
from autoj.stats.winrate import DRAW, standard_error_of


class Comparison(Protocol):
    """What the fit reads of one judged pair (`autoj.evaluate.comparisons.Comparison` has it)."""

    @property
    def model(self) -> str: ...
    @property
    def reference(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def reference_output(self) -> str: ...
    @property
    def model_output(self) -> str: ...
    @property
    def preference(self) -> float | None: ...


#: Weight of the gamed-baseline rows (two baselines share it), as in AlpacaEval's v1 model.
REGULARIZE_TO_BASELINE = 0.2


@dataclass(frozen=True)
class GamedRows:
    """Annotations of deliberately verbose and concise copies of the reference (AlpacaEval's
    `df_gamed`): they pull the length term toward what length alone does to this judge."""

    preference: np.ndarray  # in [0, 1]
    std_delta_len: np.ndarray
    difficulty: np.ndarray


@dataclass(frozen=True)
class LengthControlled:
    """The length-controlled win rate of one model, with the fitted weights it came from;
    `winrate` is None when the fit could not give one, and `unavailable` says why."""

    winrate: float | None
    standard_error: float | None
    weights: dict[str, float] = field(default_factory=dict)
    C: float | None = None
    unavailable: str | None = None


def preference_01(comparisons: Sequence[Comparison]) -> np.ndarray:
    """Preferences moved to [0, 1] (NaN where missing; an old-style 0 is a draw)."""
    values = np.array([np.nan if c.preference is None else c.preference for c in comparisons], dtype=float)
    values[values == 0.0] = DRAW
    return values - 1.0


def std_delta_len(comparisons: Sequence[Comparison]) -> np.ndarray:
    """Reference length minus model length, divided by that difference's standard deviation."""
    delta = np.array([len(c.reference_output) - len(c.model_output) for c in comparisons], dtype=float)
    spread = delta.std(ddof=1) if len(delta) > 1 else 0.0
    return delta / spread if spread > 0 else np.zeros_like(delta)


def length_controlled(
    comparisons: Sequence[Comparison],
    difficulty: Mapping[str, float] | None = None,
    gamed: GamedRows | None = None,
    memo: Memo | None = None,
) -> LengthControlled:
    """Fit the GLM on one model's comparisons and predict at zero length difference.

    `difficulty` maps an instruction key to its difficulty; without it (or for keys it lacks)
    the term is zero, which leaves the length term and the bias (AlpacaEval's "minimal" model).
    """
    if comparisons and all(c.model == c.reference for c in comparisons):
        return LengthControlled(50.0, 0.0)
    target = preference_01(comparisons)
    hard = np.array([(difficulty or {}).get(c.key, 0.0) for c in comparisons], dtype=float)
    length = np.tanh(std_delta_len(comparisons))
    features = np.column_stack([length, hard, np.ones_like(hard)])
    known = ~np.isnan(target)
    train_x, train_y = features[known], target[known]
    weight = np.ones(len(train_y))
    if gamed is not None:
        gamed_x = np.column_stack(
            [np.tanh(gamed.std_delta_len), gamed.difficulty, np.zeros_like(gamed.difficulty)]
        )
        train_x = np.vstack([train_x, gamed_x])
        train_y = np.concatenate([train_y, gamed.preference])
        weight = np.concatenate([weight, np.full(len(gamed.preference), REGULARIZE_TO_BASELINE / 2)])
    fit = fit_soft_logistic(train_x, train_y, weight, memo=memo)
    at_equal_length = features.copy()
    at_equal_length[:, 0] = 0.0
    predicted = logistic(at_equal_length @ fit.coef)
    weights = {
        "length": float(fit.coef[0]),
        "instruction_difficulty": float(fit.coef[1]),
        "bias": float(fit.coef[2]),
    }
    if not np.any(fit.coef):
        reason = (
            f"the penalised fit kept no term on {int(known.sum())} judgments "
            "(too few to tell length from quality)"
        )
        return LengthControlled(None, None, weights, fit.C, reason)
    # With no difficulty term the predictions are one value and their spread says nothing: the
    # uncertainty is that of the mean preference itself.
    spread = predicted if np.ptp(predicted) > 0 else target[known]
    sem = None if (se := standard_error_of(spread)) is None else se * 100
    return LengthControlled(float(predicted.mean() * 100), sem, weights, fit.C)


def synthetic_gamed(comparisons: Sequence[Comparison], length_slope: float) -> GamedRows:
    """Stand-in for AlpacaEval's gamed-baseline annotations when they are not at hand.

    Those are the reference made verbose and made concise, judged against itself: quality equal,
    only length differs. Here each instruction gets one longer and one shorter copy, as far from
    the reference as this model's output is, whose preference is what `length_slope` (the
    judge's length effect) alone predicts. The regularisation then pulls the model's length term
    toward the judge's, as the real rows do.
    """
    gap = np.abs(std_delta_len(comparisons))
    gaps = np.concatenate([-gap, gap])  # reference shorter (verbose copy), reference longer
    return GamedRows(
        preference=logistic(length_slope * np.tanh(gaps)),
        std_delta_len=gaps,
        difficulty=np.zeros_like(gaps),
    )
