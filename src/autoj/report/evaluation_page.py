"""The model-evaluation report page: the leaderboard as a table and as bars with intervals (raw and
length-controlled side by side), the model x scenario-group heatmap, win rate against length,
the judge's reliability with its warnings, and the per-instruction browser (critiques folded).
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from typing import Any

from plotly.offline import get_plotlyjs

from autoj.bench.grouping import taxonomy_group_of
from autoj.evaluate.leaderboard import LeaderboardRow
from autoj.evaluate.reliability import not_reliable_groups
from autoj.report import decision_figures
from autoj.report import evaluation_figures as figures
from autoj.report.assets import CSS
from autoj.report.bias import WARN_CSS, panel_table, warning_boxes
from autoj.report.data import recorded_protocol
from autoj.report.evaluation import Evaluation
from autoj.report.page import _figure, _Texts, base_record, browser_section
from autoj.stats.figures import name_of
from autoj.trust.trustmap import NOT_RELIABLE
from autoj.types import PairItem, Verdict
from autoj.version import __version__

OUTCOME = {Verdict.RESPONSE_1: "reference wins", Verdict.RESPONSE_2: "model wins", Verdict.TIE: "tie"}


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def board_table(rows: list[LeaderboardRow]) -> str:
    """The leaderboard as a table, AlpacaEval's columns first."""
    rate = any(r.evaluation == "rate" for r in rows)
    head: tuple[str, ...]
    body: list[tuple[str, ...]]
    if rate:
        head = ("model", "mean rating", "95% CI", "rated", "unjudged", "avg length", "judge")
        body = [
            (r.model, _num(r.mean_rating, 2), f"{_num(r.rating_ci_low, 2)} - {_num(r.rating_ci_high, 2)}",
             str(r.n_total), str(r.n_unjudged), str(r.avg_length), r.judge)
            for r in rows
        ]  # fmt: skip
    else:
        head = ("model", "win rate %", "± se", "LC win rate %", "± se", "discrete %", "wins", "losses",
                "draws", "n", "unjudged", "avg length", "judge", "reference")  # fmt: skip
        body = [
            (r.model, _num(r.win_rate), _num(r.standard_error), _num(r.length_controlled_winrate),
             _num(r.lc_standard_error), _num(r.discrete_win_rate), str(r.n_wins), str(r.n_wins_base),
             str(r.n_draws), str(r.n_total), str(r.n_unjudged), str(r.avg_length), r.judge, r.reference)
            for r in rows
        ]  # fmt: skip
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    lines = "".join(
        "<tr>"
        + "".join(f'<td class="{"num" if n else ""}">{html.escape(c)}</td>' for n, c in enumerate(cells))
        + "</tr>"
        for cells in body
    )
    return f"<table><thead><tr>{header}</tr></thead><tbody>{lines}</tbody></table>"


def _pct(value: Any) -> str:
    return "-" if not isinstance(value, int | float) else f"{100 * value:.1f}%"


def reliability_section(rows: list[LeaderboardRow]) -> str:
    """The judge's figures beside its verdicts, with the longer-wins baseline and any warnings."""
    data = next((r.reliability for r in rows if r.reliability), None)
    if not data:
        return ""
    lines = [
        f"This run ({data.get('n', 0)} pairs): {name_of('consistency')} {_pct(data.get('consistency'))}, "
        f"{name_of('response_1_share')} {_pct(data.get('response_1_share'))}, longer output wins "
        f"{_pct(data.get('prefers_longer'))} of decided pairs (people on Eval-P: "
        f"{_pct(data.get('human_prefers_longer'))})."
    ]
    bench = data.get("bench") or {}
    if bench:
        lines.append(
            f"Benchmark {bench.get('file')} ({bench.get('pairs')} labelled pairs): agreement "
            f"{_pct(bench.get('agreement'))} against {_pct(bench.get('longer_wins_agreement'))} for the "
            f"longer-response-wins baseline, consistency {_pct(bench.get('consistency'))}."
        )
    for figure in data.get("catalog") or []:
        lines.append(
            f"Published: {figure['benchmark']} {figure['metric']} {figure['value']} ({figure['source']})."
        )
    warnings = warning_boxes(data.get("warnings") or [])
    paragraphs = "".join(f'<p class="note">{html.escape(line)}</p>' for line in lines)
    name = html.escape(str(data.get("judge")))
    trust = trust_table(bench.get("groups") or {})
    biases = panel_table(data.get("bias") or {}, "The judge's biases in this run")
    return f'<section id="judge"><h2>The judge: {name}</h2>{warnings}{paragraphs}{biases}{trust}</section>'


def trust_table(groups: dict[str, dict[str, Any]]) -> str:
    """The benchmark's agreement per scenario group beside longer-wins, each group marked."""
    if not groups:
        return ""
    head = ("group", "pairs", "agreement", "longer-wins", "margin", "margin 95% CI", "")
    body = []
    for name, g in groups.items():
        low_high = g.get("margin_ci")
        interval = "-" if not low_high else f"{100 * low_high[0]:+.1f} to {100 * low_high[1]:+.1f}"
        margin = g.get("margin")
        body.append(
            (name, str(g.get("n")), _pct(g.get("agreement")), _pct(g.get("longer_wins_agreement")),
             "-" if margin is None else f"{100 * margin:+.1f}", interval,
             "" if g.get("reliable") else NOT_RELIABLE)
        )  # fmt: skip
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    lines = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"num" if 0 < n < 6 else ""}">{html.escape(c)}</td>' for n, c in enumerate(cells)
        )
        + "</tr>"
        for cells in body
    )
    caption = "<caption>Where the judge can be trusted: its benchmark agreement per scenario group</caption>"
    return f"<table>{caption}<thead><tr>{header}</tr></thead><tbody>{lines}</tbody></table>"


def item_records(evaluation: Evaluation, texts: _Texts) -> list[dict[str, Any]]:
    """One browser entry per judged (model, instruction), both orders' critiques included."""
    group_of = taxonomy_group_of()
    results = evaluation.results
    protocol = recorded_protocol(
        str(next((r.provenance.get("protocol") for r in results if r.provenance.get("protocol")), ""))
    )
    records = []
    for result in results:
        item = result.item
        model = str(item.meta.get("model", ""))
        record = base_record(model, result, texts, group_of, protocol)
        if isinstance(item, PairItem):
            verdict = result.verdict
            record["names"] = [f"reference ({item.meta.get('reference', '')})", f"model ({model})"]
            record["verdict"] = OUTCOME[verdict] if verdict is not None else "(failed)"
        records.append(record)
    return records


def render_evaluation(evaluation: Evaluation, title: str = "autoj evaluation") -> str:
    """The whole page as one string."""
    rows = evaluation.rows
    reliability = next((r.reliability for r in rows if r.reliability), {})
    plots = [
        ("plot-board", figures.leaderboard_bars(rows)),
        ("plot-groups", figures.group_heatmap(rows, excluded=not_reliable_groups(reliability))),
        ("plot-length", figures.length_scatter(rows)),
        ("plot-ranking", decision_figures.ranking_forest(rows)),
        ("plot-paired", decision_figures.paired_forest(evaluation.paired)),
        ("plot-ratings", decision_figures.rating_histograms(evaluation.results)),
    ]
    drawn = "".join(
        f'<div class="plot">{_figure(fig, div_id)}</div>' for div_id, fig in plots if fig is not None
    )
    texts = _Texts()
    records = item_records(evaluation, texts)
    browser = (
        browser_section({"items": records, "texts": texts.texts}, "model", collapsed=True, labels=False)
        if records
        else ""
    )
    method = next((r.lc_method for r in rows if r.lc_method), "")
    notes = f'<p class="note">Length control: {html.escape(method)}</p>' if method else ""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sources = ", ".join(html.escape(str(p)) for p in evaluation.sources)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{CSS}{WARN_CSS}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head><body>
<header><h1>{html.escape(title)}</h1>
<p>{len(rows)} model(s) from {sources} · autoj {__version__} · {stamp}</p></header>
<main>
<section id="leaderboard"><h2>Leaderboard</h2>{board_table(rows)}{notes}</section>
{reliability_section(rows)}
<section id="plots"><h2>Plots</h2><div class="grid">{drawn}</div></section>
{browser}
</main></body></html>
"""
