"""Scenario classification for /v1/classify, through autoj.scenarios' shipped Classifier.

The classifier is loaded once, on first use, and run in a worker thread so that a prediction
does not stall the event loop that serves judgments. When its model file cannot be loaded the
endpoint answers 501.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from autoj.errors import AutojError
from autoj.scenarios import Classifier
from autoj.serve.schemas import ScenarioPrediction

UNAVAILABLE = "scenario classification is not available in this installation"


@functools.cache
def _classifier() -> Any:
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
