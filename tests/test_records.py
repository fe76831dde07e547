"""One record loop under every reader: `Records` collects what is wrong with a file's records."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoj.errors import InputError
from autoj.io.readers import Records


def test_records_give_the_readable_ones_and_collect_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"q": "a"}\nnot json\n{"q": 3}\n{"q": "b"}\n', encoding="utf-8")
    records = Records(path)
    kept = []
    for number, record in records:
        if not isinstance(record["q"], str):
            records.problem(number, "q", "not text")
            continue
        kept.append((number, record["q"]))
    assert kept == [(1, "a"), (4, "b")]
    assert [(p.line, p.field) for p in records.problems] == [(2, None), (3, "q")]
    assert records.unreadable == 1
    with pytest.raises(
        InputError,
        match=r"2 invalid record\(s\):\n  .*rows.jsonl:2: .*\n  .*rows.jsonl:3 field 'q': not text",
    ):
        records.check()


def test_a_clean_file_checks_quietly_and_shares_a_callers_list(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("q\nx\ny\n", encoding="utf-8")
    mine: list = []
    records = Records(path, mine)
    assert [r["q"] for _, r in records] == ["x", "y"]
    records.check()
    records.problem(2, "q", "odd")
    assert mine == records.problems and len(mine) == 1
