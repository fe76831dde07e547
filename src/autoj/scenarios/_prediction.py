"""What a classifier returns for one query: a scenario, or a failure that says why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScenarioPrediction:
    """A scenario for one query. `confidence` is the model's probability for it, in [0, 1];
    None only in llm mode when the backend gives no logprobs (an unknown, not a failure)."""

    scenario: str
    group: str
    confidence: float | None

    def __str__(self) -> str:
        return self.scenario


@dataclass(frozen=True)
class ClassificationFailure:
    """No scenario could be read for a query: the raw output is kept, the reason given."""

    raw: str
    reason: str
    status: str = "parse_error"  # or "backend_error"
