"""Figures that support a decision: the ranking as a forest plot, the paired differences, and
each model's ratings on the protocol's own scale. Below MIN_N items a figure says "n too small"
instead of drawing an interval."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import plotly.graph_objects as go

from autoj.evaluate.leaderboard import LeaderboardRow
from autoj.io.results import Result
from autoj.protocols.contract import scale_of
from autoj.report.data import recorded_protocol
from autoj.report.figures import _LAYOUT, colour
from autoj.stats.paired import MIN_N, PairedDifference
from autoj.types import SingleItem


def _height(n: int) -> int:
    return max(300, 110 + 28 * n)


def ranking_forest(rows: Sequence[LeaderboardRow]) -> go.Figure | None:
    """Bradley-Terry scores (reference = 50) with 95% intervals, raw and style-controlled."""
    ranked = sorted((r for r in rows if r.bt_score is not None), key=lambda r: r.bt_score or 0.0)
    if not ranked:
        return None
    fig = go.Figure()
    series = (
        ("Bradley-Terry", [(r.bt_score, r.bt_ci_low, r.bt_ci_high) for r in ranked]),
        ("style-controlled", [(r.bt_style_score, r.bt_style_ci_low, r.bt_style_ci_high) for r in ranked]),
    )
    for n, (name, points) in enumerate(series):
        if all(p[0] is None for p in points):
            continue
        fig.add_scatter(
            name=name,
            x=[p[0] for p in points],
            y=[r.model for r in ranked],
            mode="markers",
            marker={"color": colour(n), "size": 9, "symbol": "circle" if n == 0 else "diamond"},
            error_x={
                "type": "data",
                "array": [(h - s) if s is not None and h is not None else 0 for s, _, h in points],
                "arrayminus": [(s - lo) if s is not None and lo is not None else 0 for s, lo, _ in points],
            },
        )
    fig.add_vline(x=50, line_dash="dot", line_color="grey")
    fig.update_layout(
        title="Ranking: Bradley-Terry score, reference = 50 (95% bootstrap intervals)",
        **{**_LAYOUT, "height": _height(len(ranked))},
    )
    return fig


def paired_forest(paired: Sequence[PairedDifference]) -> go.Figure | None:
    """Each pair's difference (first minus second, win-rate points; judged against each other: the
    first's win rate minus 50) with its 95% interval; a pair under MIN_N shared instructions is
    marked "n too small" and has no bar."""
    pairs = [p for p in paired if p.difference is not None]
    if not pairs:
        return None
    labels = [
        f"{p.model_a} - {p.model_b}" if p.via == "reference" else f"{p.model_a} vs {p.model_b}" for p in pairs
    ]
    fig = go.Figure()
    fig.add_scatter(
        name="difference",
        x=[p.difference for p in pairs],
        y=labels,
        mode="markers+text",
        text=[
            "n too small" if p.note else (f"p={p.p_value:.3g}" if p.p_value is not None else "")
            for p in pairs
        ],
        textposition="top center",
        marker={"color": [colour(1) if p.note else colour(0) for p in pairs], "size": 9},
        error_x={
            "type": "data",
            "array": [(p.ci_high - p.difference) if p.ci_high is not None else 0 for p in pairs],  # type: ignore[operator]
            "arrayminus": [(p.difference - p.ci_low) if p.ci_low is not None else 0 for p in pairs],  # type: ignore[operator]
        },
    )
    fig.add_vline(x=0, line_dash="dot", line_color="grey")
    fig.update_layout(
        title="Paired differences on shared instructions (win-rate points, 95% paired bootstrap)",
        **{**_LAYOUT, "height": _height(len(pairs)), "showlegend": False},
    )
    return fig


def rating_scale(results: Sequence[Result]) -> tuple[int, int] | None:
    """The rating scale of the protocol that judged these results (from their provenance), else
    the observed range."""

    ratings = [r.rating for r in results if r.rating is not None]
    if not ratings:
        return None
    name = str(next((r.provenance.get("protocol") for r in results if r.provenance.get("protocol")), ""))
    protocol = recorded_protocol(name)
    forms = protocol.contract.forms("single") if protocol is not None else ()
    if forms and (scale := scale_of(forms[0])) is not None:
        return scale
    return int(min(ratings)), int(max(ratings) + 0.999)


def rating_histograms(results: Sequence[Result]) -> go.Figure | None:
    """Each model's ratings counted on every point of the protocol's scale."""
    by_model: dict[str, list[float]] = defaultdict(list)
    for result in results:
        if isinstance(result.item, SingleItem) and result.rating is not None:
            by_model[str(result.item.meta.get("model", "ratings"))].append(result.rating)
    scale = rating_scale(results)
    if not by_model or scale is None:
        return None
    low, high = scale
    points = list(range(low, high + 1))
    fig = go.Figure()
    for n, (model, ratings) in enumerate(sorted(by_model.items())):
        counts = [sum(1 for r in ratings if round(r) == point) for point in points]
        name = (
            f"{model} (n too small: {len(ratings)})" if len(ratings) < MIN_N else f"{model} ({len(ratings)})"
        )
        fig.add_bar(name=name, x=points, y=counts, marker_color=colour(n))
    fig.update_layout(
        title=f"Ratings on the protocol's scale ({low}-{high})",
        barmode="group",
        xaxis={"tickmode": "array", "tickvals": points, "range": [low - 0.5, high + 0.5]},
        **_LAYOUT,
    )
    return fig
