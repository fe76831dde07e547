"""The report as a reader meets it in a real browser (headless Chromium): whole axis labels, and
items listed in input order and sorted by a clicked heading, and each rating's rubric and
reference answer shown as text.

Each test renders a page, adds a probe script that runs once the plots are drawn and writes what
it measured into the page, and reads it back from Chromium's DOM dump.
"""

from __future__ import annotations

import html
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from plotly.offline import get_plotlyjs

pytest.importorskip("plotly", reason="the report needs the `report` extra (plotly)")

from tests.test_report import _chromium, _chromium_run, _write

from autoj import FakeBackend, Judge, PairItem, SingleItem, Verdict
from autoj.evaluate.leaderboard import LeaderboardRow
from autoj.protocols.rubrics import packaged_rubrics, parse_rubric_text, rubric_text
from autoj.report import evaluation_figures, load_runs, render
from autoj.report.page import _figure
from autoj.types import Rubric

#: One scenario of every group, Auto-J's longest scenario names among them.
LONG_SCENARIOS = (
    "creative_writing",
    "chitchat",
    "solving_exam_question_without_math",
    "classification_identification",
    "writing_product_description",
    "code_generation",
    "text_summarization",
    "paraphrasing",
)
GROUPS = (
    "Creative Writing", "General Communication", "Exam Questions", "NLP Tasks", "Functional Writing",
    "Code", "Summarization", "Rewriting",
)  # fmt: skip
LONG_MODELS = ("meta-llama/Llama-2-70b-chat-hf", "mistralai/Mixtral-8x7B-Instruct-v0.1", "gpt-3.5-turbo")

#: Every tick label of every plot: its text, whether it lies inside its figure, and whether the
#: legend covers it.
TICK_PROBE = """
const out = [];
document.querySelectorAll('.js-plotly-plot').forEach(div => {
  const svg = div.querySelector('svg.main-svg').getBoundingClientRect();
  const legend = div.querySelector('g.legend');
  const lr = legend ? legend.getBoundingClientRect() : null;
  div.querySelectorAll('.xaxislayer-above text, .yaxislayer-above text').forEach(t => {
    const r = t.getBoundingClientRect();
    const inside = r.left >= svg.left - 1 && r.right <= svg.right + 1 && r.top >= svg.top - 1
      && r.bottom <= svg.bottom + 1;
    const covered = lr !== null && lr.width > 0 && !(r.right < lr.left || r.left > lr.right
      || r.bottom < lr.top || r.top > lr.bottom);
    out.push({plot: div.id, text: t.textContent, inside: inside, covered: covered});
  });
});
return out;
"""


def probe(page: Path, text: str, script: str) -> Any:
    """Write `text` to `page` with `script` (a JS function body) run once the page has loaded and
    its plots are drawn; what it returns, read back from the rendered DOM."""
    runner = (
        "<script>window.addEventListener('load', () => setTimeout(() => {"
        "const pre = document.createElement('pre'); pre.id = 'probe';"
        f"pre.textContent = JSON.stringify((() => {{{script}}})());"
        "document.body.appendChild(pre); }, 1000));</script>"
    )
    page.write_text(text.replace("</body>", runner + "</body>"), encoding="utf-8")
    dom = _chromium_run(page, "--window-size=1400,2200", "--dump-dom").stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found is not None, dom[-2000:]
    return json.loads(html.unescape(found.group(1)))


def _labelled_pairs(n: int) -> list[PairItem]:
    labels = (Verdict.RESPONSE_1, Verdict.RESPONSE_2, Verdict.TIE)
    return [
        PairItem(
            query=f"Question {k}?",
            response_1="An answer. " * (1 + k % 7),
            response_2="Another answer. " * (1 + k % 4),
            id=str(k),
            scenario=LONG_SCENARIOS[k % len(LONG_SCENARIOS)],
            label=labels[k % 3],
        )
        for k in range(n)
    ]


def _clipped(ticks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t for t in ticks if not t["inside"] or t["covered"]]


def test_every_group_name_is_whole_on_the_judge_report_axes(tmp_path: Path) -> None:
    _chromium()
    pairs = _labelled_pairs(96)
    results = [
        _write(tmp_path / "judge_a.jsonl", Judge(FakeBackend(seed=0), both_orders=True), pairs),
        _write(tmp_path / "judge_b.jsonl", Judge(FakeBackend(seed=1)), pairs),
    ]
    ticks = probe(tmp_path / "report.html", render(load_runs(results)), TICK_PROBE)
    for plot in ("plot-agreement", "plot-consistency"):
        names = {t["text"] for t in ticks if t["plot"] == plot}
        assert set(GROUPS) | {"overall"} <= names, (plot, names)
    assert ticks and not _clipped(ticks), _clipped(ticks)


def test_long_scenario_and_model_names_are_whole_on_the_evaluation_axes(tmp_path: Path) -> None:
    _chromium()
    rows = [
        LeaderboardRow(
            model=model,
            win_rate=40.0 + 10 * n,
            standard_error=3.0,
            n_total=80,
            avg_length=900 + 300 * n,
            reference="text-davinci-003",
            scenario_groups={s: {"win_rate": 30.0 + k + n, "n": 10} for k, s in enumerate(LONG_SCENARIOS)},
            group_field="scenario",
        )
        for n, model in enumerate(LONG_MODELS)
    ]
    figures = [
        ("plot-board", evaluation_figures.leaderboard_bars(rows)),
        ("plot-groups", evaluation_figures.group_heatmap(rows)),
    ]
    body = "".join(f'<div style="width:650px">{_figure(f, d)}</div>' for d, f in figures)
    page = f"<html><head><script>{get_plotlyjs()}</script></head><body>{body}</body></html>"
    ticks = probe(tmp_path / "evaluation.html", page, TICK_PROBE)
    names = {t["text"] for t in ticks if t["plot"] == "plot-groups"}
    assert set(LONG_SCENARIOS) | set(LONG_MODELS) <= names, names
    assert set(LONG_MODELS) <= {t["text"] for t in ticks if t["plot"] == "plot-board"}
    assert not _clipped(ticks), _clipped(ticks)


#: The listed items (judge, id, verdict, lengths) at first, then after each header click.
SORT_PROBE = """
const listed = () => [...document.querySelectorAll('#items .item')].map(box => {
  const badges = box.querySelectorAll('.meta .badge');
  return [badges[0].textContent, box.querySelector('.meta .id').textContent.slice(3),
          badges[2].textContent.replace('verdict: ', ''),
          [...badges].find(b => b.textContent.startsWith('length ')).textContent.slice(7)];
});
const states = {default: listed()};
for (const [name, key] of [['verdict', 'verdict'], ['verdict again', 'verdict'], ['length', 'length']]) {
  document.querySelector(`#sort button[data-sort="${key}"]`).click();
  states[name] = listed();
  states[name + ' heading'] = document.querySelector(`#sort button[data-sort="${key}"]`).textContent;
}
return states;
"""


def _natural(text: str) -> list[Any]:
    """Text compared as people read it: digit runs as numbers ("rating 9" before "rating 10")."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def test_items_list_in_input_order_and_sort_by_a_clicked_heading(tmp_path: Path) -> None:
    _chromium()
    pairs = _labelled_pairs(30)
    singles = [SingleItem(f"Query {k}", "A response. " * (1 + k % 6), id=f"s{k}") for k in range(20)]
    results = [
        _write(tmp_path / "judge_a.jsonl", Judge(FakeBackend(seed=0), both_orders=True), pairs),
        _write(tmp_path / "ratings.jsonl", Judge(FakeBackend(seed=3)), singles),
    ]
    for path in results:  # as a concurrent run writes them: in the order judgments finished
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        random.Random(7).shuffle(lines)
        path.write_text("".join(lines), encoding="utf-8")
    assert [json.loads(line)["id"] for line in results[0].open()][:5] != ["0", "1", "2", "3", "4"]
    states = probe(tmp_path / "sorted.html", render(load_runs(results)), SORT_PROBE)

    expected = [("judge_a", str(k)) for k in range(30)] + [("ratings", f"s{k}") for k in range(20)]
    assert [(run, id_) for run, id_, _, _ in states["default"]] == expected

    def key(row: list[str]) -> tuple[Any, ...]:
        return _natural(row[1]), row[0]

    by_verdict = sorted(states["default"], key=key)
    by_verdict.sort(key=lambda row: _natural(row[2]))
    assert states["verdict"] == by_verdict
    assert states["verdict heading"] == "verdict / rating \u25b2"
    ratings = [row[2] for row in states["verdict"] if row[2].startswith("rating")]
    assert len(set(ratings)) > 2  # the numeric order above was put to the test
    descending = sorted(states["default"], key=key)
    descending.sort(key=lambda row: _natural(row[2]), reverse=True)
    assert states["verdict again"] == descending
    assert states["verdict again heading"] == "verdict / rating \u25bc"
    totals = [sum(int(n) for n in row[3].split(" + ")) for row in states["length"]]
    assert totals == sorted(totals) and totals != [
        sum(int(n) for n in row[3].split(" + ")) for row in states["default"]
    ]


HOSTILE_RUBRIC = Rubric(
    criteria='Is it correct? <script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">',
    scores=tuple((str(n), f"score {n} </pre><b>bold</b>") for n in range(1, 6)),
)
REFERENCE = "The answer is 4 </script><script>window.pwned = 3</script>"

#: Each listed item's id, its rubric's summary and text, its reference answer; and whether any
#: judged text ran as script.
RUBRIC_PROBE = """
const sorts = [...document.querySelectorAll('#sort button')].filter(b => b.style.display !== 'none');
return {pwned: window.pwned || 0, sorts: sorts.map(b => b.dataset.sort),
        items: [...document.querySelectorAll('#items .item')].map(box => {
  const rubric = box.querySelector('pre.rubric'), reference = box.querySelector('pre.reference');
  return [box.querySelector('.meta .id').textContent.slice(3),
          rubric ? rubric.parentElement.querySelector('summary').textContent : null,
          rubric ? rubric.textContent : null, reference ? reference.textContent : null];
})};
"""


def _rated(tmp_path: Path) -> Path:
    """Prometheus ratings: an item with its own (hostile) rubric and a reference answer, one with
    the reference only (graded against the protocol's default rubric), one with neither."""
    items = [
        SingleItem("What is 2 + 2?", "4", id="0", rubric=HOSTILE_RUBRIC, reference_answer=REFERENCE),
        SingleItem("What is 3 + 3?", "6", id="1", reference_answer="6"),
        SingleItem("Say hello.", "Hello!", id="2"),
    ]
    return _write(tmp_path / "rated.jsonl", Judge(FakeBackend(), protocol="prometheus"), items)


def test_rating_items_carry_their_rubric_and_reference_answer_as_data(tmp_path: Path) -> None:
    page = render(load_runs([_rated(tmp_path)]))
    assert "<script>window.pwned" not in page and "<img src=x" not in page
    data = re.search(r'<script type="application/json" id="items-data">(.*?)</script>', page, re.S)
    assert data is not None
    browser = json.loads(data.group(1))
    texts, items = browser["texts"], {i["id"]: i for i in browser["items"]}
    assert texts[items["0"]["rubric"]] == rubric_text(HOSTILE_RUBRIC)
    assert items["0"]["rubric_note"] == "scale 1-5"
    assert texts[items["0"]["reference_answer"]] == REFERENCE
    helpfulness = packaged_rubrics()["helpfulness"]
    for default in ("1", "2"):  # what the prometheus prompt graded them with
        assert texts[items[default]["rubric"]] == rubric_text(helpfulness)
        assert items[default]["rubric_note"] == "scale 1-5, the protocol's default"
    assert items["1"]["reference_answer"] is not None and items["2"]["reference_answer"] is None
    assert texts.count(rubric_text(helpfulness)) == 1  # one copy, however many items share it


def test_rubric_text_is_the_inline_layout_rubrics_are_read_from() -> None:
    for rubric in [*packaged_rubrics().values(), HOSTILE_RUBRIC]:
        assert parse_rubric_text(rubric_text(rubric)) == rubric


def test_rubric_and_reference_answer_show_as_text_in_chromium(tmp_path: Path) -> None:
    _chromium()
    shown = probe(tmp_path / "rated.html", render(load_runs([_rated(tmp_path)])), RUBRIC_PROBE)
    assert shown["pwned"] == 0
    assert shown["sorts"] == ["id", "run", "scenario", "verdict", "length"]  # no labels, one order
    rows = {row[0]: row[1:] for row in shown["items"]}
    summary, rubric, reference = rows["0"]
    assert rubric == rubric_text(HOSTILE_RUBRIC) and reference == REFERENCE
    assert summary.startswith("rubric (scale 1-5): [Is it correct? <script>window.pwned = 1</script>")
    helpfulness = rubric_text(packaged_rubrics()["helpfulness"])
    first_line = helpfulness.splitlines()[0][:100]
    assert rows["1"] == [f"rubric (scale 1-5, the protocol's default): {first_line}", helpfulness, "6"]
    assert rows["2"][1] == helpfulness and rows["2"][2] is None
