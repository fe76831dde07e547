"""Paired comparison of two models judged on the same instructions.

Per instruction, each model has a preference in [0, 1] (its win against the reference, or A's win
against B in a direct head-to-head). The difference of two models is the mean per-instruction
difference in win-rate points; its 95% interval is a paired bootstrap (instructions resampled,
both models' values kept together), and its two-sided p-value a paired sign-flip permutation test
(under "no difference" each instruction's difference is as likely negated). Both are seeded.
Pairing removes what the instructions share (an easy prompt is easy for both), which is why it
detects gaps that two separate intervals would not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

#: Under this many shared instructions no interval or p-value is given ("n too small").
MIN_N = 10
BOOTSTRAP_RESAMPLES = 2000
PERMUTATIONS = 5000
LEVEL = 0.95


@dataclass(frozen=True)
class PairedDifference:
    """`model_a` minus `model_b` in win-rate points on `n` shared instructions.

    `via` says how they were compared: "reference" (each against `reference`, which is Response 1
    in every judgment) or "direct" (A judged against B, B being the reference side); `note` is
    "n too small" when there is no interval.
    """

    model_a: str
    model_b: str
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n: int
    reference: str
    via: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PairedFigures:
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n: int
    note: str


def paired_figures(
    differences: np.ndarray,
    *,
    seed: int = 0,
    level: float = LEVEL,
    resamples: int = BOOTSTRAP_RESAMPLES,
    permutations: int = PERMUTATIONS,
) -> PairedFigures:
    """Mean of per-instruction differences (already in win-rate points), its paired bootstrap
    percentile interval and the sign-flip p-value."""
    values = np.asarray(differences, dtype=float)
    values = values[~np.isnan(values)]
    n = int(values.size)
    if n == 0:
        return PairedFigures(None, None, None, None, 0, "no shared instructions")
    mean = float(values.mean())
    if n < MIN_N:
        return PairedFigures(mean, None, None, None, n, "n too small")
    if np.all(values == values[0]):  # no spread: every resample is the same value
        p = 1.0 if values[0] == 0 else float(2.0 ** (1 - n))
        return PairedFigures(mean, mean, mean, min(1.0, p), n, "")
    rng = np.random.default_rng(seed)
    interval = stats.bootstrap(
        (values,),
        np.mean,
        confidence_level=level,
        n_resamples=resamples,
        method="percentile",
        vectorized=True,
        random_state=rng,
    ).confidence_interval
    test = stats.permutation_test(
        (values,),
        np.mean,
        permutation_type="samples",
        alternative="two-sided",
        n_resamples=permutations,
        vectorized=True,
        random_state=rng,
    )
    return PairedFigures(mean, float(interval.low), float(interval.high), float(test.pvalue), n, "")


def paired_difference(
    model_a: str,
    model_b: str,
    differences: np.ndarray,
    *,
    reference: str,
    via: str,
    seed: int = 0,
) -> PairedDifference:
    """The figures of one pair, labelled."""
    f = paired_figures(differences, seed=seed)
    return PairedDifference(
        model_a, model_b, f.difference, f.ci_low, f.ci_high, f.p_value, f.n, reference, via, f.note
    )
