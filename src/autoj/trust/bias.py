"""The bias panel of pairwise results or of predictions made elsewhere (autoj.stats.bias)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from autoj.io.results import Result
from autoj.stats.bias import BiasPanel, bias_panel
from autoj.stats.metrics import Prediction
from autoj.types import PairItem


def panel_of_results(results: Sequence[Result]) -> BiasPanel | None:
    """The panel of a results file's pairwise results; None when it has none."""
    pairs = [(r, r.item) for r in results if isinstance(r.item, PairItem)]
    if not pairs:
        return None
    return bias_panel(
        [(item.response_1, item.response_2) for _, item in pairs],
        [r.judgment.verdict for r, _ in pairs],
        [r.swapped.verdict if r.swapped is not None else None for r, _ in pairs],
        [item.label for _, item in pairs],
    )


def panel_of_predictions(
    items: Sequence[PairItem],
    original: Sequence[Prediction],
    swapped: Sequence[Prediction] | None,
) -> BiasPanel:
    """The panel of verdicts made elsewhere, line by line with the items."""
    return bias_panel(
        [(item.response_1, item.response_2) for item in items],
        original,
        swapped if swapped is not None else [None] * len(items),
        [item.label for item in items],
    )


def _share_text(data: Mapping[str, Any]) -> str:
    if data.get("value") is None:
        return "- (n too small)" if data.get("n", 0) else "-"
    ci = data.get("ci")
    interval = f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]" if ci else ""
    return f"{100 * data['value']:.1f}%{interval} (n={data['n']})"


#: (row label, the judge's figure, people's figure or None) in the order every panel shows them.
PANEL_ROWS = (
    ("position: verdicts naming the response shown first", "response_1_share", None),
    ("position: verdicts that flip when the order is swapped", "order_flips", None),
    ("length: the longer response wins", "judge_prefers_longer", "human_prefers_longer"),
    (
        "style: the response with more markdown wins",
        "judge_prefers_more_markdown",
        "human_prefers_more_markdown",
    ),
)


def panel_lines(data: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The panel (its `to_dict()` form) as (figure, judge, people) texts, for the terminal and the
    report alike."""
    lines = []
    for label, judge, people in PANEL_ROWS:
        lines.append((label, _share_text(data[judge]), _share_text(data[people]) if people else ""))
    return lines
