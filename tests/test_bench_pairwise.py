"""The pairwise benchmark on Auto-J's released predictions, the baseline, and user files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autoj.bench.data import load_eval_p, load_pairs, load_predictions
from autoj.bench.pairwise import score_predictions
from autoj.bench.pairwise_report import PairwiseReport
from autoj.data import datadir
from autoj.errors import AutojError, InputError
from autoj.io.items import FieldMap
from autoj.types import PairItem, Verdict

R1, R2, TIE = Verdict.RESPONSE_1, Verdict.RESPONSE_2, Verdict.TIE

ORIGINAL = "autoj/outputs/pairwise_example_output.jsonl"
SWAPPED = "autoj/outputs/pairwise_exchange_example_output.jsonl"


def _data(relative: str) -> Path:
    path = datadir.data_path(relative)
    if path is None:
        pytest.skip(datadir.missing_data_message(relative))
    return path


@pytest.fixture(scope="module")
def released() -> PairwiseReport:
    items = load_eval_p(path=_data("autoj/test/testdata_pairwise.jsonl"))
    return score_predictions(items, load_predictions(_data(ORIGINAL)), load_predictions(_data(SWAPPED)))


@pytest.mark.data
def test_released_autoj_predictions_score_as_published(released: PairwiseReport) -> None:
    overall = released.judge.overall
    assert overall.n == 1392
    assert round(100 * (overall.agreement or 0), 2) == 54.96  # 765 / 1392
    assert round(100 * (overall.consistency or 0), 2) == 83.41  # 1161 / 1392
    assert overall.agreement == pytest.approx(765 / 1392)
    assert overall.consistency == pytest.approx(1161 / 1392)
    assert overall.parse_failure_rate == 0.0
    assert sum(map(sum, overall.confusion)) == 1392


@pytest.mark.data
def test_released_per_group_figures(released: PairwiseReport) -> None:
    try:
        from autoj.scenarios import group_of  # noqa: F401
    except ImportError:
        pytest.skip("autoj.scenarios.group_of is not available")
    expected = {  # agreement, consistency (the paper's Table 3 row for Auto-J)
        "Summarization": (45.83, 73.61),
        "Exam Questions": (38.89, 69.44),
        "Code": (47.50, 75.83),
        "Rewriting": (49.17, 74.17),
        "Creative Writing": (59.72, 87.04),
        "Functional Writing": (61.67, 81.67),
        "General Communication": (55.21, 92.36),
        "NLP Tasks": (57.58, 86.36),
    }
    got = {
        name: (round(100 * (s.agreement or 0), 2), round(100 * (s.consistency or 0), 2))
        for name, s in released.judge.groups.items()
    }
    assert got == expected
    assert len(released.judge.scenarios) == 58
    assert all(s.n == 24 for s in released.judge.scenarios.values())


@pytest.mark.data
def test_longer_wins_baseline_on_eval_p(released: PairwiseReport) -> None:
    base = released.baseline.overall
    # characters; equal lengths (16 pairs) go to Response 2: 732 of 1,392 pairs are right
    assert base.agreement == pytest.approx(732 / 1392)
    assert round(100 * (base.agreement or 0), 1) == 52.6
    assert base.agreement_without_ties == pytest.approx(732 / 1019)
    assert round(100 * (base.agreement_without_ties or 0), 1) == 71.8
    assert base.consistency == 1.0
    assert base.tie_rate == 0.0


@pytest.mark.data
def test_cli_prints_the_published_figures() -> None:
    from autoj.cli import bench_cmds  # noqa: F401
    from autoj.cli.main import app

    args = ["bench", "pairwise", "--predictions", str(_data(ORIGINAL))]
    args += ["--swapped-predictions", str(_data(SWAPPED))]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "54.96" in result.output and "83.41" in result.output and "52.59" in result.output
    as_json = CliRunner().invoke(app, [*args, "--json"])
    report = json.loads(as_json.output)
    assert report["judge"]["overall"]["agreement"] == pytest.approx(765 / 1392)
    assert report["longer_wins_baseline"]["overall"]["consistency"] == 1.0


def test_predictions_must_line_up_with_items() -> None:
    items = [PairItem("q", "a", "bb", id="1", label=R1)]
    with pytest.raises(AutojError, match="do not line up"):
        score_predictions(items, [R1, R2], [R1])


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_user_pairs_with_mapped_labels(tmp_path: Path) -> None:
    rows = [
        {"q": "hi", "a": "hello there", "b": "yo", "pref": "first"},
        {"q": "sum", "a": "4", "b": "four, since 2 + 2 = 4", "pref": "second"},
        {"q": "x", "a": "same", "b": "same", "pref": "even", "scenario": "chitchat"},
    ]
    path = _write_jsonl(tmp_path / "mine.jsonl", rows)
    fields = FieldMap(query="q", response_1="a", response_2="b", label="pref")
    items = load_pairs(path, fields, {"first": R1, "second": R2, "even": TIE})
    assert [i.label for i in items] == [R1, R2, TIE]
    assert [i.id for i in items] == ["1", "2", "3"]
    report = score_predictions(items, [R1, R1, TIE], [R2, R2, TIE])
    # pair 1 right in both orders; pair 2 consistent but wrong; pair 3 a consistent tie
    assert report.judge.overall.agreement == pytest.approx(2 / 3)
    assert report.judge.overall.consistency == 1.0
    # the longer wins on pairs 1 and 2, and says Response 2 on the equal pair 3
    assert report.baseline.overall.agreement == pytest.approx(2 / 3)


def test_unknown_label_is_reported_with_line_and_field(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "bad.jsonl",
        [
            {"prompt": "q", "response 1": "a", "response 2": "b", "label": 0},
            {"prompt": "q", "response 1": "a", "response 2": "b", "label": "maybe"},
        ],
    )
    with pytest.raises(InputError, match=r"bad.jsonl:2 field 'label'"):
        load_pairs(path)


def test_prediction_files_keep_failures_unscored(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "p.jsonl",
        [{"output": 0}, {"output": "B"}, {"output": None}, {"output": -1}, {"output": "tie"}],
    )
    assert load_predictions(path) == [R1, R2, None, None, TIE]
    bad = _write_jsonl(tmp_path / "bad.jsonl", [{"output": 0}, {"output": 7}])
    with pytest.raises(InputError, match=r"bad.jsonl:2 field 'output'"):
        load_predictions(bad)
