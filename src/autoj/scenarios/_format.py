"""Rendering a scenario's criteria as plain text for prompts (teacher prompts, guided judging)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from autoj.scenarios._criteria import default_criteria
from autoj.scenarios._criterion import Criterion
from autoj.scenarios._taxonomy import SCENARIOS, normalize_scenario


class CriteriaSource(Protocol):
    """Anything that can flatten a scenario's criteria: our tree or the authors' files."""

    def resolve(self, scenario: str) -> tuple[Criterion, ...]: ...


def format_criteria(scenario: str, source: CriteriaSource | None = None, *, heading: bool = True) -> str:
    """A numbered list, heaviest criteria first (stable within a weight), one per line.

    Sorting by weight puts what matters most where a model reads first; the weight is shown so a
    judge can trade criteria off.
    """
    name = normalize_scenario(scenario, map_retired=True)
    criteria = (source or default_criteria()).resolve(name)
    lines = [_line(i, c) for i, c in enumerate(_by_weight(criteria), start=1)]
    if heading:
        info = SCENARIOS[name]
        lines.insert(0, f"Criteria for {name} ({info.group}: {info.description})")
    return "\n".join(lines)


def _by_weight(criteria: Sequence[Criterion]) -> list[Criterion]:
    return sorted(criteria, key=lambda c: -c.weight)


def _line(number: int, criterion: Criterion) -> str:
    description = " ".join(criterion.description.split())
    return f"{number}. {criterion.name} ({criterion.type}, weight {criterion.weight}): {description}"
