"""A judge's biases on pairwise verdicts: position, length and style, each beside people's when
labels exist, each with its interval.

- position: the share of decided verdicts naming the response shown first, and how often the
  verdict flips when the order is swapped;
- length: how often the longer response wins a decided verdict;
- style: how often the response with more markdown (headers, list items and bold, counted as
  Arena-Hard's style control counts them: `autoj.stats.style`) wins, among pairs whose counts
  differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scipy.stats import binomtest

from autoj.stats.metrics import (
    Interval,
    Prediction,
    map_back,
    prefers_larger_hits,
    share_of,
)
from autoj.stats.style import markdown_elements
from autoj.types import Verdict


@dataclass(frozen=True)
class Share:
    """A share in [0, 1] of `n` counted cases with its interval (None: nothing counted)."""

    value: float | None
    ci: Interval | None
    n: int

    @classmethod
    def of(cls, hits: Sequence[bool], level: float = 0.95) -> Share:
        """The share of True with its Wilson score interval, which stays honest at 0% and 100%
        (a bootstrap there collapses to a point)."""
        if not hits:
            return cls(None, None, 0)
        ci = binomtest(sum(hits), len(hits)).proportion_ci(confidence_level=level, method="wilson")
        return cls(share_of(hits), Interval(float(ci.low), float(ci.high), level), len(hits))

    def to_dict(self) -> dict[str, Any]:
        ci = None if self.ci is None else [self.ci.low, self.ci.high]
        return {"value": self.value, "ci": ci, "n": self.n}


@dataclass(frozen=True)
class BiasPanel:
    """The judge's position, length and style figures, with people's where labels exist."""

    n: int
    response_1_share: Share
    order_flips: Share
    judge_prefers_longer: Share
    human_prefers_longer: Share
    judge_prefers_more_markdown: Share
    human_prefers_more_markdown: Share

    def to_dict(self) -> dict[str, Any]:
        shares = {name: getattr(self, name).to_dict() for name in self.__dataclass_fields__ if name != "n"}
        return {"n": self.n, **shares}


def bias_panel(
    pairs: Sequence[tuple[str, str]],
    original: Sequence[Prediction],
    swapped: Sequence[Prediction | None],
    labels: Sequence[Verdict | None],
) -> BiasPanel:
    """The panel for judged pairs (response 1, response 2): the original order's verdicts, the
    swapped order's in the frame the judge saw (None where it did not run), people's labels."""
    presented = [v for v in [*original, *swapped] if v is not None and v is not Verdict.TIE]
    flips = [
        a != map_back(b) for a, b in zip(original, swapped, strict=True) if a is not None and b is not None
    ]
    final = [_final(a, b) for a, b in zip(original, swapped, strict=True)]
    lengths = [(len(r1), len(r2)) for r1, r2 in pairs]
    markdown = [(markdown_elements(r1), markdown_elements(r2)) for r1, r2 in pairs]
    return BiasPanel(
        n=len(pairs),
        response_1_share=Share.of([v is Verdict.RESPONSE_1 for v in presented]),
        order_flips=Share.of(flips),
        judge_prefers_longer=Share.of(prefers_larger_hits(lengths, final)),
        human_prefers_longer=Share.of(prefers_larger_hits(lengths, labels)),
        judge_prefers_more_markdown=Share.of(prefers_larger_hits(markdown, final)),
        human_prefers_more_markdown=Share.of(prefers_larger_hits(markdown, labels)),
    )


def _final(original: Prediction, swapped: Prediction | None) -> Prediction:
    """The verdict both orders agree on (a tie where they differ), or the one order's verdict when
    the other did not run (or failed: a released predictions file cannot tell the two apart)."""
    if swapped is None:
        return original
    back = map_back(swapped)
    if original is None or back is None:
        return None
    return original if original == back else Verdict.TIE
