"""Scenario -> group lookup for breakdowns, with a safe answer for names outside the taxonomy."""

from __future__ import annotations

from collections.abc import Callable

from autoj.errors import AutojError
from autoj.scenarios import group_of

UNKNOWN = "unknown"

GroupOf = Callable[[str | None], str]


def taxonomy_group_of() -> GroupOf:
    """`autoj.scenarios.group_of` wrapped so that a missing or foreign scenario is "unknown".

    User data may carry scenario names of its own; those are reported under "unknown" rather
    than failing a whole benchmark.
    """

    def lookup(scenario: str | None) -> str:
        if not scenario:
            return UNKNOWN
        try:
            return group_of(scenario, map_retired=True)
        except AutojError:
            return UNKNOWN

    return lookup
