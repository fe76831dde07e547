"""Training queries for the scenario classifier: extra Auto-J sources, test queries left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autoj.errors import AutojError
from autoj.scenarios import LabelledQuery
from autoj.scenarios._trainingdata import (
    SourceCount,
    TrainingSet,
    combine,
    load_training_set,
    query_key,
    read_extra,
)
from conftest import shared_file


def q(text: str, label: str = "writing_email") -> LabelledQuery:
    return LabelledQuery(text, label, label)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Write a Poem", "write a poem"),
        ("  write\ta   poem\n", "write a poem"),
        ("Ünïcode  ÉCOLE", "ünïcode école"),
        ("", ""),
    ],
)
def test_query_key_folds_case_and_whitespace(text: str, key: str) -> None:
    assert query_key(text) == key


def test_combine_leaves_out_test_queries_and_repeats_and_counts_them() -> None:
    base = [q("Email Bob"), q("Write a poem", "creative_writing")]
    extras = {
        "eval-p": [q("EMAIL  bob", "others"), q("Summarise this", "text_summarization"), q("Secret test")],
        "eval-c": [q("secret TEST"), q("secret test"), q("New one", "brainstorming")],
    }
    result = combine(base, extras, [q("Secret test"), q("write a poem")])
    assert [r.query for r in result.rows] == ["Email Bob", "Summarise this", "New one"]
    assert result.rows[0].label == "writing_email"  # the classifier file's label wins
    assert result.sources == ("classifier-train", "eval-p", "eval-c")
    assert result.counts == {
        "classifier-train": SourceCount(
            rows=2, test_overlap_rows=1, test_overlap_queries=1, repeats=0, kept=1
        ),
        "eval-p": SourceCount(rows=3, test_overlap_rows=1, test_overlap_queries=1, repeats=1, kept=1),
        "eval-c": SourceCount(rows=3, test_overlap_rows=2, test_overlap_queries=1, repeats=0, kept=1),
    }


def test_validation_split_is_stratified_and_repeatable() -> None:
    rows = tuple(q(f"q{i}", "a" if i < 20 else "b" if i < 30 else "c") for i in range(32))
    data = TrainingSet(rows, ("x",) * len(rows), {})
    train, held = data.split(0.1, seed=3)
    assert sorted(train + held) == list(range(32)) and not set(train) & set(held)
    assert [rows[i].label for i in held].count("a") == 2 and [rows[i].label for i in held].count("b") == 1
    assert all(rows[i].label != "c" for i in held)  # 2 rows: too few to hold one out
    assert data.split(0.1, seed=3) == (train, held) and data.split(0.1, seed=4) != (train, held)


def test_extra_rows_need_a_query_and_a_label(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(
        json.dumps({"prompt": "Hi", "scenario": "default"}) + "\n" + json.dumps({"prompt": "x"}) + "\n"
    )
    with pytest.raises(AutojError, match=r"p.jsonl:2: no query or no `scenario` label"):
        read_extra(path, lambda r: r.get("prompt"))
    path.write_text(json.dumps({"prompt": "Hi", "scenario": "default"}) + "\n")
    assert read_extra(path, lambda r: r.get("prompt")) == [LabelledQuery("Hi", "others", "default")]


@pytest.mark.data
def test_the_real_training_set_shares_no_query_with_the_test_set() -> None:
    shared_file("autoj/test/testdata_pairwise.jsonl")
    from autoj.scenarios._evaluate import CLASSIFIER_TEST_DATA, default_data, load_labelled_queries

    data = load_training_set()
    test = {query_key(r.query) for r in load_labelled_queries(default_data(CLASSIFIER_TEST_DATA))}
    assert not test & {query_key(r.query) for r in data.rows}
    overlap = {name: c.test_overlap_queries for name, c in data.counts.items()}
    assert overlap == {"classifier-train": 1, "eval-p": 68, "eval-c": 18, "single-train": 14}
    kept = {name: c.kept for name, c in data.counts.items()}
    assert kept == {"classifier-train": 2382, "eval-p": 860, "eval-c": 0, "single-train": 699}
    assert len({r.label for r in data.rows}) == 58  # post_summarization comes from Eval-P
