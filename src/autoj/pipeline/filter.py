"""Stage 5, filter: keep teacher judgments that parsed and, for pairs, agree with the human label.

Every dropped judgment is counted under one reason, so a user sees whether the teacher disagreed
with people (disagreement) or failed to follow the format (parse_failure).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from autoj.io.results import Result
from autoj.types import PairItem

DropReason = Literal["disagreement", "parse_failure", "backend_error", "no_human_label"]


def drop_reason(result: Result, require_label: bool = True) -> DropReason | None:
    """Why a teacher judgment is unfit for training, or None to keep it."""
    if result.judgment.status == "backend_error":
        return "backend_error"
    if result.judgment.status != "ok":
        return "parse_failure"
    if not isinstance(result.item, PairItem):
        return None
    if result.item.label is None:
        return "no_human_label" if require_label else None
    return None if result.judgment.verdict == result.item.label else "disagreement"


@dataclass
class FilterReport:
    kept: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    dropped_by_kind: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": "filter",
            "input": sum(self.kept.values()) + sum(self.dropped.values()),
            "kept": dict(self.kept),
            "dropped": dict(self.dropped.most_common()),
            "dropped_by_kind_reason": dict(self.dropped_by_kind.most_common()),
        }


def filter_results(
    results: Iterable[Result], require_label: bool = True
) -> tuple[list[Result], FilterReport]:
    """The results to train on, and the count of each drop reason."""
    report = FilterReport()
    kept: list[Result] = []
    for result in results:
        reason = drop_reason(result, require_label)
        if reason is None:
            kept.append(result)
            report.kept[result.kind] += 1
        else:
            report.dropped[reason] += 1
            report.dropped_by_kind[f"{result.kind}/{reason}"] += 1
    return kept, report
