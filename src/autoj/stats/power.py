"""How many instructions a comparison needs: the power of the paired test of a win-rate gap.

Two models judged on the same n instructions differ per instruction by d_i (win-rate points);
the paired t-test of mean(d) = 0 at level alpha detects a true gap delta with probability
P(|T| > t_crit) where T follows the noncentral t with n - 1 degrees of freedom and noncentrality
delta * sqrt(n) / sd(d). `instructions_needed` is the smallest n reaching the power;
`smallest_gap` the smallest delta a given n detects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

POWER = 0.8
ALPHA = 0.05

#: The default spread of per-instruction differences, in win-rate points: the median standard
#: deviation over the 190 pairs of AlpacaEval 2's 20 public models (GPT-4 Turbo judge, 805
#: instructions; 10th-90th percentile 21.8-44.0), measured by benchmarks/plan_power.py.
DEFAULT_SD = 31.9


@dataclass(frozen=True)
class Spread:
    """The standard deviation of per-instruction differences and where it came from."""

    sd: float
    source: str


def power(gap: float, n: int, sd: float, alpha: float = ALPHA) -> float:
    """The probability that the two-sided paired t-test at `alpha` detects a true `gap`."""
    if n < 2 or sd <= 0:
        return 0.0 if n < 2 else 1.0
    df = n - 1
    critical = stats.t.ppf(1 - alpha / 2, df)
    shift = abs(gap) * math.sqrt(n) / sd
    upper = stats.nct.sf(critical, df, shift)
    lower = stats.nct.cdf(-critical, df, shift)  # NaN far in the tail, where it is 0
    return float(upper + np.nan_to_num(lower))


def instructions_needed(gap: float, sd: float, power_target: float = POWER, alpha: float = ALPHA) -> int:
    """The smallest number of instructions whose paired test detects `gap` with `power_target`."""
    if gap == 0:
        raise ValueError("a gap of 0 cannot be detected")
    normal = ((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power_target)) * sd / abs(gap)) ** 2
    n = max(2, math.floor(normal))
    while power(gap, n, sd, alpha) < power_target:  # the t correction adds a few at most
        n += 1
    return n


def smallest_gap(n: int, sd: float, power_target: float = POWER, alpha: float = ALPHA) -> float:
    """The smallest gap (win-rate points) that `n` instructions detect with `power_target`."""
    if n < 2:
        return math.inf
    normal = (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power_target)) * sd / math.sqrt(n)
    high = 4.0 * normal + 4.0 * sd / (n - 1)  # well past the answer
    return float(optimize.brentq(lambda g: power(g, n, sd, alpha) - power_target, 1e-9, high))


def spread_of(differences: list[np.ndarray]) -> float:
    """The median standard deviation over several pairs' per-instruction differences."""
    sds = [float(np.std(d, ddof=1)) for d in differences if len(d) > 1]
    if not sds:
        raise ValueError("no pair with two or more shared instructions")
    return float(np.median(sds))
