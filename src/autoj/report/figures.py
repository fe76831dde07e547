"""Plotly figures of a report, one function per plot; each returns None when it has nothing to show."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from autoj.bench.grouping import taxonomy_group_of
from autoj.report.data import Run
from autoj.stats.metrics import VERDICT_ORDER

PALETTE = ("#3366cc", "#dc7633", "#2e9d5b", "#b03a8c", "#7f8c8d", "#c0392b", "#16a2b8", "#8e6c3a")
_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "margin": {"l": 60, "r": 20, "t": 50, "b": 20},
    # below everything, tick labels included: the legend sits at the foot of the figure, and the
    # axes' automargin (see `legible`) makes room above it for the longest category name
    "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom"},
    "height": 380,
    "showlegend": True,
}
VERDICT_NAMES = {"response_1": "Response 1", "response_2": "Response 2", "tie": "Tie"}


def colour(n: int) -> str:
    return PALETTE[n % len(PALETTE)]


def legible(fig: go.Figure) -> go.Figure:
    """Every axis of every panel grows its margin to fit its tick labels, so no category name
    ("Creative Writing", a long model name) is cut at the figure's edge (plotly.js before 3 leaves
    automargin off); returns the figure."""
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def group_bars(runs: Sequence[Run], metric: str) -> go.Figure | None:
    """Per-group agreement or consistency with 95% bootstrap intervals, one bar series per judge."""
    group_of = taxonomy_group_of()
    shown = [r for r in runs if (r.labelled_pairs if metric == "agreement" else r.both_orders)]
    if not shown:
        return None
    groups = sorted({g for r in shown for g in r.groups(group_of)})
    names = [*groups, "overall"]
    fig = go.Figure()
    for run in shown:
        shares = [run.share(metric, g, group_of) for g in groups] + [run.share(metric)]
        label = run.name if run.both_orders or metric != "agreement" else f"{run.name} (one order)"
        fig.add_bar(
            name=label,
            x=names,
            y=[100 * s.value if s.value is not None else None for s in shares],
            marker_color=colour(runs.index(run)),
            error_y={
                "type": "data",
                "array": [
                    100 * (s.high - s.value) if s.value is not None and s.high is not None else 0
                    for s in shares
                ],
                "arrayminus": [
                    100 * (s.value - s.low) if s.value is not None and s.low is not None else 0
                    for s in shares
                ],
                "visible": True,
            },
            customdata=[s.n for s in shares],
            hovertemplate="%{x}: %{y:.1f}% (n=%{customdata})<extra>" + label + "</extra>",
        )
    baseline = next((r.baseline for r in shown if r.baseline is not None), None)
    if metric == "agreement" and baseline is not None:
        values = [baseline.groups[g].agreement if g in baseline.groups else None for g in groups]
        fig.add_bar(
            name="longer response wins (baseline)",
            x=names,
            y=[100 * v if v is not None else None for v in [*values, baseline.overall.agreement]],
            marker_color="#b8bcc2",
            hovertemplate="%{x}: %{y:.1f}%<extra>longer wins</extra>",
        )
    title = {"agreement": "Agreement with human labels", "consistency": "Consistency across orders"}[metric]
    fig.update_layout(title=f"{title} by scenario group (%, 95% CI)", barmode="group", **_LAYOUT)
    fig.update_yaxes(range=[0, 100])
    return fig


def confusion(runs: Sequence[Run]) -> go.Figure | None:
    """Human label (rows) x judge verdict (columns), original order, one panel per judge."""
    labelled = [r for r in runs if r.scores is not None]
    if not labelled:
        return None
    fig = make_subplots(
        rows=1, cols=len(labelled), subplot_titles=[r.name for r in labelled], shared_yaxes=True
    )
    names = [VERDICT_NAMES[v.value] for v in VERDICT_ORDER]
    for n, run in enumerate(labelled, start=1):
        matrix = run.scores.overall.confusion if run.scores else []
        fig.add_trace(
            go.Heatmap(
                z=matrix,
                x=names,
                y=names,
                colorscale="Blues",
                showscale=False,
                text=matrix,
                texttemplate="%{text}",
                hovertemplate="label %{y}, judge %{x}: %{z}<extra></extra>",
            ),
            row=1,
            col=n,
        )
        fig.update_xaxes(title_text="judge verdict", row=1, col=n)
        fig.update_yaxes(title_text="human label" if n == 1 else "", autorange="reversed", row=1, col=n)
    fig.update_layout(title="Confusion matrix (original order)", **{**_LAYOUT, "height": 360})
    return fig


def position_bias(runs: Sequence[Run]) -> go.Figure | None:
    """Share of non-tie verdicts naming the response shown first; 50% is unbiased."""
    with_pairs = [r for r in runs if r.pairs]
    if not with_pairs:
        return None
    fig = go.Figure()
    for n, run in enumerate(with_pairs):
        orders = ["as given"] + (["swapped"] if run.both_orders else [])
        shares = [run.response_1_share(False)] + ([run.response_1_share(True)] if run.both_orders else [])
        fig.add_bar(
            name=run.name,
            x=orders,
            y=[100 * s if s is not None else None for s in shares],
            marker_color=colour(runs.index(run) if run in runs else n),
        )
    fig.add_hline(y=50, line_dash="dash", line_color="#555", annotation_text="no position bias")
    fig.update_layout(
        title="Position bias: verdicts naming the first-shown response (% of non-tie)",
        barmode="group",
        **_LAYOUT,
    )
    fig.update_yaxes(range=[0, 100])
    return fig


def length_bias(runs: Sequence[Run]) -> go.Figure | None:
    """Preference for Response 1 against its relative length: a rising curve means length bias."""
    with_pairs = [r for r in runs if r.pairs]
    if not with_pairs:
        return None
    fig = go.Figure()
    human_drawn = False
    for run in with_pairs:
        curve = run.length_curve
        fig.add_scatter(
            name=run.name,
            x=curve.centers,
            y=[100 * v if v is not None else None for v in curve.judge],
            mode="lines+markers",
            line={"color": colour(runs.index(run))},
            customdata=curve.counts,
            hovertemplate="%{y:.0f}% (%{customdata} pairs)<extra></extra>",
        )
        if not human_drawn and any(v is not None for v in curve.human):
            fig.add_scatter(
                name="human labels",
                x=curve.centers,
                y=[100 * v if v is not None else None for v in curve.human],
                mode="lines+markers",
                line={"color": "#222", "dash": "dot"},
            )
            human_drawn = True
    fig.update_layout(
        title="Length bias: Response 1 chosen (% of non-tie) by relative length difference",
        **_LAYOUT,
    )
    fig.update_xaxes(title_text="(len1 - len2) / (len1 + len2): Response 1 shorter <-> longer")
    fig.update_yaxes(range=[0, 100])
    return fig


def rating_histogram(runs: Sequence[Run]) -> go.Figure | None:
    """How often each rating 1-10 was given, one series per judge."""
    rated = [r for r in runs if r.rating_counts]
    if not rated:
        return None
    fig = go.Figure()
    for run in rated:
        fig.add_bar(
            name=run.name,
            x=list(range(1, 11)),
            y=[run.rating_counts.get(k, 0) for k in range(1, 11)],
            marker_color=colour(runs.index(run)),
        )
    fig.update_layout(title="Ratings given", barmode="group", **_LAYOUT)
    fig.update_xaxes(title_text="rating", dtick=1)
    fig.update_yaxes(title_text="responses")
    return fig
