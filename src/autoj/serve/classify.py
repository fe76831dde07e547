"""Scenario classification for /v1/classify, through autoj.scenarios when it is installed.

The classifier is loaded once, on first use, and run in a worker thread so that a slow prediction
does not stall the event loop that serves judgments.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from autoj.serve.schemas import ScenarioPrediction

UNAVAILABLE = (
    "scenario classification is not available in this installation: autoj.scenarios provides no Classifier"
)


@functools.cache
def _classifier() -> Any:
    try:
        from autoj.scenarios import Classifier  # type: ignore[attr-defined]
    except ImportError:
        raise LookupError(UNAVAILABLE) from None
    return Classifier()


def _group(scenario: str) -> str | None:
    try:
        from autoj.scenarios import group_of  # type: ignore[attr-defined]
    except ImportError:
        return None
    try:
        return str(group_of(scenario, map_retired=True))
    except Exception:  # a name outside the taxonomy has no group; the scenario is still useful
        return None


def _predict(queries: list[str]) -> list[ScenarioPrediction]:
    predicted = _classifier().predict(queries)
    return [ScenarioPrediction(scenario=str(name), group=_group(str(name))) for name in predicted]


async def classify_queries(queries: list[str]) -> list[ScenarioPrediction]:
    """Scenario (and its group) of each query; LookupError when no classifier is installed."""
    _classifier()  # raise LookupError here, before a thread is used
    return await asyncio.to_thread(_predict, queries)
