"""The pipeline's view of `autoj.scenarios`: scenario names, criteria text and a classifier.

Kept in one place so the rest of the pipeline depends on three small functions, not on the
scenarios package's internals; unknown scenarios degrade to "no criteria", never to an error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autoj.errors import AutojError
from autoj.scenarios import Classifier, format_criteria, normalize_scenario


@dataclass(frozen=True)
class ScenarioGuess:
    """A classifier's answer for one query: a scenario (with its probability when known), or None
    when the classifier could not name one."""

    scenario: str | None
    confidence: float | None = None


# A classifier as the pipeline sees it: queries in, one guess per query out.
Predict = Callable[[Sequence[str]], Sequence[ScenarioGuess]]


def normalize(name: str) -> str:
    """The taxonomy's spelling of a scenario (`default` -> `others`); unknown names are kept."""
    try:
        return normalize_scenario(name, map_retired=True)
    except AutojError:
        return name


def criteria_text(scenario: str | None) -> str | None:
    """The scenario's criteria as a numbered list, or None for no or an unknown scenario."""
    if not scenario:
        return None
    try:
        return format_criteria(scenario)
    except AutojError:
        return None


def shipped_classifier() -> Predict:
    """The scenarios package's shipped classifier (fine-tuned MiniLM run by numpy, CPU, offline)."""
    classifier = Classifier()

    def predict(queries: Sequence[str]) -> list[ScenarioGuess]:
        return [ScenarioGuess(p.scenario, p.confidence) for p in classifier.predict(queries)]

    return predict
