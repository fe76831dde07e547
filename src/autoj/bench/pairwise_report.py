"""Score pairwise predictions in both orders: overall, per scenario group and per scenario.

The report always carries the "longer response wins" baseline on the same pairs, since a
judge's agreement means little without it beside it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from autoj.bench.grouping import UNKNOWN, GroupOf
from autoj.stats import metrics as m
from autoj.types import Verdict


@dataclass(frozen=True)
class ScoredPair:
    """One labelled pair with the judge's predictions in both orders.

    `swapped` is in the frame the judge saw (Response 1 = the original Response 2); None is a
    parse failure, or an order that was not run when `both_orders` is False.
    """

    label: Verdict
    original: m.Prediction
    swapped: m.Prediction
    length_1: int
    length_2: int
    id: str = ""
    scenario: str | None = None


@dataclass(frozen=True)
class PairwiseScores:
    """Every pairwise figure for one slice of pairs; shares in [0, 1], None = nothing to count."""

    n: int
    agreement: float | None
    agreement_ci: m.Interval | None
    consistency: float | None
    consistency_ci: m.Interval | None
    original_order_agreement: float | None
    swapped_order_agreement: float | None
    agreement_without_ties: float | None
    tie_rate: float | None
    response_1_share: float | None
    parse_failure_rate: float | None
    kappa: float | None
    length_bias: m.LengthBias
    confusion: list[list[int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_pairs(pairs: Sequence[ScoredPair], *, seed: int = 0) -> PairwiseScores:
    """All pairwise metrics for `pairs` (see autoj.stats.metrics for each definition)."""
    labels = [p.label for p in pairs]
    original = [p.original for p in pairs]
    swapped = [p.swapped for p in pairs]
    back = [m.map_back(s) for s in swapped]
    hits = m.paper_agreement_hits(labels, original, swapped)
    consistent = m.consistency_hits(original, swapped)
    both = original + swapped
    return PairwiseScores(
        n=len(pairs),
        agreement=m.agreement(labels, original, swapped),
        agreement_ci=m.bootstrap_ci(hits, seed=seed),
        consistency=m.consistency(original, swapped),
        consistency_ci=m.bootstrap_ci(consistent, seed=seed),
        original_order_agreement=m.single_order_agreement(labels, original),
        swapped_order_agreement=m.single_order_agreement(labels, back),
        agreement_without_ties=m.agreement_without_ties(labels, original, swapped),
        tie_rate=m.tie_rate(both),
        response_1_share=m.response_1_share(both),
        parse_failure_rate=m.parse_failure_rate(both),
        kappa=m.cohen_kappa(labels, original),
        length_bias=m.length_bias([(p.length_1, p.length_2) for p in pairs], labels, original),
        confusion=m.confusion_matrix(labels, original),
    )


@dataclass(frozen=True)
class Breakdown:
    """Scores overall, per scenario group and per scenario (names sorted)."""

    overall: PairwiseScores
    groups: dict[str, PairwiseScores]
    scenarios: dict[str, PairwiseScores]

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.to_dict(),
            "groups": {k: v.to_dict() for k, v in self.groups.items()},
            "scenarios": {k: v.to_dict() for k, v in self.scenarios.items()},
        }


def _split(pairs: Sequence[ScoredPair], key: Callable[[ScoredPair], str]) -> dict[str, list[ScoredPair]]:
    slices: dict[str, list[ScoredPair]] = defaultdict(list)
    for pair in pairs:
        slices[key(pair)].append(pair)
    return dict(sorted(slices.items()))


def breakdown(pairs: Sequence[ScoredPair], group_of: GroupOf, *, seed: int = 0) -> Breakdown:
    """Score `pairs` overall and per slice; a pair without a scenario falls under "unknown"."""
    return Breakdown(
        overall=score_pairs(pairs, seed=seed),
        groups={
            g: score_pairs(s, seed=seed) for g, s in _split(pairs, lambda p: group_of(p.scenario)).items()
        },
        scenarios={
            sc: score_pairs(s, seed=seed) for sc, s in _split(pairs, lambda p: p.scenario or UNKNOWN).items()
        },
    )


def longer_wins(pairs: Sequence[ScoredPair]) -> list[ScoredPair]:
    """The same pairs judged by the "longer response wins" baseline in both orders."""
    out = []
    for pair in pairs:
        verdict = m.longer_wins_baseline(pair.length_1, pair.length_2)
        out.append(replace(pair, original=verdict, swapped=verdict.swapped()))
    return out


@dataclass(frozen=True)
class PairwiseReport:
    """A judge's pairwise breakdown beside the longer-wins baseline on the same pairs."""

    judge: Breakdown
    baseline: Breakdown
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "meta": self.meta,
            "judge": self.judge.to_dict(),
            "longer_wins_baseline": self.baseline.to_dict(),
        }


def pairwise_report(
    pairs: Sequence[ScoredPair],
    group_of: GroupOf,
    *,
    seed: int = 0,
    meta: dict[str, Any] | None = None,
) -> PairwiseReport:
    """The full pairwise report: the judge's breakdown and the longer-wins baseline's."""
    return PairwiseReport(
        judge=breakdown(pairs, group_of, seed=seed),
        baseline=breakdown(longer_wins(pairs), group_of, seed=seed),
        meta=dict(meta or {}),
    )
