"""The Python API where Python users are: inside a running event loop (Jupyter), as a DataFrame."""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path

import pytest

import autoj
from autoj import FakeBackend, Judge, PairItem, SingleItem, results_frame
from autoj.io.results import ResultsWriter


def test_the_blocking_api_works_inside_a_running_event_loop() -> None:
    judge = Judge(FakeBackend(), cache=False)
    outside = judge.compare("2+2?", "4", "5", both_orders=True)

    async def notebook_cell() -> tuple[object, ...]:
        # what a Jupyter cell does: plain calls while the kernel's loop is running
        assert asyncio.get_running_loop().is_running()
        inside = judge.compare("2+2?", "4", "5", both_orders=True)
        rated = judge.rate("Name a prime.", "7")
        many = judge.compare_many([PairItem(f"q{n}", "a", "b", id=str(n)) for n in range(5)])
        awaited = await judge.acompare("2+2?", "4", "5", both_orders=True)
        return inside, rated, many, awaited

    inside, rated, many, awaited = asyncio.run(notebook_cell())
    assert inside.verdict == outside.verdict == awaited.verdict  # type: ignore[attr-defined]
    assert inside.critique == outside.critique  # type: ignore[attr-defined]
    assert rated.rating is not None  # type: ignore[attr-defined]
    assert [r.id for r in many] == ["0", "1", "2", "3", "4"]  # type: ignore[attr-defined]
    judge.close()
    judge.close()  # twice is fine


def test_a_blocking_call_from_the_judges_own_loop_is_refused_not_a_deadlock() -> None:
    judge = Judge(FakeBackend(), cache=False)

    async def reentrant() -> None:
        judge.rate("q", "r")

    with pytest.raises(RuntimeError, match="await the async form"):
        judge.run(reentrant())
    judge.close()


def test_a_failure_inside_the_loop_thread_reaches_the_caller() -> None:
    class Broken(FakeBackend):
        async def generate(self, prompts, params):  # type: ignore[no-untyped-def]
            raise RuntimeError("engine crashed")

    judge = Judge(Broken(), cache=False)
    with pytest.raises(RuntimeError, match="engine crashed"):
        judge.rate("q", "r")
    judge.close()


def test_results_frame_has_one_flat_row_per_result(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    judge = Judge(FakeBackend(), cache=False)
    pairs = judge.compare_many(
        [PairItem(f"q{n}", "a", f"b{n}", id=f"p{n}") for n in range(3)], both_orders=True
    )
    single = judge.rate_many([SingleItem("Name a prime.", "7", id="s0")])
    judge.close()
    frame = results_frame([*pairs, *single])
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["id"]) == ["p0", "p1", "p2", "s0"]
    for column in (
        "kind",
        "status",
        "verdict",
        "consistent",
        "rating",
        "item.query",
        "item.response_2",
        "judgment.critique",
        "judgment.raw",
        "swapped.verdict",
        "provenance.judge",
        "provenance.params.max_new_tokens",
    ):
        assert column in frame.columns, column
    assert not any(isinstance(v, dict) for v in frame.iloc[0])  # flat: no nested mappings left
    assert list(frame["verdict"][:3]) == [r.verdict.value if r.verdict else None for r in pairs]
    assert frame["rating"].iloc[3] == single[0].rating
    assert pd.isna(frame["rating"].iloc[0]) and pd.isna(frame["verdict"].iloc[3])
    assert list(frame["item.response_2"][:3]) == ["b0", "b1", "b2"]
    # a results file and its records give the same frame
    path = tmp_path / "results.jsonl"
    with ResultsWriter(path) as writer:
        for result in pairs:
            writer.write(result)
    from_file = results_frame(path)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert list(from_file["id"]) == ["p0", "p1", "p2"]
    assert from_file["judgment.critique"].tolist() == results_frame(records)["judgment.critique"].tolist()


def test_every_public_method_of_judge_says_what_it_does() -> None:
    public = [
        name
        for name, member in inspect.getmembers(Judge)
        if callable(member) and (not name.startswith("_") or name in ("__init__", "__enter__", "__exit__"))
    ]
    assert {"compare", "rate", "compare_many", "rate_many", "rank", "acompare", "arate", "arank"} <= set(
        public
    )
    missing = [name for name in public if not (inspect.getdoc(getattr(Judge, name)) or "").strip()]
    assert missing == []
    assert autoj.results_frame is results_frame and "results_frame" in autoj.__all__
