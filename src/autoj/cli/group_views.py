"""`--group-by FIELD` on `rate` and `compare`: the figures per group of the user's own column."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from autoj.evaluate.groups import GroupFigure, by_group, overall_correlations
from autoj.io.results import read_results
from autoj.io.terminal import Console
from autoj.stats.correlation import Correlations
from autoj.types import SingleItem


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _correlation_cells(found: Correlations | None) -> list[str]:
    if found is None:
        return ["-", "-", "-"]
    if found.note:
        return ["n/a", "n/a", f"n/a ({found.note})"]
    return [_num(found.pearson, 3), _num(found.spearman, 3), _num(found.kendall, 3)]


@dataclass(frozen=True)
class GroupedFigures:
    """A run's figures per group, and (ratings with reference scores) the overall correlations."""

    field: str
    rating: bool
    groups: list[GroupFigure]
    overall: Correlations | None

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "group_by": self.field,
            "groups": [g.to_dict() for g in self.groups],
            "figure": "mean rating" if self.rating else "response 2 win rate (percent, ties half)",
        }
        if self.overall is not None:
            found["correlations"] = self.overall.__dict__
        return found

    def show(self, console: Console) -> None:
        console = Console(width=max(console.width, 140), stderr=console.stderr)
        figure = "mean rating" if self.rating else "response 2 win rate %"
        correlated = self.overall is not None
        table = Table(title=f"{figure} by {self.field} (95% bootstrap interval)")
        names = [self.field, "n", figure, "95% CI"] + (
            ["Pearson", "Spearman", "Kendall"] if correlated else []
        )
        for name in names:
            table.add_column(name, justify="left" if name == self.field else "right")
        for g in self.groups:
            interval = g.note or (f"{_num(g.ci_low)} to {_num(g.ci_high)}" if g.ci_low is not None else "-")
            cells = [g.group, str(g.n), _num(g.mean), interval]
            table.add_row(*cells, *(_correlation_cells(g.correlations) if correlated else []))
        if correlated:
            table.add_row("all", str(self.overall.n), "", "", *_correlation_cells(self.overall))  # type: ignore[union-attr]
        console.print(table)


def grouped_figures(output: Path, ids: Set[str], field: str) -> GroupedFigures:
    """The figures of this run's items (by id) in the results file, grouped by `field`."""
    results = [r for r in read_results(output) if r.id in ids]
    rating = any(isinstance(r.item, SingleItem) for r in results)
    return GroupedFigures(
        field, rating, by_group(results, field), overall_correlations(results) if rating else None
    )
