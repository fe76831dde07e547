"""The record for one evaluation criterion, shared by our criteria and the authors' format."""

from __future__ import annotations

from dataclasses import dataclass

CRITERION_TYPES = ("content", "format", "style")
"""What a criterion judges: what is said, how it is laid out, or how it is worded."""


@dataclass(frozen=True)
class Criterion:
    """One thing a judge should check. `source` is `file:key` where it was defined."""

    name: str
    description: str
    type: str
    weight: int
    source: str
