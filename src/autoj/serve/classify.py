"""Scenario classification for /v1/classify, through autoj.scenarios' shipped Classifier.

The classifier is loaded once, on first use, and run in a worker thread so that a prediction
does not stall the event loop that serves judgments. Without it (an installation that lacks the
scenarios package or its model file) the endpoint answers 501.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from autoj.errors import AutojError
from autoj.serve.schemas import ScenarioPrediction

UNAVAILABLE = "scenario classification is not available in this installation"


@functools.cache
def _classifier() -> Any:
    try:
        from autoj.scenarios import Classifier
    except ImportError:
        raise LookupError(f"{UNAVAILABLE}: autoj.scenarios provides no Classifier") from None
    try:
        return Classifier()
    except (AutojError, OSError) as exc:
        raise LookupError(f"{UNAVAILABLE}: {exc}") from None


def _predict(queries: list[str]) -> list[ScenarioPrediction]:
    return [
        ScenarioPrediction(scenario=p.scenario, group=p.group, confidence=p.confidence)
        for p in _classifier().predict(queries)
    ]


async def classify_queries(queries: list[str]) -> list[ScenarioPrediction]:
    """Scenario, group and confidence of each query; LookupError when no classifier is installed."""
    _classifier()  # raise LookupError here, before a thread is used
    return await asyncio.to_thread(_predict, queries)
