"""`results_frame`: the columns people read lead, provenance comes last, and the swapped order's
two verdicts (mapped back, and raw as the judge wrote it) have names that cannot be confused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autoj import FakeBackend, Judge, PairItem, SingleItem, results_frame
from autoj.io.frames import LEAD_COLUMNS
from autoj.io.results import ResultsWriter
from autoj.types import Verdict

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

pd = pytest.importorskip("pandas")


def _pairs() -> list[PairItem]:
    rows = [json.loads(line) for line in (EXAMPLES / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    return [
        PairItem(r["prompt"], r["response 1"], r["response 2"], id=r["id"], scenario=r.get("scenario"))
        for r in rows
    ]


@pytest.fixture(scope="module")
def judged() -> tuple[list[object], list[object]]:
    with Judge(FakeBackend(), cache=False) as judge:
        pairs = judge.compare_many(_pairs(), both_orders=True)
        singles = judge.rate_many([SingleItem("Name a prime.", "7", id="s0", reference_score=4.0)])
    return pairs, singles


def test_the_columns_people_read_lead_and_provenance_comes_last(judged: tuple[list, list]) -> None:
    pairs, singles = judged
    frame = results_frame(pairs)
    columns = list(frame.columns)
    assert columns[:13] == [
        "id",
        "item.scenario",
        "verdict",
        "swapped_verdict_mapped_back",
        "consistent",
        "item.human_label",
        "status",
        "response_1_length",
        "response_2_length",
        "judgment.critique",
        "item.query",
        "item.response_1",
        "item.response_2",
    ]
    provenance = [c for c in columns if c.startswith("provenance.")]
    assert provenance and columns[-len(provenance) :] == provenance
    assert list(frame["response_1_length"]) == [len(p.item.response_1) for p in pairs]
    assert list(frame["response_2_length"]) == [len(p.item.response_2) for p in pairs]
    rated = results_frame(singles)
    assert list(rated.columns[:7]) == [
        "id",
        "item.scenario",
        "rating",
        "item.reference_score",
        "status",
        "response_length",
        "judgment.critique",
    ]
    assert rated["response_length"].iloc[0] == 1
    both = results_frame([*pairs, *singles])
    assert [c for c in both.columns if c in LEAD_COLUMNS] == [c for c in LEAD_COLUMNS if c in both.columns]


def test_the_mapped_back_verdict_and_the_raw_one_say_which_is_which(judged: tuple[list, list]) -> None:
    pairs, _ = judged
    frame = results_frame(pairs)
    assert "swapped_verdict" not in frame.columns
    mapped, raw = frame["swapped_verdict_mapped_back"], frame["swapped.verdict"]
    assert list(mapped) == [Verdict(v).swapped().value for v in raw]
    # the fake judge leans on position: some pairs flip with the order, so the two columns differ there
    assert (mapped != raw).any() and (mapped == raw).any()
    assert list(frame["consistent"]) == list(frame["judgment.verdict"] == mapped)
    assert set(frame.loc[~frame["consistent"], "verdict"]) == {"tie"}


def test_a_results_file_of_the_previous_format_gets_the_same_names(
    judged: tuple[list, list], tmp_path: Path
) -> None:
    pairs, _ = judged
    path = tmp_path / "old.jsonl"
    with ResultsWriter(path) as writer:
        for result in pairs:
            writer.write(result)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for line in lines:  # what format 2 wrote
        line["swapped_verdict"] = line.pop("swapped_verdict_mapped_back")
        line["format"] = 2
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    from_file = results_frame(path)
    assert list(from_file.columns) == list(results_frame(pairs).columns)
    assert list(from_file["swapped_verdict_mapped_back"]) == [line["swapped_verdict"] for line in lines]
