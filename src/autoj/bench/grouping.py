"""Scenario -> group lookup for breakdowns, with a safe answer for names outside the taxonomy."""

from __future__ import annotations

from collections.abc import Callable

from autoj.errors import AutojError

UNKNOWN = "unknown"

GroupOf = Callable[[str | None], str]


def taxonomy_group_of() -> GroupOf:
    """`autoj.scenarios.group_of` wrapped so that a missing or foreign scenario is "unknown".

    User data may carry scenario names of its own; those are reported under "unknown" rather
    than failing a whole benchmark.
    """
    try:
        from autoj.scenarios import group_of
    except ImportError:  # the taxonomy module is optional for scoring

        def group_of(name: str, *, map_retired: bool = False) -> str:
            return UNKNOWN

    def lookup(scenario: str | None) -> str:
        if not scenario:
            return UNKNOWN
        try:
            return group_of(scenario, map_retired=True)
        except AutojError:
            return UNKNOWN

    return lookup
