"""Quoted TSV on request (`autoj --tsv-quotes COMMAND`, `autoj.io.readers.tsv_quotes`): a quoted
field may hold a tab and a doubled quote; without the flag a TSV's quotes stay text, as before."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autoj.errors import InputError
from autoj.io.items import load_items
from autoj.io.readers import tsv_quotes

HEADER = "id\tprompt\tresponse 1\tresponse 2\n"
QUOTED = HEADER + 'a\t"He said ""hi""\tthen left"\t"yes"\tno\nb\tq2\tr1\tr2\n'


def _autoj(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoj", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def _tsv(tmp_path: Path, text: str, name: str = "in.tsv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_quoted_fields_read_unquoted_only_when_asked(tmp_path: Path) -> None:
    source = _tsv(tmp_path, QUOTED)
    with tsv_quotes():
        pairs = load_items(source, "pairwise").pairs
    assert [(p.id, p.query, p.response_1, p.response_2) for p in pairs] == [
        ("a", 'He said "hi"\tthen left', "yes", "no"),
        ("b", "q2", "r1", "r2"),
    ]
    # without it the quotes are text: the tab inside the quotes splits the field
    with pytest.raises(InputError) as caught:
        load_items(source, "pairwise")
    assert f"{source}:2" in str(caught.value) and "autoj --tsv-quotes" in str(caught.value)
    kept = _tsv(tmp_path, HEADER + 'a\t"Hello" she said\t"yes"\tno\n', "kept.tsv")
    [pair] = load_items(kept, "pairwise").pairs
    assert (pair.query, pair.response_1) == ('"Hello" she said', '"yes"')


def test_an_unclosed_quote_in_a_quoted_tsv_names_file_and_line(tmp_path: Path) -> None:
    source = _tsv(tmp_path, HEADER + 'a\tq1\tr1\tr2\nb\t"q2\tr2\tr3\nc\tq3\tr3\tr4\n')
    with tsv_quotes(), pytest.raises(InputError) as caught:
        load_items(source, "pairwise")
    assert f"{source}:3" in str(caught.value) and "never closed" in str(caught.value)
    with tsv_quotes():  # skipping keeps the rows before it, and the problem is listed, never swallowed
        skipped = load_items(source, "pairwise", on_invalid="skip")
    assert [p.id for p in skipped.pairs] == ["a"]
    assert [(p.line, "never closed" in p.message) for p in skipped.problems] == [(3, True)]
    # read as text (the default), the quote is part of the query
    assert [p.query for p in load_items(source, "pairwise").pairs] == ["q1", '"q2', "q3"]


def test_the_flag_reaches_every_command_that_reads_inputs(tmp_path: Path) -> None:
    source = _tsv(tmp_path, QUOTED)
    done = _autoj(
        "--tsv-quotes", "compare", source, "-j", "fake", "--no-cache", "-o", "out.jsonl", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    items = {
        line["id"]: line["item"]
        for line in map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())
    }
    assert items["a"]["query"] == 'He said "hi"\tthen left' and items["a"]["response_1"] == "yes"
    refused = _autoj("compare", source, "-j", "fake", "--no-cache", "-o", "plain.jsonl", cwd=tmp_path)
    assert refused.returncode == 2 and f"{source}:2" in refused.stderr and "--tsv-quotes" in refused.stderr
    assert not (tmp_path / "plain.jsonl").exists()
    unclosed = _tsv(tmp_path, HEADER + 'a\t"q1\tr1\tr2\nb\tq2\tr2\tr3\n', "unclosed.tsv")
    stopped = _autoj("--tsv-quotes", "compare", unclosed, "-j", "fake", "-o", "u.jsonl", cwd=tmp_path)
    assert stopped.returncode == 2 and "Traceback" not in stopped.stderr
    assert f"{unclosed}:2" in stopped.stderr and "never closed" in stopped.stderr
    assert not (tmp_path / "u.jsonl").exists()
    # evaluate reads model outputs through the same reader
    rows = [("Say hi.", 'a "quoted"\tanswer'), ("Count to 3.", "1 2 3")]
    for name, prefix in (("ref", "The reference: "), ("mine", "")):
        lines = ["instruction\toutput\tgenerator"]
        lines += ['"{}"\t"{}"\t{}'.format(q, (prefix + o).replace('"', '""'), name) for q, o in rows]
        _tsv(tmp_path, "\n".join(lines) + "\n", f"{name}.tsv")
    done = _autoj(
        "--tsv-quotes", "evaluate", "mine.tsv", "-r", "ref.tsv", "-j", "fake", "--no-scenarios",
        "--no-ranking", "--instruction-difficulty", "none", "-o", "ev.jsonl", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    outputs = [
        json.loads(line)["item"]["response_2"] for line in (tmp_path / "ev.jsonl").read_text().splitlines()
    ]
    assert sorted(outputs) == sorted(o for _, o in rows)


def test_the_setting_ends_with_the_command(tmp_path: Path) -> None:
    from autoj.cli import judge_cmds  # noqa: F401
    from autoj.cli.main import app

    source = _tsv(tmp_path, QUOTED)
    done = CliRunner().invoke(
        app,
        ["--tsv-quotes", "compare", str(source), "-j", "fake", "--no-cache", "-o", str(tmp_path / "o.jsonl")],
    )
    assert done.exit_code == 0, done.output
    with pytest.raises(InputError):  # read again in the same process, without the flag
        load_items(source, "pairwise")
