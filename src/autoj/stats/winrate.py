"""Head-to-head win rates on alpaca_eval's preference scale, computed as AlpacaEval 2 does.

A preference is a number in [1, 2]: 1 = the reference (baseline) output is better, 2 = the
model's output is better, 1.5 = a draw (0 is an older spelling of a draw); a judge that gives
probabilities gives any value in between. Missing preferences (a parse failure) are left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

DRAW = 1.5


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
    draws = values == 0.5
    discrete = np.where(draws, 0.5, np.round(values))
    return HeadToHead(
        win_rate=float(values.mean() * 100),
        standard_error=None if (sem := standard_error_of(values)) is None else sem * 100,
        n_wins=int((values > 0.5).sum()),
        n_wins_base=int((values < 0.5).sum()),
        n_draws=int(draws.sum()),
        n_total=int(values.size),
        discrete_win_rate=float(discrete.mean() * 100),
    )
