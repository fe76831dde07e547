"""Results files: naming, streamed and bounded reading, resume, the recorded judge setup, the lock,
and failed writes (disk full, read-only) that leave every line whole."""

from __future__ import annotations

import asyncio
import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest

from autoj.backends.fake import FakeBackend
from autoj.errors import AutojError, OutputBusy, RunFailure
from autoj.io.outputs import check_output, check_page_output
from autoj.io.results import Result, ResultsWriter, read_results, setup_differences, setups_in
from autoj.protocols import get_protocol
from autoj.run.engine import Engine
from autoj.types import Judgment, PairItem, SingleItem, Verdict

PAIRS = [PairItem(f"Question {n}?", f"A{n}", f"B{n}", id=f"p{n}", label=Verdict.RESPONSE_1) for n in range(6)]


def engine(seed: int = 0, both_orders: bool = False) -> Engine:
    return Engine(
        FakeBackend(seed=seed), get_protocol("autoj"), both_orders=both_orders, judge_spec=f"fake:{seed}"
    )


def judged(items: list[PairItem], seed: int = 0, both_orders: bool = False) -> list[Result]:
    return asyncio.run(engine(seed, both_orders).run(items))


def write(path: Path, results: list[Result], setup: dict[str, Any] | None = None) -> None:
    with ResultsWriter(path, setup=setup) as writer:
        for result in results:
            writer.write(result)


def line_dicts(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_verdict_code_and_human_label_have_names_that_cannot_be_confused() -> None:
    [result] = judged(PAIRS[:1])
    data = result.to_dict()
    assert "label" not in data and "label" not in data["item"]
    assert data["verdict_code"] == result.verdict.label  # type: ignore[union-attr]
    assert data["item"]["human_label"] == "response_1"
    assert Result.from_dict(data).item.label is Verdict.RESPONSE_1  # type: ignore[union-attr]


def test_a_format_1_line_still_reads_with_its_human_label_and_reference() -> None:
    [result] = judged(PAIRS[:1])
    old = result.to_dict()
    old["label"] = old.pop("verdict_code")
    old["item"]["label"] = old["item"].pop("human_label")
    old["format"] = 1
    assert Result.from_dict(old).item.label is Verdict.RESPONSE_1  # type: ignore[union-attr]
    single = Result(SingleItem("q", "r", id="s"), Judgment(kind="single", status="ok", raw="x", rating=3.0))
    data = single.to_dict()
    data["item"]["reference"] = data["item"].pop("reference_score")
    data["item"]["reference"] = 7.0
    assert Result.from_dict(data).item.reference_score == 7.0  # type: ignore[union-attr]


def test_every_line_records_the_engine_setup(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    run = engine(3, both_orders=True)
    write(out, asyncio.run(run.run(PAIRS)), run.setup())
    for line in line_dicts(out):
        setup = line["provenance"]["setup"]
        assert setup == run.setup()
        assert setup["backend"] == {"backend": "fake", "model": "fake-seed3"}
        assert setup["protocol"] == "autoj@1" and setup["both_orders"] is True
        assert setup["params"]["max_new_tokens"] == 1024 and "concurrency" not in setup


def test_setup_differences_name_each_field_and_ignore_the_spec_spelling() -> None:
    a, b = engine(0).setup(), engine(3).setup()
    assert setup_differences(a, b) == ["backend.model 'fake-seed0' there, 'fake-seed3' now"]
    assert setup_differences(a, {**a, "judge": "fake:delay=1"}) == []
    legacy = {"backend": a["backend"], "protocol": a["protocol"]}  # an older line's provenance
    assert setup_differences(legacy, a) == [] and setup_differences(legacy, b) != []


def test_resume_with_the_same_setup_skips_done_ids(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    write(out, judged(PAIRS[:3]), engine().setup())
    with ResultsWriter(out, setup=engine().setup()) as writer:
        assert writer.done == {"p0", "p1", "p2"}


def test_resume_with_another_judge_is_refused_and_says_what_differs(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    write(out, judged(PAIRS[:3]), engine().setup())
    before = out.read_bytes()
    with pytest.raises(AutojError) as caught:
        ResultsWriter(out, setup=engine(3).setup())
    message = str(caught.value)
    assert "another judge setup" in message and "backend.model 'fake-seed0' in the file" in message
    assert "--overwrite" in message and "another output" in message
    assert out.read_bytes() == before
    with ResultsWriter(out, overwrite=True, setup=engine(3).setup()) as writer:
        assert writer.done == set()


def test_resume_with_both_orders_over_a_one_order_file_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    write(out, judged(PAIRS[:2]), engine().setup())
    with pytest.raises(AutojError, match="both_orders False in the file, True in this run"):
        ResultsWriter(out, setup=engine(both_orders=True).setup())


def test_an_old_file_without_setups_resumes_only_with_the_same_backend(tmp_path: Path) -> None:
    out = tmp_path / "old.jsonl"
    lines = []
    for result in judged(PAIRS[:2]):
        data = result.to_dict()
        del data["provenance"]["setup"]
        lines.append(json.dumps(data) + "\n")
    out.write_text("".join(lines), encoding="utf-8")
    with ResultsWriter(out, setup=engine().setup()) as writer:
        assert writer.done == {"p0", "p1"}
    with pytest.raises(AutojError, match=r"backend\.model"):
        ResultsWriter(out, setup=engine(5).setup())
    assert [r.id for r in read_results(out)] == ["p0", "p1"]


def test_setups_in_counts_each_setup_once() -> None:
    results = judged(PAIRS[:4]) + judged(PAIRS[4:], seed=2)
    found = setups_in(results)
    assert [count for _, count in found] == [4, 2]


def test_resume_drops_backend_errors_and_a_cut_off_line_and_leaves_no_tmp(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    results = judged(PAIRS[:3])
    failed = Result(PAIRS[3], Judgment(kind="pairwise", status="backend_error", raw="", reason="down"))
    write(out, [*results, failed])
    with out.open("ab") as handle:
        handle.write(b'{"id": "p4", "kind": "pair')  # the run was killed mid-line
    with ResultsWriter(out) as writer:
        assert writer.done == {"p0", "p1", "p2"} and writer.retried == {"p3"}
    assert [d["id"] for d in line_dicts(out)] == ["p0", "p1", "p2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.jsonl"]


def test_a_last_line_without_newline_gets_one_before_anything_is_appended(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    first, second = judged(PAIRS[:2])
    out.write_text(json.dumps(first.to_dict()), encoding="utf-8")  # a valid line, no "\n"
    write(out, [second])
    assert [d["id"] for d in line_dicts(out)] == ["p0", "p1"]


def test_invalid_bytes_in_a_results_file_name_the_line(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    write(out, judged(PAIRS[:2]))
    data = out.read_bytes().split(b"\n")
    out.write_bytes(data[0] + b"\n" + b"\xff\xfe garbage\n" + data[1] + b"\n")
    with pytest.raises(RunFailure, match=r"r\.jsonl:2: invalid UTF-8 at byte 0"):
        list(read_results(out))
    with pytest.raises(RunFailure, match=r"r\.jsonl:2: invalid UTF-8.*--overwrite"):
        ResultsWriter(out)


def test_lines_are_read_one_at_a_time_with_a_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "big.jsonl"
    out.write_bytes(b"x" * 5000)  # no newline: what `-o /dev/zero` would look like, bounded
    monkeypatch.setattr("autoj.io.results.MAX_LINE_BYTES", 1000)
    with pytest.raises(RunFailure, match=r"big\.jsonl:1: a line over"):
        list(read_results(out))
    with pytest.raises(RunFailure, match="a line over"):
        ResultsWriter(out)


def test_a_second_writer_on_the_same_output_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    with ResultsWriter(out) as writer:
        writer.write(judged(PAIRS[:1])[0])
        with pytest.raises(OutputBusy, match="another autoj run"):
            ResultsWriter(out)
    ResultsWriter(out).close()  # free again once the first one is done


def test_the_lock_follows_the_file_a_resume_rewrote(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    write(out, judged(PAIRS[:1]))
    with out.open("ab") as handle:
        handle.write(b'{"cut')
    inode = out.stat().st_ino
    with ResultsWriter(out):
        assert out.stat().st_ino != inode  # replaced by the rewrite
        with pytest.raises(OutputBusy):
            ResultsWriter(out)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EFBIG])
def test_a_failed_write_keeps_every_line_whole_and_the_next_run_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    out = tmp_path / "r.jsonl"
    results = judged(PAIRS)
    real_write = os.write
    calls = {"n": 0}

    def failing_write(fd: int, data: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 3:  # the third line: half of it lands, then the device gives up
            real_write(fd, bytes(data[: len(data) // 2]))
            raise OSError(code, os.strerror(code))
        return real_write(fd, data)

    monkeypatch.setattr("autoj.io.results.os.write", failing_write)
    with pytest.raises(RunFailure) as caught, ResultsWriter(out) as writer:
        for result in results:
            writer.write(result)
    assert str(out) in str(caught.value) and os.strerror(code) in str(caught.value)
    assert "2 results written by this run are kept" in str(caught.value)
    assert [d["id"] for d in line_dicts(out)] == ["p0", "p1"]  # whole lines only
    monkeypatch.undo()
    with ResultsWriter(out) as writer:
        assert writer.done == {"p0", "p1"}


def test_a_rewrite_that_cannot_be_written_leaves_the_file_and_no_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r.jsonl"
    write(out, judged(PAIRS[:2]))
    with out.open("ab") as handle:
        handle.write(b'{"cut')
    before = out.read_bytes()

    def read_only(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path))

    monkeypatch.setattr("autoj.io.results.tempfile.mkstemp", read_only)
    with pytest.raises(RunFailure, match="Read-only file system"):
        ResultsWriter(out)
    assert out.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["r.jsonl"]


def test_outputs_must_be_regular_files_or_new_paths(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path, kind in (("/dev/full", "character device"), (tmp_path, "directory"), (fifo, "FIFO")):
        with pytest.raises(AutojError, match=f"is a {kind}"):
            check_output(path)
    assert check_output(tmp_path / "new.jsonl") == tmp_path / "new.jsonl"
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(AutojError, match="a link to a missing file"):
        check_output(dangling)


def test_an_output_is_never_an_input_even_through_a_link(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("{}\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(source)
    with pytest.raises(AutojError, match="is the input file"):
        check_output(link, [source])
    with pytest.raises(AutojError, match="is the input file"):
        ResultsWriter(source, overwrite=True, inputs=[link])
    assert source.read_text() == "{}\n"


def test_a_page_never_replaces_a_records_file(tmp_path: Path) -> None:
    results = tmp_path / "r.txt"
    results.write_text('{"id": 1}\n')
    with pytest.raises(AutojError, match="already holds records"):
        check_page_output(results)
    page = tmp_path / "old.html"
    page.write_text("<html></html>")
    assert check_page_output(page) == page


def test_a_rewrite_killed_midway_leaves_nothing_after_the_next_start(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    write(out, judged(PAIRS[:1]))
    (tmp_path / ".r.jsonl.k3j9x.tmp").write_bytes(b'{"id": "p0"')  # what kill -9 mid-rewrite leaves
    (tmp_path / ".other.jsonl.k3j9x.tmp").write_bytes(b"not ours")
    with ResultsWriter(out) as writer:
        assert writer.done == {"p0"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.jsonl.k3j9x.tmp", "r.jsonl"]


def test_a_result_that_cannot_be_encoded_stops_with_its_item_named(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    bad = Result(
        SingleItem("q\ud800", "r", id="s1"), Judgment(kind="single", status="ok", raw="x", rating=3.0)
    )
    with ResultsWriter(out) as writer:
        writer.write(judged(PAIRS[:1])[0])
        with pytest.raises(RunFailure, match="item 's1' holds text that is not valid Unicode"):
            writer.write(bad)
    assert [d["id"] for d in line_dicts(out)] == ["p0"]


def test_a_rewrite_keeps_a_linked_output_a_link_and_the_file_mode(tmp_path: Path) -> None:
    real = tmp_path / "store" / "r.jsonl"
    real.parent.mkdir()
    write(real, judged(PAIRS[:2]))
    with real.open("ab") as handle:
        handle.write(b'{"cut')  # forces a rewrite
    real.chmod(0o640)
    link = tmp_path / "r.jsonl"
    link.symlink_to(real)
    with ResultsWriter(link) as writer:
        assert writer.done == {"p0", "p1"}
    assert link.is_symlink() and [d["id"] for d in line_dicts(real)] == ["p0", "p1"]
    assert real.stat().st_mode & 0o777 == 0o640
