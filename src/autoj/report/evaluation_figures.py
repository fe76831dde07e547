"""Plotly figures of a model-evaluation report; each returns None when it has nothing to show."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import plotly.graph_objects as go

from autoj.evaluate.leaderboard import LeaderboardRow
from autoj.report.figures import _LAYOUT, colour

Z95 = 1.96
#: Beyond this many models, labels go on hover only and the bars get room for long names.
CROWDED = 8


def _layout(rows: Sequence[LeaderboardRow]) -> dict[str, object]:
    """The common layout, with the legend above the plot and room below for rotated names."""
    crowded = len(rows) > CROWDED
    return {
        **_LAYOUT,
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        "height": 520 if crowded else _LAYOUT["height"],
        "margin": {**_LAYOUT["margin"], "b": 180 if crowded else 60, "t": 80},
    }


def _errors(values: Sequence[float | None], errors: Sequence[float | None]) -> list[float]:
    return [Z95 * e if v is not None and e is not None else 0.0 for v, e in zip(values, errors, strict=True)]


def leaderboard_bars(rows: Sequence[LeaderboardRow]) -> go.Figure | None:
    """Win rate and length-controlled win rate per model, side by side, with 95% intervals; or the
    mean rating with its interval for a rating evaluation."""
    if not rows:
        return None
    models = [r.model for r in rows]
    fig = go.Figure()
    if any(r.evaluation == "rate" for r in rows):
        means = [r.mean_rating for r in rows]
        fig.add_bar(
            name="mean rating",
            x=models,
            y=means,
            marker_color=colour(0),
            error_y={
                "type": "data",
                "array": [(r.rating_ci_high or 0) - (r.mean_rating or 0) for r in rows],
                "arrayminus": [(r.mean_rating or 0) - (r.rating_ci_low or 0) for r in rows],
            },
        )
        fig.update_layout(title="Mean rating per model (95% bootstrap CI)", **_layout(rows))
        return fig
    raw = [r.win_rate for r in rows]
    lc = [r.length_controlled_winrate for r in rows]
    bars = [("win rate", "win rate", raw, [r.standard_error for r in rows])]
    if any(v is not None for v in lc):
        lc_errors = [r.lc_standard_error for r in rows]
        bars.append(("length-controlled win rate", "length-controlled", lc, lc_errors))
    for n, (name, short, values, errors) in enumerate(bars):
        fig.add_bar(
            name=name,
            x=models,
            y=values,
            marker_color=colour(n),
            error_y={"type": "data", "array": _errors(values, errors)},
            hovertemplate=f"%{{x}}: %{{y:.1f}}%<extra>{short}</extra>",
        )
    fig.add_hline(y=50, line_dash="dash", line_color="#555", annotation_text="as good as the reference")
    reference = rows[0].reference or "the reference"
    fig.update_layout(title=f"Win rate against {reference} (%, 95% CI)", barmode="group", **_layout(rows))
    fig.update_xaxes(tickangle=-45 if len(rows) > CROWDED else 0, automargin=True)
    fig.update_yaxes(range=[0, 100])
    return fig


def group_heatmap(rows: Sequence[LeaderboardRow], excluded: Collection[str] = ()) -> go.Figure | None:
    """Model x scenario group win rate, each cell with its count: where a model is weak. Groups
    `excluded` (the judge is not reliable there) are left out."""
    groups = sorted({g for r in rows for g in r.scenario_groups} - set(excluded))
    if not groups:
        return None
    z, text = [], []
    for row in rows:
        cells = [row.scenario_groups.get(g) or {} for g in groups]
        z.append([c.get("win_rate") for c in cells])
        text.append(["" if c.get("win_rate") is None else f"{c['win_rate']:.0f} ({c['n']})" for c in cells])
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=groups,
            y=[r.model for r in rows],
            text=text,
            texttemplate="%{text}",
            colorscale="RdBu",
            zmin=0,
            zmax=100,
            zmid=50,
            colorbar={"title": "win %"},
            hovertemplate="%{y} on %{x}: %{z:.1f}%<extra></extra>",
        )
    )
    by = next((r.group_field for r in rows if r.group_field), "scenario group")
    fig.update_layout(
        title=f"Win rate by {by} (%, count in brackets)",
        **{**_LAYOUT, "height": max(300, 90 + 45 * len(rows)), "showlegend": False},
    )
    fig.update_yaxes(autorange="reversed")
    return fig


def length_scatter(rows: Sequence[LeaderboardRow]) -> go.Figure | None:
    """Win rate against average output length: a board that rises with length rewards verbosity."""
    shown = [r for r in rows if r.win_rate is not None and r.avg_length]
    if not shown:
        return None
    fig = go.Figure()
    fig.add_scatter(
        name="win rate",
        x=[r.avg_length for r in shown],
        y=[r.win_rate for r in shown],
        text=[r.model for r in shown],
        mode="markers" if len(shown) > CROWDED else "markers+text",
        textposition="top center",
        marker={"color": colour(0), "size": 10},
        hovertemplate="%{text}: %{y:.1f}% at %{x} characters<extra>win rate</extra>",
    )
    lc = [r for r in shown if r.length_controlled_winrate is not None]
    if lc:
        fig.add_scatter(
            name="length-controlled",
            x=[r.avg_length for r in lc],
            y=[r.length_controlled_winrate for r in lc],
            text=[r.model for r in lc],
            mode="markers",
            marker={"color": colour(1), "size": 9, "symbol": "diamond"},
            hovertemplate="%{text}: %{y:.1f}% at %{x} characters<extra>length-controlled</extra>",
        )
    fig.update_layout(title="Win rate against average output length", **_layout(shown))
    fig.update_xaxes(title_text="average output length (characters)")
    fig.update_yaxes(title_text="win rate (%)", range=[0, 100])
    return fig
