"""Head-to-head win rates on alpaca_eval's preference scale, computed as AlpacaEval 2 does.

A preference is a number in [1, 2]: 1 = the reference (baseline) output is better, 2 = the
model's output is better, 1.5 = a draw (0 is an older spelling of a draw); a judge that gives
probabilities gives any value in between. Missing preferences (a parse failure) are left out.
An item's outcome (`model_outcome`) is its preference rounded as the counts and the discrete win
rate round it, so the per-item outcomes and the board's figures cannot tell two stories.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from autoj.errors import AutojError
from autoj.types import Verdict

DRAW = 1.5
#: A pairwise verdict on this scale when the reference's output is Response 1, the model's Response 2.
PREFERENCE = {Verdict.RESPONSE_1: 1.0, Verdict.RESPONSE_2: 2.0, Verdict.TIE: DRAW}
#: An item's outcome from the model's side, by the sign of its preference's distance from a draw.
OUTCOMES = {1: "model won", -1: "reference won", 0: "tie"}


@dataclass(frozen=True)
class HeadToHead:
    """The raw (not length-controlled) columns of an AlpacaEval leaderboard row, in percent."""

    win_rate: float | None
    standard_error: float | None
    n_wins: int
    n_wins_base: int
    n_draws: int
    n_total: int
    discrete_win_rate: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def clean_preferences(preferences: Sequence[float | None]) -> np.ndarray:
    """Valid preferences as floats in [1, 2]: draws spelt 0 become 1.5, missing ones are dropped."""
    values = np.array([math.nan if p is None else float(p) for p in preferences], dtype=float)
    values[values == 0.0] = DRAW
    return values[(values >= 1.0) & (values <= 2.0)]


def preference_of(verdict: Verdict, reference_side: object = Verdict.RESPONSE_1.value) -> float:
    """A pairwise verdict on this scale: the reference's output is the pair's `reference_side`
    (evaluate puts it first and records it in each results line), the model's the other one."""
    if reference_side not in (Verdict.RESPONSE_1.value, Verdict.RESPONSE_2.value):
        raise AutojError(
            f"reference_side {reference_side!r} in a results line: it is response_1 or response_2 "
            "(evaluate writes it); restore the line, or judge again with --overwrite"
        )
    return PREFERENCE[verdict if reference_side == Verdict.RESPONSE_1.value else verdict.swapped()]


def _sides(values: np.ndarray) -> np.ndarray:
    """Per preference minus 1: 1 the model won, -1 the reference won, 0 an exact draw."""
    return np.sign(values - 0.5)


def model_outcome(preference: float | None) -> str | None:
    """The item's outcome from the model's side, "model won", "reference won" or "tie" (an exact
    draw), as `head_to_head` counts it (n_wins, n_wins_base, n_draws); None for no preference."""
    values = clean_preferences([preference]) - 1.0
    return OUTCOMES[int(_sides(values)[0])] if values.size else None


def standard_error_of(values: np.ndarray) -> float | None:
    """The standard error of the mean, None for fewer than two values."""
    if values.size < 2:
        return None
    return float(values.std(ddof=1) / math.sqrt(values.size))


def head_to_head(preferences: Sequence[float | None]) -> HeadToHead:
    """Win rate (mean preference), its standard error, counts and the discrete win rate.

    `discrete_win_rate` rounds each preference to a win, a loss or (exactly 1.5) a draw, and counts
    a draw as half a win; `n_draws` counts exact draws only, as AlpacaEval does.
    """
    values = clean_preferences(preferences) - 1.0
    if values.size == 0:
        return HeadToHead(None, None, 0, 0, 0, 0, None)
    sides = _sides(values)
    discrete = (sides + 1) / 2  # a win 1, a loss 0, a draw half
    return HeadToHead(
        win_rate=float(values.mean() * 100),
        standard_error=None if (sem := standard_error_of(values)) is None else sem * 100,
        n_wins=int((sides > 0).sum()),
        n_wins_base=int((sides < 0).sum()),
        n_draws=int((sides == 0).sum()),
        n_total=int(values.size),
        discrete_win_rate=float(discrete.mean() * 100),
    )
