"""The scenario profile: each instruction's Auto-J scenario and group, and win rates per group.

Scenarios come from the data when it names them, else from the shipped classifier, so "my model
loses on code and rewriting" is read off the board.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from autoj.bench.grouping import UNKNOWN, taxonomy_group_of
from autoj.evaluate.comparisons import Comparison
from autoj.stats.metrics import bootstrap_ci
from autoj.stats.paired import MIN_N
from autoj.stats.winrate import clean_preferences


def classify_instructions(instructions: Iterable[str]) -> dict[str, str]:
    """The shipped classifier's scenario for each distinct instruction (one batch for all)."""
    from autoj.scenarios import Classifier

    distinct = list(dict.fromkeys(instructions))
    if not distinct:
        return {}
    names = Classifier().predict_names(distinct)
    return dict(zip(distinct, names, strict=True))


def with_scenarios(groups: Mapping[str, Sequence[Comparison]]) -> dict[str, list[Comparison]]:
    """The comparisons with every missing scenario filled in by the classifier."""
    missing = [c.instruction for cs in groups.values() for c in cs if not c.scenario]
    found = classify_instructions(missing)
    return {
        model: [c if c.scenario else replace(c, scenario=found[c.instruction]) for c in cs]
        for model, cs in groups.items()
    }


def group_profile(
    comparisons: Sequence[Comparison], seed: int = 0, raw: bool = False
) -> dict[str, dict[str, float | int | None]]:
    """Win rate per scenario group with its count and a 95% bootstrap interval (percent); `raw`
    groups by the values as given (a user's own column) instead of Auto-J's 8 groups. Under 10
    comparisons a group has no interval."""
    group_of = (lambda name: name) if raw else taxonomy_group_of()
    by_group: dict[str, list[float | None]] = defaultdict(list)
    for comparison in comparisons:
        by_group[group_of(comparison.scenario) if comparison.scenario else UNKNOWN].append(
            comparison.preference
        )
    profile: dict[str, dict[str, float | int | None]] = {}
    for group in sorted(by_group):
        values = clean_preferences(by_group[group]) - 1.0
        interval = bootstrap_ci(list(values), seed=seed) if values.size >= MIN_N else None
        profile[group] = {
            "n": int(values.size),
            "win_rate": float(values.mean() * 100) if values.size else None,
            "ci_low": interval.low * 100 if interval else None,
            "ci_high": interval.high * 100 if interval else None,
        }
    return profile
