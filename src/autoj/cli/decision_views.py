"""Terminal views of a board's decisions: the Bradley-Terry ranking and the paired differences."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from autoj.evaluate.decisions import BoardRanking, Decisions
from autoj.evaluate.leaderboard import LeaderboardRow
from autoj.io.terminal import Console
from autoj.stats.paired import PairedDifference


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _interval(low: float | None, high: float | None) -> str:
    return "-" if low is None or high is None else f"{low:.1f} to {high:.1f}"


def ranking_table(rows: Sequence[LeaderboardRow], ranking: BoardRanking) -> Table:
    """Each model's Bradley-Terry score beside its style-controlled score, best first."""
    summary = ranking.summary
    separable = summary.get("separability")
    title = (
        f"Bradley-Terry ranking (reference {summary['reference']} = 50; 95% bootstrap intervals; "
        f"separability {_num(None if separable is None else 100 * separable)}%)"
    )
    table = Table(title=title)
    for name in ("model", "BT score", "95% CI", "style-controlled", "95% CI "):
        table.add_column(name, justify="left" if name == "model" else "right", no_wrap=name == "model")
    for r in sorted(rows, key=lambda r: -(r.bt_score if r.bt_score is not None else -1.0)):
        table.add_row(
            r.model,
            _num(r.bt_score),
            _interval(r.bt_ci_low, r.bt_ci_high),
            _num(r.bt_style_score),
            _interval(r.bt_style_ci_low, r.bt_style_ci_high),
        )
    return table


def paired_view(paired: Sequence[PairedDifference]) -> Table:
    """The paired differences, first minus second, in win-rate points."""
    table = Table(title="paired differences (first minus second, win-rate points; 95% paired bootstrap)")
    for name in ("model a", "model b", "via", "difference", "95% CI", "p", "n"):
        table.add_column(name, justify="left" if name.startswith("model") or name == "via" else "right")
    for p in paired:
        interval = p.note if p.note else _interval(p.ci_low, p.ci_high)
        p_value = "-" if p.p_value is None else f"{p.p_value:.3g}"
        via = "judged together" if p.via == "direct" else f"each vs {p.reference}"
        table.add_row(p.model_a, p.model_b, via, _num(p.difference, 2), interval, p_value, str(p.n))
    return table


def show_decisions(decided: Decisions, rows: Sequence[LeaderboardRow]) -> None:
    """The ranking and the paired differences, after the board."""
    console = Console(width=max(Console().width, 140))
    if decided.ranking is not None:
        console.print(ranking_table(rows, decided.ranking))
    if decided.paired:
        console.print(paired_view(decided.paired))
