"""Rating metrics: correlation with reference scores and Best-of-N selection, as pure functions."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Correlations:
    """Pearson, Spearman and Kendall tau-b over the pairs where both values are known.

    A coefficient is None when it is undefined (fewer than 3 pairs, or a constant side); `note`
    then says why, rather than a misleading 0.0.
    """

    n: int
    pearson: float | None
    spearman: float | None
    kendall: float | None
    note: str | None = None


def correlations(predicted: Sequence[float | None], reference: Sequence[float | None]) -> Correlations:
    """Correlate judge ratings with reference scores, leaving out pairs with a missing value."""
    from scipy import stats

    if len(predicted) != len(reference):
        raise ValueError(f"lengths differ: {len(predicted)} predicted, {len(reference)} reference")
    pairs = [(p, r) for p, r in zip(predicted, reference, strict=True) if p is not None and r is not None]
    n = len(pairs)
    if n < 3:
        return Correlations(n, None, None, None, note=f"need at least 3 rated pairs, have {n}")
    xs = [p for p, _ in pairs]
    ys = [r for _, r in pairs]
    if len(set(xs)) < 2 or len(set(ys)) < 2:
        side = "judge ratings" if len(set(xs)) < 2 else "reference scores"
        return Correlations(n, None, None, None, note=f"{side} are constant")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = (
            float(stats.pearsonr(xs, ys)[0]),
            float(stats.spearmanr(xs, ys)[0]),
            float(stats.kendalltau(xs, ys)[0]),
        )
    pearson, spearman, kendall = (None if math.isnan(v) else v for v in values)
    return Correlations(n, pearson, spearman, kendall)


@dataclass(frozen=True)
class Candidate:
    """One of N responses to the same query: the judge's rating (None = parse failure), an
    optional log-probability score used to break rating ties, and its reference score."""

    rating: float | None
    reference: float
    logprob: float | None = None


def pick_best(candidates: Sequence[Candidate]) -> int | None:
    """Index of the highest-rated candidate; None when no candidate has a rating.

    Ties on rating go to the higher log-probability score where every tied candidate has one,
    else to the earliest candidate (a stable, order-based rule).
    """
    rated = [(i, c) for i, c in enumerate(candidates) if c.rating is not None]
    if not rated:
        return None
    top = max(c.rating for _, c in rated if c.rating is not None)
    tied = [(i, c) for i, c in rated if c.rating == top]
    if len(tied) > 1 and all(c.logprob is not None for _, c in tied):
        best_i, _ = max(tied, key=lambda ic: (ic[1].logprob, -ic[0]))
        return best_i
    return tied[0][0]


@dataclass(frozen=True)
class BestOfN:
    """Mean reference score of the picks, beside the oracle and the mean of all candidates."""

    groups: int
    picked: int
    mean_picked_reference: float | None
    mean_oracle_reference: float | None
    mean_candidate_reference: float | None


def best_of_n(groups: Sequence[Sequence[Candidate]]) -> BestOfN:
    """Best-of-N selection over groups of candidates; groups without any rating are not picked."""
    picks: list[float] = []
    oracle: list[float] = []
    every: list[float] = []
    for group in groups:
        if not group:
            continue
        oracle.append(max(c.reference for c in group))
        every.extend(c.reference for c in group)
        index = pick_best(group)
        if index is not None:
            picks.append(group[index].reference)

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    return BestOfN(
        groups=len(oracle),
        picked=len(picks),
        mean_picked_reference=mean(picks),
        mean_oracle_reference=mean(oracle),
        mean_candidate_reference=mean(every),
    )
