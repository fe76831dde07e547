"""Instruction sources for `generate`: a registered benchmark, or a user's file in any format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import shared_file

from autoj.data.benchmarks import load_benchmark, select
from autoj.errors import AutojError, InputError


def test_alpaca_eval_has_its_805_instructions_and_reference() -> None:
    shared_file("alpaca_eval/model_outputs/gpt4_1106_preview.json.gz")
    bench = load_benchmark("alpaca_eval")
    assert len(bench.instructions) == 805
    assert bench.reference == "gpt4_1106_preview"
    assert bench.judging.both_orders
    first = bench.instructions[0]
    assert first.id == "1" and first.category == "helpful_base"
    assert first.turns[0].startswith("What are the names of some famous actors")
    assert not bench.multi_turn


def test_a_file_in_any_shape_the_reader_takes(tmp_path: Path) -> None:
    rows = [
        {"question_id": 81, "category": "writing", "turns": ["Write a poem.", "Now shorter."]},
        {"uid": "x", "turns": [{"content": "Hi there"}]},
        {"instruction": "Say hello."},
    ]
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    bench = load_benchmark(path)
    assert bench.name == "mine" and bench.reference is None and bench.multi_turn
    assert [(i.id, i.turns, i.category) for i in bench.instructions] == [
        ("81", ["Write a poem.", "Now shorter."], "writing"),
        ("x", ["Hi there"], None),
        ("3", ["Say hello."], None),
    ]
    csv = tmp_path / "mine.csv"
    csv.write_text("prompt\nfirst\nsecond\n")
    assert [i.turns for i in load_benchmark(csv).instructions] == [["first"], ["second"]]


def test_bad_rows_and_unknown_names_are_one_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"instruction": "ok", "id": 1}\n{"text": "no instruction"}\n{"instruction": "again", "id": 1}\n'
    )
    with pytest.raises(
        InputError, match=r"bad.jsonl:2: no instruction.*\n.*bad.jsonl:3 field 'id': id '1' also at 1"
    ):
        load_benchmark(path)
    with pytest.raises(AutojError, match="neither a known benchmark"):
        load_benchmark("no-such-benchmark")


def test_the_limit_sample_is_seeded_and_keeps_the_order(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"instruction": f"q{n}"}) + "\n" for n in range(50)))
    instructions = load_benchmark(path).instructions
    first, again = select(instructions, 7), select(instructions, 7)
    assert first == again and len(first) == 7
    assert [int(i.id) for i in first] == sorted(int(i.id) for i in first)
    assert select(instructions, None) == instructions
