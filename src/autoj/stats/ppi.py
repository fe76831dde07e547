"""Prediction-powered estimates of a mean: a judge's verdicts on every item, people's labels on
some, and an interval for what people would decide on all of them.

PPI++ (Angelopoulos, Duchi and Zrnic, 2023, "PPI++: Efficient Prediction-Powered Inference"):
the labels' mean is corrected by the judge's mean on the unlabelled items minus its mean on the
labelled ones, weighted by a power-tuning parameter lambda chosen to minimise the variance and
clipped to [0, 1]. lambda = 0 is the labels alone, so the interval is never (asymptotically)
wider than theirs; lambda = 1 is plain prediction-powered inference. The judge may be biased in
any way: the labelled items measure and remove its bias. The formulas follow the authors'
`ppi_py` (`ppi_mean_ci` with `_calc_lhat_glm`): a normal interval, lambda from the labelled
covariance and the variance of the judge over all items.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

#: Fewer labelled items than this give no interval ("n too small").
MIN_LABELLED = 2


class TooFewLabels(ValueError):
    """Not enough labelled items for an interval."""


@dataclass(frozen=True)
class MeanInterval:
    """A mean with its two-sided interval at `level`, from `n` items."""

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    level: float = 0.95

    @property
    def width(self) -> float:
        return self.ci_high - self.ci_low

    def covers(self, value: float) -> bool:
        return self.ci_low <= value <= self.ci_high

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "n": self.n,
        }


@dataclass(frozen=True)
class Calibrated:
    """The prediction-powered estimate beside the labels alone and the judge alone.

    `judge_only` is the naive interval on the judge's own mean: it measures the judge, not people,
    and is shown so that the difference (the judge's bias) and the gain in width are visible.
    """

    estimate: float
    ci_low: float
    ci_high: float
    n_labelled: int
    n_total: int
    power_tuning: float
    labels_only: MeanInterval
    judge_only: MeanInterval
    level: float = 0.95

    @property
    def interval(self) -> MeanInterval:
        return MeanInterval(self.estimate, self.ci_low, self.ci_high, self.n_total, self.level)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["labels_only"] = self.labels_only.to_dict()
        data["judge_only"] = self.judge_only.to_dict()
        return data


def _z(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be in (0, 1), got {level}")
    return float(norm.ppf(1.0 - (1.0 - level) / 2.0))


def _interval(
    estimate: float, standard_error: float, n: int, level: float, bounds: tuple[float, float] | None
) -> MeanInterval:
    half = _z(level) * standard_error
    low, high = estimate - half, estimate + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return MeanInterval(estimate, low, high, n, level)


def classical_mean(
    values: Sequence[float] | np.ndarray, level: float = 0.95, bounds: tuple[float, float] | None = None
) -> MeanInterval:
    """The mean and its normal (CLT) interval, the standard error with n in the denominator."""
    array = np.asarray(values, dtype=float)
    if array.size < MIN_LABELLED:
        raise TooFewLabels(f"n too small: {array.size} value(s), need at least {MIN_LABELLED}")
    return _interval(
        float(array.mean()), float(array.std() / math.sqrt(array.size)), array.size, level, bounds
    )


def power_tuning(labels: np.ndarray, predicted: np.ndarray, unlabelled: np.ndarray) -> float:
    """lambda minimising the estimate's variance, clipped to [0, 1]:
    Cov(Y, f) / ((1 + n / N) Var(f)), with Var(f) over labelled and unlabelled predictions."""
    n, big_n = labels.size, unlabelled.size
    if big_n == 0:
        return 0.0  # every item is labelled: the labels are the answer
    covariance = float(np.mean((labels - labels.mean()) * (predicted - predicted.mean())))
    variance = float(np.var(np.concatenate([predicted, unlabelled]), ddof=1))
    if variance <= 0.0:
        return 0.0  # a constant judge says nothing
    return float(np.clip(covariance / ((1.0 + n / big_n) * variance), 0.0, 1.0))


def ppi_mean(
    labels: Sequence[float] | np.ndarray,
    predicted: Sequence[float] | np.ndarray,
    unlabelled: Sequence[float] | np.ndarray,
    *,
    level: float = 0.95,
    bounds: tuple[float, float] | None = (0.0, 1.0),
    lam: float | None = None,
) -> Calibrated:
    """People's mean from `labels` (Y), the judge's predictions on the same items (f(X)) and on
    the unlabelled items (f(X~)); `lam` fixes lambda (None: power-tuned). Interval ends are kept
    within `bounds` (a share cannot leave [0, 1]), which never lowers coverage."""
    y = np.asarray(labels, dtype=float)
    f = np.asarray(predicted, dtype=float)
    f_unlabelled = np.asarray(unlabelled, dtype=float)
    if y.shape != f.shape:
        raise ValueError(f"labels and predictions differ in length: {y.size} and {f.size}")
    if y.size < MIN_LABELLED:
        raise TooFewLabels(f"n too small: {y.size} labelled item(s), need at least {MIN_LABELLED}")
    chosen = power_tuning(y, f, f_unlabelled) if lam is None else lam
    n, big_n = y.size, f_unlabelled.size
    judged_mean = float(f_unlabelled.mean()) if big_n else float(f.mean())
    estimate = float(y.mean() + chosen * (judged_mean - f.mean()))
    rectifier = float((y - chosen * f).std()) / math.sqrt(n)
    imputed = float((chosen * f_unlabelled).std()) / math.sqrt(big_n) if big_n else 0.0
    ppi = _interval(estimate, math.hypot(rectifier, imputed), n + big_n, level, bounds)
    return Calibrated(
        estimate=ppi.estimate,
        ci_low=ppi.ci_low,
        ci_high=ppi.ci_high,
        n_labelled=n,
        n_total=n + big_n,
        power_tuning=chosen,
        labels_only=classical_mean(y, level, bounds),
        judge_only=classical_mean(np.concatenate([f, f_unlabelled]), level, bounds),
        level=level,
    )
