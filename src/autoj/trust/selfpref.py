"""Self-preference: does a judge favour models of its own family more than other judges do?

On boards of several judges over the same models, each model's gap is this judge's
win rate minus the other judges' mean. Self-preference is the mean gap on the judge's own family's
models minus the mean gap on the other models (a judge that is simply harsher or kinder to every
model has none), with a normal interval from the rows' standard errors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autoj.evaluate.leaderboard import LeaderboardRow
from autoj.stats.ppi import MeanInterval
from autoj.stats.shift import independent_shift

#: Model families, each named by the words that mark it in a model's or a judge's name.
FAMILIES: dict[str, tuple[str, ...]] = {
    "openai": ("gpt", "openai", "o1-", "o3-"),
    "anthropic": ("claude",),
    "google": ("gemini", "gemma", "palm"),
    "meta": ("llama",),
    "mistral": ("mistral", "mixtral"),
    "qwen": ("qwen",),
    "deepseek": ("deepseek",),
    "auto-j": ("auto-j", "autoj"),
    "smollm": ("smollm",),
}


def family_of(name: str) -> str | None:
    """The family a model or judge name belongs to, when a family word appears in it."""
    lowered = name.lower()
    return next((family for family, words in FAMILIES.items() if any(w in lowered for w in words)), None)


@dataclass(frozen=True)
class ModelGap:
    model: str
    own: float
    others: float
    gap_se: float | None

    @property
    def gap(self) -> float:
        return self.own - self.others


@dataclass(frozen=True)
class SelfPreference:
    """The judge's extra win-rate points for its own family (percent), with its interval."""

    judge: str
    family: str
    estimate: MeanInterval | None
    own_family: list[ModelGap] = field(default_factory=list)
    other_models: list[ModelGap] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def gaps(found: list[ModelGap]) -> list[dict[str, Any]]:
            return [{"model": g.model, "own": g.own, "others": g.others, "gap": g.gap} for g in found]

        return {
            "judge": self.judge,
            "family": self.family,
            "estimate": None if self.estimate is None else self.estimate.to_dict(),
            "own_family": gaps(self.own_family),
            "other_models": gaps(self.other_models),
        }


def _gaps(rows: Sequence[LeaderboardRow], judge: str) -> list[ModelGap]:
    by_model: dict[str, dict[str, tuple[float, float | None]]] = {}
    for row in rows:
        if row.win_rate is not None:
            by_model.setdefault(row.model, {})[row.judge] = (row.win_rate, row.standard_error)
    found = []
    for model, judged in sorted(by_model.items()):
        own, others = judged.get(judge), [v for j, v in judged.items() if j != judge]
        if own is None or not others:
            continue
        errors = [se for _, se in [own, *others] if se is not None]
        gap_se = None
        if len(errors) == len(others) + 1:  # every row has its standard error
            own_se, other_errors = errors[0], errors[1:]
            gap_se = math.sqrt(own_se**2 + sum(e**2 for e in other_errors) / len(others) ** 2)
        found.append(ModelGap(model, own[0], sum(rate for rate, _ in others) / len(others), gap_se))
    return found


def _mean(gaps: Sequence[ModelGap]) -> tuple[float, float | None]:
    """The mean gap and its standard error (None when a row has none)."""
    value = sum(g.gap for g in gaps) / len(gaps)
    errors = [g.gap_se for g in gaps if g.gap_se is not None]
    if len(errors) < len(gaps):
        return value, None
    return value, math.sqrt(sum(e**2 for e in errors)) / len(gaps)


def self_preference(rows: Sequence[LeaderboardRow], judge: str) -> SelfPreference | None:
    """None unless the judge's family is known and the board has another judge's rows for at
    least one of that family's models."""
    family = family_of(judge)
    if family is None:
        return None
    gaps = _gaps(rows, judge)
    own = [g for g in gaps if family_of(g.model) == family]
    other = [g for g in gaps if family_of(g.model) != family]
    if not own:
        return None
    own_mean, own_se = _mean(own)
    other_mean, other_se = _mean(other) if other else (0.0, 0.0)
    estimate = (
        independent_shift(other_mean, other_se, own_mean, own_se, n=len(gaps))
        if own_se is not None and other_se is not None
        else None
    )
    return SelfPreference(judge, family, estimate, own, other)
