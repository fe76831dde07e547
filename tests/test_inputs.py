"""Reading items: formats, field mapping, and errors that say file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autoj.errors import InputError
from autoj.inputs import FieldMap, checked_items, load_items
from autoj.types import PairItem, SingleItem, Verdict

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bundled_examples_load() -> None:
    pairs = load_items(EXAMPLES / "pairs.jsonl", "pairwise")
    singles = load_items(EXAMPLES / "singles.jsonl", "single")
    assert not pairs.problems and not singles.problems
    assert len(pairs.pairs) == 6 and len(singles.singles) == 4
    assert pairs.pairs[0].id == "capital" and pairs.pairs[0].label is Verdict.RESPONSE_1
    assert singles.singles[1].reference == 2.0


def test_problems_name_file_line_and_field(tmp_path: Path) -> None:
    good = {"prompt": "q", "response 1": "a", "response 2": "b"}
    path = write_lines(
        tmp_path / "in.jsonl",
        [
            json.dumps(good),
            "{not json",
            json.dumps({"prompt": "q", "response 1": "a"}),
            "",
            json.dumps({"prompt": "q", "response 1": "  ", "response 2": "b"}),
            json.dumps({**good, "label": "maybe"}),
            json.dumps({**good, "response 2": 3}),
        ],
    )
    loaded = load_items(path, "pairwise")
    assert len(loaded.pairs) == 1
    found = [(p.line, p.field) for p in loaded.problems]
    assert found == [(2, None), (3, "response 2"), (5, "response 1"), (6, "label"), (7, "response 2")]
    text = [str(p) for p in loaded.problems]
    assert (
        text[1] == f"{path}:3 field 'response 2': missing field (name another field with --response-2-field)"
    )
    assert "empty text" in text[2]


def test_fail_mode_raises_before_anything_runs_and_skip_mode_keeps_the_good(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "in.jsonl",
        [json.dumps({"prompt": "q", "response": "r"}), json.dumps({"prompt": "q"})],
    )
    with pytest.raises(InputError) as info:
        checked_items(path, "single")
    assert f"{path}:2 field 'response'" in str(info.value)
    items, problems = checked_items(path, "single", on_invalid="skip")
    assert [i.id for i in items] == ["1"] and len(problems) == 1


def test_csv_and_json_with_mapped_fields(tmp_path: Path) -> None:
    csv_path = tmp_path / "in.csv"
    csv_path.write_text("question,answer,id\nWhat?,This.,x1\nWhy?,,x2\n", encoding="utf-8")
    fields = FieldMap(query="question", response="answer")
    loaded = load_items(csv_path, "single", fields)
    assert loaded.singles == [SingleItem("What?", "This.", "x1", None, None, {})]
    assert [(p.line, p.field) for p in loaded.problems] == [(3, "answer")]

    json_path = tmp_path / "in.json"
    json_path.write_text(json.dumps([{"q": "a?", "A": "x", "B": "y", "winner": "B"}]), encoding="utf-8")
    fields = FieldMap(query="q", response_1="A", response_2="B", label="winner")
    pairs = load_items(json_path, "pairwise", fields).pairs
    assert pairs == [PairItem("a?", "x", "y", "1", None, Verdict.RESPONSE_2, {})]


def test_duplicate_ids_are_reported(tmp_path: Path) -> None:
    row = {"id": 7, "prompt": "q", "response": "r"}
    path = write_lines(tmp_path / "in.jsonl", [json.dumps(row), json.dumps(row)])
    loaded = load_items(path, "single")
    assert len(loaded.singles) == 1
    assert "duplicate id '7' (first at 1)" in str(loaded.problems[0])


def test_real_eval_p_loads_with_default_fields() -> None:
    from tests.conftest import shared_file

    path = shared_file("autoj/test/testdata_pairwise.jsonl")
    strict = load_items(path, "pairwise")
    # one Eval-P response is empty (a model answered nothing): an error unless allowed
    assert [(p.line, p.field) for p in strict.problems] == [(569, "response 2")]
    loaded = load_items(path, "pairwise", allow_empty=True)
    assert len(loaded.pairs) == 1392
    labels = [p.label for p in loaded.pairs]
    assert labels.count(Verdict.TIE) == 1392 - 1019
    assert not loaded.problems


def test_gzipped_jsonl_and_json_read_like_plain_files(tmp_path: Path) -> None:
    import gzip

    rows = [{"prompt": "q", "response": "r", "id": "g1"}]
    jsonl = tmp_path / "in.jsonl.gz"
    with gzip.open(jsonl, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(rows[0]) + "\n{broken\n")
    loaded = load_items(jsonl, "single")
    assert [i.id for i in loaded.singles] == ["g1"] and [p.line for p in loaded.problems] == [2]
    array = tmp_path / "in.json.gz"
    with gzip.open(array, "wt", encoding="utf-8") as handle:
        json.dump(rows, handle)
    assert [i.id for i in load_items(array, "single").singles] == ["g1"]
