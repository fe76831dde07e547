"""The report page: one self-contained HTML file (plotly.js inline, item data as escaped JSON).

Judged text and critiques reach the page only as JSON inside a script element with every `<`
escaped, and the item browser inserts them with `textContent`, so text from a results file can
never become markup or script.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from autoj.bench.grouping import GroupOf, taxonomy_group_of
from autoj.evaluate.reliability import reliability
from autoj.io.results import Result
from autoj.protocols import JudgeProtocol
from autoj.protocols.rubrics import rubric_text
from autoj.report import figures
from autoj.report.assets import BROWSER_JS, CSS
from autoj.report.bias import WARN_CSS, panel_table, warning_boxes
from autoj.report.data import Run, recorded_protocol
from autoj.stats.figures import definition_of, name_of
from autoj.types import PairItem
from autoj.version import __version__

#: Characters of each text kept in the item browser (the results file has the rest).
TEXT_LIMIT = 4000


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def _ci(run: Run, metric: str) -> str:
    share = run.share(metric)
    if share.value is None:
        return "-"
    text = f"{100 * share.value:.1f}"
    if share.low is not None and share.high is not None:
        text += f" [{100 * share.low:.1f}, {100 * share.high:.1f}]"
    return text + (" (one order)" if metric == "agreement" and not run.both_orders else "")


#: The summary table's columns: heading and, for a figure, its key in autoj.stats.figures.FIGURES.
SUMMARY_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("judge file", None), ("judge", None), ("model", None), ("protocol", None), ("items", None),
    ("both orders", None), ("labelled pairs", None),
    (f"{name_of('agreement')} % [95% CI]", "agreement"),
    (f"{name_of('longer_wins_agreement')} %", "longer_wins_agreement"),
    (f"{name_of('consistency')} % [95% CI]", "consistency"),
    (f"{name_of('tie_rate')} %", "tie_rate"),
    (name_of("kappa"), "kappa"),
    ("parse failures", None),
    ("mean rating", None),
)  # fmt: skip


def run_figures(run: Run) -> dict[str, Any]:
    """A run's figures as the page's data block holds them: the FIGURES keys, shares in [0, 1]."""
    overall = run.scores.overall if run.scores else None
    return {
        **run.figures.to_dict(),
        "longer_wins_agreement": run.baseline.overall.agreement if run.baseline else None,
        "kappa": overall.kappa if overall else None,
        "parse_failures": run.parse_failures,
        "mean_rating": run.mean_rating(),
    }


def summary_table(runs: Sequence[Run]) -> str:
    """One row per judge: what it is and its headline figures; a figure's heading carries its
    definition (hover), and the same figures are on the page as data (`figures-data`)."""
    rows = []
    for run in runs:
        data = run_figures(run)
        kappa, mean = data["kappa"], data["mean_rating"]
        cells = (
            (run.name, False), (run.judge, False), (run.model, False), (run.protocol, False),
            (str(run.items), True), ("yes" if run.both_orders else "no", False), (str(run.labelled), True),
            (_ci(run, "agreement"), True), (_pct(data["longer_wins_agreement"]), True),
            (_ci(run, "consistency"), True), (_pct(run.figures.tie_rate), True),
            ("-" if kappa is None else f"{kappa:.3f}", True), (str(run.parse_failures), True),
            ("-" if mean is None else f"{mean:.2f}", True),
        )  # fmt: skip
        rows.append(
            "<tr>"
            + "".join(
                f'<td class="num">{html.escape(c)}</td>' if num else f"<td>{html.escape(c)}</td>"
                for c, num in cells
            )
            + "</tr>"
        )
    header = "".join(
        f'<th title="{html.escape(definition_of(key))}">{html.escape(h)}</th>'
        if key
        else f"<th>{html.escape(h)}</th>"
        for h, key in SUMMARY_COLUMNS
    )
    data = {run.name: run_figures(run) for run in runs}
    return (
        f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>\n"
        f'<script type="application/json" id="figures-data">{_json_for_script(data)}</script>'
    )


def _cut(text: str) -> str:
    return (
        text
        if len(text) <= TEXT_LIMIT
        else text[:TEXT_LIMIT] + f" ... [{len(text) - TEXT_LIMIT} more characters]"
    )


class _Texts:
    """Each distinct text stored once: runs over the same items share their queries and responses."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._index: dict[str, int] = {}

    def ref(self, text: str) -> int:
        cut = _cut(text)
        if cut not in self._index:
            self._index[cut] = len(self.texts)
            self.texts.append(cut)
        return self._index[cut]


def base_record(
    run: str, result: Result, texts: _Texts, group_of: GroupOf, protocol: JudgeProtocol | None
) -> dict[str, Any]:
    """What every item browser shows of a result (the page adds its verdict wording): its run,
    scenario, texts (by index), the rubric the judge graded against (the item's, or the
    `protocol`'s default) and the reference answer it was given, critiques, and what the list
    sorts on."""
    item = result.item
    responses = [item.response_1, item.response_2] if isinstance(item, PairItem) else [item.response]
    rubric = protocol.rubric_for(item) if protocol is not None else item.rubric
    reference = item.reference_answer
    return {
        "run": run,
        "id": result.id,
        "kind": result.kind,
        "scenario": item.scenario or "unknown",
        "group": group_of(item.scenario),
        "status": result.status,
        "reason": "; ".join(
            j.reason for j in (result.judgment, result.swapped) if j is not None and j.reason
        ),
        "query": texts.ref(item.query),
        "responses": [texts.ref(r) for r in responses],
        "lengths": [len(r) for r in responses],
        "rubric": texts.ref(rubric_text(rubric)) if rubric is not None else None,
        "rubric_note": ""
        if rubric is None
        else f"scale {rubric.scale}" + ("" if item.rubric is not None else ", the protocol's default"),
        "reference_answer": texts.ref(reference) if reference is not None else None,
        "critique": texts.ref(result.critique),
        "swapped_critique": texts.ref(result.swapped.critique) if result.swapped is not None else None,
        "consistent": result.consistent,
        "verdict": f"rating {result.rating:g}" if result.rating is not None else "(failed)",
        "label": None,
        "agrees": None,
    }


def item_records(runs: Sequence[Run], texts: _Texts) -> list[dict[str, Any]]:
    """What the item browser shows and filters on, per judged item of every run (texts by index)."""
    group_of = taxonomy_group_of()
    records = []
    for run in runs:
        results: list[Result] = [*run.pairs, *run.singles]
        protocol = recorded_protocol(run.protocol)
        for result in results:
            record = base_record(run.name, result, texts, group_of, protocol)
            item = result.item
            if isinstance(item, PairItem):
                verdict = result.verdict
                record["verdict"] = verdict.value if verdict else "(failed)"
                record["label"] = item.label.value if item.label else None
                record["agrees"] = None if item.label is None or verdict is None else verdict == item.label
            records.append(record)
    return records


def _json_for_script(data: Any) -> str:
    """JSON safe inside <script>: no `<`, so no `</script>` or `<!--` can end it early."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _figure(fig: go.Figure | None, div_id: str) -> str:
    if fig is None:
        return ""
    return figures.legible(fig).to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        default_width="100%",
        config={"displaylogo": False, "displayModeBar": False, "responsive": True},
    )


def _browser_data(runs: Sequence[Run]) -> dict[str, Any]:
    texts = _Texts()
    records = item_records(runs, texts)
    return {"items": records, "texts": texts.texts}


def bias_section(runs: Sequence[Run]) -> str:
    """Each pairwise run's bias panel, with the warnings its verdicts call for."""

    parts = []
    for run in runs:
        if not run.pairs:
            continue
        judged = reliability(run.judge, run.pairs)
        parts.append(warning_boxes(judged.warnings) + panel_table(judged.bias, f"{run.name}: biases"))
    return f'<section id="biases"><h2>Biases</h2>{"".join(parts)}</section>' if parts else ""


def render(runs: Sequence[Run], title: str = "autoj report") -> str:
    """The whole report page as one string."""
    plots = [
        ("plot-agreement", figures.group_bars(runs, "agreement")),
        ("plot-consistency", figures.group_bars(runs, "consistency")),
        ("plot-confusion", figures.confusion(runs)),
        ("plot-position", figures.position_bias(runs)),
        ("plot-length", figures.length_bias(runs)),
        ("plot-ratings", figures.rating_histogram(runs)),
    ]
    drawn = [(div_id, fig) for div_id, fig in plots if fig is not None]
    notes = []
    if not any(r.scores for r in runs):
        notes.append("No result carries a human label: agreement and the confusion matrix are not shown.")
    if not any(r.both_orders for r in runs):
        notes.append("No run judged both orders: consistency needs `--both-orders`.")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sources = ", ".join(html.escape(str(r.path)) for r in runs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{CSS}{WARN_CSS}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head><body>
<header><h1>{html.escape(title)}</h1>
<p>{len(runs)} judge run(s) from {sources} · autoj {__version__} · {stamp}</p></header>
<main>
<section id="summary"><h2>Summary</h2>{summary_table(runs)}
{"".join(f'<p class="note">{html.escape(n)}</p>' for n in notes)}</section>
{bias_section(runs)}
<section id="plots"><h2>Plots</h2><div class="grid">
{"".join(f'<div class="plot">{_figure(fig, div_id)}</div>' for div_id, fig in drawn)}
</div></section>
{browser_section(_browser_data(runs), "judge")}
</main></body></html>
"""


#: The item list's sort headings: the key the page's script sorts on, and its heading.
SORT_HEADINGS: tuple[tuple[str, str], ...] = (
    ("id", "id"), ("run", "judge"), ("scenario", "scenario"), ("verdict", "verdict / rating"),
    ("consistent", "same verdict when swapped"), ("agrees", "agrees with the label"),
    ("length", "length (characters)"),
)  # fmt: skip


def browser_section(
    data: dict[str, Any], run_label: str, collapsed: bool = False, labels: bool = True
) -> str:
    """The item browser: filters, the list, and its data; `collapsed` folds the critiques, and
    `labels` offers the "disagrees with the label" filter."""
    payload = {**data, "collapsed": collapsed}
    disagree = '<input type="checkbox" id="f-disagree"> disagrees with the label'
    hidden = "" if labels else ' style="display:none"'
    sorts = [(key, run_label if key == "run" else heading) for key, heading in SORT_HEADINGS]
    buttons = "".join(
        f'<button type="button" data-sort="{key}">{html.escape(heading)}</button>'
        for key, heading in sorts
        if labels or key != "agrees"
    )
    return f"""<section id="browser"><h2>Items</h2>
<div id="filters">
<label>{html.escape(run_label)} <select id="f-run"><option value="">all</option></select></label>
<label>scenario <select id="f-scenario"><option value="">all</option></select></label>
<label>verdict <select id="f-verdict"><option value="">all</option></select></label>
<label{hidden}>{disagree}</label>
<label>search <input type="search" id="f-text" placeholder="query or critique"></label>
<span id="count" class="note"></span></div>
<div id="sort" role="toolbar" aria-label="sort the items">sort by {buttons}</div>
<div id="items"></div><button id="more" type="button">show more</button>
</section>
<script type="application/json" id="items-data">{_json_for_script(payload)}</script>
<script>{BROWSER_JS}</script>"""
