"""Where a judge can be trusted: its agreement with people per scenario group, beside the
"longer response wins" baseline on the same pairs.

A group where the judge does not agree with people more often than picking the longer response
does is marked "judge not reliable here": its figures say more about length than about quality,
and they are kept out of headlines. The difference carries a paired bootstrap interval (the same
pairs are scored by both), so a reader sees which marks are firm and which rest on few pairs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autoj.bench.grouping import GroupOf
from autoj.bench.pairwise import results_to_predictions, scored_pairs
from autoj.bench.pairwise_report import ScoredPair, longer_wins
from autoj.io.results import Result
from autoj.stats.metrics import Interval, bootstrap_ci, paper_agreement_hits, share_of
from autoj.types import PairItem

NOT_RELIABLE = "judge not reliable here"
#: The slice of every pair, listed first.
OVERALL = "all"


@dataclass(frozen=True)
class GroupTrust:
    """One group's agreement (the paper's both-orders metric) beside longer-wins on its pairs."""

    group: str
    n: int
    agreement: float | None
    agreement_ci: Interval | None
    longer_wins_agreement: float | None
    margin: float | None  # agreement - longer_wins_agreement
    margin_ci: Interval | None

    @property
    def reliable(self) -> bool:
        """The judge agrees with people more often than the longer-wins baseline does here."""
        return self.margin is not None and self.margin > 0

    def to_dict(self) -> dict[str, Any]:
        def ends(interval: Interval | None) -> list[float] | None:
            return None if interval is None else [interval.low, interval.high]

        return {
            "group": self.group,
            "n": self.n,
            "agreement": self.agreement,
            "agreement_ci": ends(self.agreement_ci),
            "longer_wins_agreement": self.longer_wins_agreement,
            "margin": self.margin,
            "margin_ci": ends(self.margin_ci),
            "reliable": self.reliable,
        }


def group_trust(group: str, pairs: Sequence[ScoredPair], seed: int = 0) -> GroupTrust:
    labels = [p.label for p in pairs]
    judge = paper_agreement_hits(labels, [p.original for p in pairs], [p.swapped for p in pairs])
    baseline_pairs = longer_wins(pairs)
    baseline = paper_agreement_hits(
        labels, [p.original for p in baseline_pairs], [p.swapped for p in baseline_pairs]
    )
    differences = [float(a) - float(b) for a, b in zip(judge, baseline, strict=True)]
    agreement, longer = share_of(judge), share_of(baseline)
    return GroupTrust(
        group=group,
        n=len(pairs),
        agreement=agreement,
        agreement_ci=bootstrap_ci(judge, seed=seed),
        longer_wins_agreement=longer,
        margin=None if agreement is None or longer is None else agreement - longer,
        margin_ci=bootstrap_ci(differences, seed=seed),
    )


def trust_map(pairs: Sequence[ScoredPair], group_of: GroupOf, seed: int = 0) -> list[GroupTrust]:
    """All pairs first, then each scenario group (sorted by name)."""
    groups: dict[str, list[ScoredPair]] = defaultdict(list)
    for pair in pairs:
        groups[group_of(pair.scenario)].append(pair)
    return [group_trust(OVERALL, pairs, seed)] + [
        group_trust(name, members, seed) for name, members in sorted(groups.items())
    ]


def not_reliable(groups: Sequence[GroupTrust] | Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The scenario groups (not the overall slice) where the judge is not above longer-wins;
    accepts the map or its JSON form (`{group: to_dict()}`)."""
    if isinstance(groups, Mapping):
        return [name for name, data in groups.items() if name != OVERALL and not data.get("reliable")]
    return [g.group for g in groups if g.group != OVERALL and not g.reliable]


def scored_from_results(results: Sequence[Result]) -> list[ScoredPair]:
    """The labelled pairs of a results file (`autoj bench pairwise`) with both orders' verdicts."""

    labelled = [r for r in results if isinstance(r.item, PairItem) and r.item.label is not None]
    items = [r.item for r in labelled if isinstance(r.item, PairItem)]
    original, swapped = results_to_predictions(items, labelled)
    return scored_pairs(items, original, swapped)
