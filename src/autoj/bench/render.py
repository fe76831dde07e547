"""Readable tables for benchmark reports (rich); the JSON form is each report's `to_dict`."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Group
from rich.table import Table

from autoj.bench.outcomes import WinTieLose
from autoj.bench.pairwise_report import PairwiseReport, PairwiseScores
from autoj.stats.correlation import BestOfN, Correlations
from autoj.stats.metrics import VERDICT_ORDER, Interval


def pct(value: float | None) -> str:
    """A share as a percentage with two decimals; "-" when there was nothing to count."""
    return "-" if value is None else f"{100 * value:.2f}"


def num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def ci(interval: Interval | None) -> str:
    return "-" if interval is None else f"[{pct(interval.low)}, {pct(interval.high)}]"


def _slice_table(
    title: str,
    judge: Mapping[str, PairwiseScores],
    baseline: Mapping[str, PairwiseScores],
) -> Table:
    table = Table(title=title)
    for column in ("", "n", "agreement", "consistency", "longer-wins", "parse fail"):
        table.add_column(column, justify="left" if not column else "right")
    for name, scores in judge.items():
        table.add_row(
            name,
            str(scores.n),
            pct(scores.agreement),
            pct(scores.consistency),
            pct(baseline[name].agreement),
            pct(scores.parse_failure_rate),
        )
    return table


def pairwise_tables(report: PairwiseReport, scenarios: bool = False) -> Group:
    """Overall figures, confusion matrix, per-group table (and per-scenario on request)."""
    judge, base = report.judge.overall, report.baseline.overall
    overall = Table(title=f"Pairwise: {report.meta.get('judge', 'predictions')} ({judge.n} pairs)")
    overall.add_column("metric")
    overall.add_column("judge", justify="right")
    overall.add_column("longer-wins baseline", justify="right")
    rows = [
        ("agreement (both orders = label)", pct(judge.agreement), pct(base.agreement)),
        ("  95% CI", ci(judge.agreement_ci), ci(base.agreement_ci)),
        ("consistency", pct(judge.consistency), pct(base.consistency)),
        ("  95% CI", ci(judge.consistency_ci), ci(base.consistency_ci)),
        ("agreement, original order", pct(judge.original_order_agreement), "-"),
        ("agreement, swapped order", pct(judge.swapped_order_agreement), "-"),
        (
            "agreement without human ties",
            pct(judge.agreement_without_ties),
            pct(base.agreement_without_ties),
        ),
        ("tie rate", pct(judge.tie_rate), pct(base.tie_rate)),
        ('"Response 1" share of non-ties', pct(judge.response_1_share), "-"),
        ("parse failures", pct(judge.parse_failure_rate), "-"),
        ("Cohen's kappa (original order)", num(judge.kappa), num(base.kappa)),
        (
            "prefers the longer (judge / humans)",
            f"{pct(judge.length_bias.judge_prefers_longer)} / {pct(judge.length_bias.human_prefers_longer)}",
            pct(base.length_bias.judge_prefers_longer),
        ),
    ]
    for row in rows:
        overall.add_row(*row)
    confusion = Table(title="Confusion (rows: human, columns: judge, original order)")
    confusion.add_column("")
    names = [v.value for v in VERDICT_ORDER]
    for name in names:
        confusion.add_column(name, justify="right")
    for name, counts in zip(names, judge.confusion, strict=True):
        confusion.add_row(name, *map(str, counts))
    parts: list[Table] = [
        overall,
        confusion,
        _slice_table("Per scenario group", report.judge.groups, report.baseline.groups),
    ]
    if scenarios:
        parts.append(_slice_table("Per scenario", report.judge.scenarios, report.baseline.scenarios))
    return Group(*parts)


def win_tie_lose_table(
    title: str, overall: WinTieLose, groups: Mapping[str, WinTieLose] | None = None
) -> Table:
    table = Table(title=title)
    for column in ("", "win", "tie", "lose", "failed", "win rate"):
        table.add_column(column, justify="left" if not column else "right")
    rows = [("overall", overall), *(groups or {}).items()]
    for name, counts in rows:
        table.add_row(
            name,
            str(counts.win),
            str(counts.tie),
            str(counts.lose),
            str(counts.failed),
            pct(counts.win_rate),
        )
    return table


def correlation_table(title: str, rows: Mapping[str, Correlations]) -> Table:
    table = Table(title=title)
    for column in ("", "n", "Pearson", "Spearman", "Kendall", "note"):
        table.add_column(column, justify="left" if column in ("", "note") else "right")
    for name, c in rows.items():
        table.add_row(name, str(c.n), num(c.pearson), num(c.spearman), num(c.kendall), c.note or "")
    return table


def best_of_n_table(result: BestOfN) -> Table:
    table = Table(title=f"Best-of-N ({result.groups} queries, {result.picked} picked)")
    table.add_column("mean reference score of")
    table.add_column("value", justify="right")
    table.add_row("the judge's picks", num(result.mean_picked_reference))
    table.add_row("all candidates (random pick)", num(result.mean_candidate_reference))
    table.add_row("the best candidate (oracle)", num(result.mean_oracle_reference))
    return table
