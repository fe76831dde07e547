"""The pipeline's view of `autoj.scenarios`: scenario names, criteria text and a classifier.

Kept in one place so the rest of the pipeline depends on three small functions, not on the
scenarios package's internals; unknown scenarios degrade to "no criteria", never to an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from autoj.errors import AutojError


class ScenarioPredictor(Protocol):
    """Anything that names a scenario per query (the scenarios package's Classifier, a stub...)."""

    def predict(self, queries: Sequence[str]) -> Sequence[str]: ...


def normalize(name: str) -> str:
    """The taxonomy's spelling of a scenario (`default` -> `others`); unknown names are kept."""
    try:
        from autoj.scenarios import normalize_scenario
    except ImportError:
        return "others" if name == "default" else name
    try:
        return normalize_scenario(name, map_retired=True)
    except AutojError:
        return name


def criteria_text(scenario: str | None) -> str | None:
    """The scenario's criteria as a numbered list, or None for no or an unknown scenario."""
    if not scenario:
        return None
    try:
        from autoj.scenarios import format_criteria
    except ImportError:
        return None
    try:
        return format_criteria(scenario)
    except AutojError:
        return None


def default_classifier() -> ScenarioPredictor:
    """The scenarios package's shipped classifier."""
    try:
        from autoj.scenarios import Classifier
    except ImportError:
        raise AutojError(
            "no scenario classifier is available in this installation: give each sample a scenario "
            "field, or pass --fallback SCENARIO"
        ) from None
    predictor: ScenarioPredictor = Classifier()
    return predictor
