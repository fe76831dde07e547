"""How much a figure moves between two judges, with an interval.

On the same items the per-item differences are paired, so their own spread gives the interval; two
boards only give each row's standard error, and the two are then treated as independent (wider
than the paired interval whenever the judges agree more often than chance).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from autoj.stats.ppi import MeanInterval, classical_mean


def paired_shift(before: Sequence[float], after: Sequence[float], level: float = 0.95) -> MeanInterval:
    """Mean of `after - before` over the same items, with its normal interval."""
    if len(before) != len(after):
        raise ValueError(f"paired values differ in length: {len(before)} and {len(after)}")
    return classical_mean(np.asarray(after, dtype=float) - np.asarray(before, dtype=float), level)


def independent_shift(
    before: float, before_se: float, after: float, after_se: float, level: float = 0.95, n: int = 0
) -> MeanInterval:
    """`after - before` from two estimates and their standard errors, taken as independent."""
    from scipy.stats import norm

    half = float(norm.ppf(1 - (1 - level) / 2)) * math.hypot(before_se, after_se)
    shift = after - before
    return MeanInterval(shift, shift - half, shift + half, n, level)
