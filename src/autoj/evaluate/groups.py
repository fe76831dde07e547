"""Figures per group of a user's own column (`--group-by FIELD`): the mean rating or the verdict
shares of every group with a 95% bootstrap interval, and, for ratings with reference scores, the
correlations on the same items. Groups are the column's raw values; items without it are
"(missing)". Under MIN_N items a group has no interval ("n too small")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from autoj.io.results import Result
from autoj.stats.correlation import Correlations, correlations
from autoj.stats.metrics import bootstrap_ci
from autoj.stats.paired import MIN_N
from autoj.stats.winrate import preference_of
from autoj.types import PairItem, SingleItem

MISSING = "(missing)"


@dataclass(frozen=True)
class GroupFigure:
    """One group's mean (rating, or response 2's win rate in percent), interval and count; with
    reference scores, the correlations of the group's ratings with them."""

    group: str
    n: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    note: str = ""
    correlations: Correlations | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def group_value(result: Result, field: str) -> str:
    """The item's raw value of `field` (its scenario when the field is the scenario's), as text."""
    item = result.item
    value = item.meta.get(field)
    if value is None and field == "scenario":
        value = item.scenario
    return MISSING if value is None or value == "" else str(value)


def _figure(values: list[float], scale: float, seed: int) -> tuple[float | None, float | None, float | None]:
    if not values:
        return None, None, None
    mean = sum(values) / len(values) * scale
    if len(values) < MIN_N:
        return mean, None, None
    interval = bootstrap_ci(values, seed=seed)
    assert interval is not None  # values is not empty
    return mean, interval.low * scale, interval.high * scale


def by_group(results: Iterable[Result], field: str, seed: int = 0) -> list[GroupFigure]:
    """Per group: the mean rating (single items) or response 2's win rate in percent (pairs)."""
    results = list(results)
    values: dict[str, list[float]] = defaultdict(list)
    references: dict[str, list[tuple[float | None, float | None]]] = defaultdict(list)
    for result in results:
        group = group_value(result, field)
        if isinstance(result.item, SingleItem):
            if result.rating is not None:
                values[group].append(result.rating)
            references[group].append((result.rating, result.item.reference_score))
        elif isinstance(result.item, PairItem) and result.verdict is not None:
            # response 2's win (1, a tie 0.5), on the board's preference scale
            values[group].append(preference_of(result.verdict) - 1.0)
        values.setdefault(group, [])
    scale = 1.0 if any(isinstance(r.item, SingleItem) for r in results) else 100.0
    found = []
    for group in sorted(values, key=lambda g: (g == MISSING, g)):
        mean, low, high = _figure(values[group], scale, seed)
        known = [(rating, score) for rating, score in references.get(group, []) if score is not None]
        correlated = correlations([r for r, _ in known], [s for _, s in known]) if known else None
        note = "n too small" if 0 < len(values[group]) < MIN_N else ""
        found.append(GroupFigure(group, len(values[group]), mean, low, high, note, correlated))
    return found


def overall_correlations(results: Sequence[Result]) -> Correlations | None:
    """Ratings against reference scores over every rated item that has one (None without any)."""
    pairs = [
        (r.rating, r.item.reference_score)
        for r in results
        if isinstance(r.item, SingleItem) and r.item.reference_score is not None
    ]
    if not pairs:
        return None
    return correlations([p for p, _ in pairs], [s for _, s in pairs])
