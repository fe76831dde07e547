"""Win / tie / lose tallies for head-to-head comparisons (critic A against critic B)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["win", "tie", "lose"]


@dataclass(frozen=True)
class WinTieLose:
    """Counts from the first competitor's side. `failed` counts comparisons that did not parse."""

    win: int = 0
    tie: int = 0
    lose: int = 0
    failed: int = 0

    @property
    def decided(self) -> int:
        return self.win + self.tie + self.lose

    @property
    def win_rate(self) -> float | None:
        """Wins over all compared items, failures included (the Auto-J paper's figure)."""
        total = self.decided + self.failed
        return self.win / total if total else None

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "win": self.win,
            "tie": self.tie,
            "lose": self.lose,
            "failed": self.failed,
            "win_rate": self.win_rate,
        }


def tally(outcomes: Iterable[Outcome | None]) -> WinTieLose:
    """Count outcomes; None is a comparison whose judgment failed to parse."""
    counts = {"win": 0, "tie": 0, "lose": 0, "failed": 0}
    for outcome in outcomes:
        counts["failed" if outcome is None else outcome] += 1
    return WinTieLose(**counts)
