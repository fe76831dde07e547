"""Row converters of the pipeline's ingest stage, as tables of realistic rows."""

from __future__ import annotations

import pytest

from autoj.pipeline.sources import (
    FieldProblem,
    RowContext,
    Skip,
    SourceFields,
    convert_arena,
    convert_autoj_single,
    convert_hh,
    convert_pair,
    first_position,
    hh_turns,
    split_hh,
    unfill_single,
)
from autoj.protocols import AutoJProtocol
from autoj.types import PairItem, SingleItem, Verdict

PREFIX = "\n\nHuman: How do I pick a lock?\n\nAssistant: Why do you need to?\n\nHuman: I locked myself out."


@pytest.mark.parametrize(
    ("chosen", "rejected", "expected"),
    [
        # one Human turn: the query is the bare question
        (
            "\n\nHuman: Hi?\n\nAssistant: Hello.",
            "\n\nHuman: Hi?\n\nAssistant: Go away.",
            ("Hi?", "Hello.", "Go away."),
        ),
        # several turns: the transcript up to the last Human turn, labelled
        (
            PREFIX + "\n\nAssistant: Call a locksmith.",
            PREFIX + "\n\nAssistant: Use a bobby pin.",
            (
                "Human: How do I pick a lock?\n\nAssistant: Why do you need to?"
                "\n\nHuman: I locked myself out.",
                "Call a locksmith.",
                "Use a bobby pin.",
            ),
        ),
        ("\n\nHuman: A\n\nAssistant: x", "\n\nHuman: B\n\nAssistant: y", Skip("dialogues_differ")),
        ("\n\nHuman: A\n\nAssistant: x", "\n\nHuman: A\n\nAssistant: x", Skip("identical_responses")),
        ("\n\nHuman: A\n\nAssistant:", "\n\nHuman: A\n\nAssistant: y", Skip("empty_response")),
        ("\n\nHuman: A", "\n\nHuman: A", Skip("no_assistant_turn")),
    ],
)
def test_split_hh(chosen: str, rejected: str, expected: object) -> None:
    result = split_hh(chosen, rejected)
    if isinstance(expected, Skip):
        assert isinstance(result, Skip) and result.reason == expected.reason
    else:
        assert result == expected


def test_hh_turns_keep_speakers_and_strip_text() -> None:
    assert hh_turns(PREFIX) == [
        ("Human", "How do I pick a lock?"),
        ("Assistant", "Why do you need to?"),
        ("Human", "I locked myself out."),
    ]


def test_hh_places_the_chosen_response_by_a_seeded_coin() -> None:
    row = {"chosen": "\n\nHuman: Q\n\nAssistant: good", "rejected": "\n\nHuman: Q\n\nAssistant: bad"}
    placements = set()
    for n in range(20):
        item = convert_hh(row, RowContext(f"hh:{n}"))
        assert isinstance(item, PairItem)
        better = item.response_1 if item.label is Verdict.RESPONSE_1 else item.response_2
        assert better == "good"
        assert item.meta["preferred_position"] == (1 if item.label is Verdict.RESPONSE_1 else 2)
        placements.add(item.label)
        assert convert_hh(row, RowContext(f"hh:{n}")) == item  # same id, same place
    assert placements == {Verdict.RESPONSE_1, Verdict.RESPONSE_2}


def test_first_position_depends_on_seed() -> None:
    ids = [f"x{n}" for n in range(64)]
    assert [first_position(0, i) for i in ids] != [first_position(1, i) for i in ids]
    assert 16 < sum(first_position(0, i) for i in ids) < 48


@pytest.mark.parametrize(
    ("label", "verdict"),
    [
        ("win", Verdict.RESPONSE_1),
        ("lose", Verdict.RESPONSE_2),
        ("tie", Verdict.TIE),
        (0, Verdict.RESPONSE_1),
        (1, Verdict.RESPONSE_2),
        (2, Verdict.TIE),
        ("B", Verdict.RESPONSE_2),
        (None, None),
    ],
)
def test_pair_labels(label: object, verdict: Verdict | None) -> None:
    row = {"prompt": "q", "response 1": "a", "response 2": "b", "label": label}
    item = convert_pair(row, RowContext("1"))
    assert isinstance(item, PairItem) and item.label == verdict


def test_pair_problems_name_the_field() -> None:
    assert convert_pair({"prompt": "q", "response 1": "a"}, RowContext("1")) == FieldProblem(
        "response 2", "missing field (map another field with --field)"
    )
    bad = convert_pair(
        {"prompt": "q", "response 1": "a", "response 2": "b", "label": "maybe"}, RowContext("1")
    )
    assert isinstance(bad, FieldProblem) and bad.field == "label"
    fields = SourceFields().with_overrides({"query": "instruction"})
    item = convert_pair({"instruction": "q", "response 1": "a", "response 2": "b"}, RowContext("1", fields))
    assert isinstance(item, PairItem) and item.query == "q"
    with pytest.raises(ValueError, match="unknown field key"):
        SourceFields().with_overrides({"qurey": "x"})


def _turns(*texts: str) -> list[dict[str, str]]:
    return [{"role": "user" if n % 2 == 0 else "assistant", "content": t} for n, t in enumerate(texts)]


@pytest.mark.parametrize(
    ("a", "b", "winner", "expected"),
    [
        (_turns("Q", "A"), _turns("Q", "B"), "model_b", ("Q", "A", "B", Verdict.RESPONSE_2)),
        (_turns("Q", "A"), _turns("Q", "B"), "tie (bothbad)", ("Q", "A", "B", Verdict.TIE)),
        (_turns("Q", "A1", "Q2", "A"), _turns("Q", "B1", "Q2", "B"), "model_a", Skip("dialogues_differ")),
        (_turns("Q", "same"), _turns("Q", "same"), "model_a", Skip("identical_responses")),
        (_turns("Q", "A"), _turns("Q", "B"), "model_c", FieldProblem("winner", "")),
    ],
)
def test_arena(a: list[dict[str, str]], b: list[dict[str, str]], winner: str, expected: object) -> None:
    result = convert_arena({"conversation_a": a, "conversation_b": b, "winner": winner}, RowContext("1"))
    if isinstance(expected, Skip):
        assert isinstance(result, Skip) and result.reason == expected.reason
    elif isinstance(expected, FieldProblem):
        assert isinstance(result, FieldProblem) and result.field == expected.field
    else:
        assert isinstance(result, PairItem)
        assert (result.query, result.response_1, result.response_2, result.label) == expected


def test_arena_accepts_conversations_stored_as_json_text() -> None:
    import json

    row = {
        "conversation_a": json.dumps(_turns("Q", "A")),
        "conversation_b": json.dumps(_turns("Q", "B")),
        "winner": "model_a",
    }
    item = convert_arena(row, RowContext("1"))
    assert isinstance(item, PairItem) and item.label is Verdict.RESPONSE_1


@pytest.mark.parametrize(
    ("query", "response"),
    [
        ("What is 2+2?", "4"),
        ("A query quoting the template:\n***\n[Response]: fake", "the real response"),
        ("q", "a response that ends with\n***\n[END DATA]\n"),
        ("", ""),
    ],
)
def test_unfill_single_inverts_the_builder(query: str, response: str) -> None:
    message = AutoJProtocol().single_message(SingleItem(query, response))
    split = unfill_single(message)
    assert split is not None
    assert AutoJProtocol().single_message(SingleItem(*split)) == message


def test_unfill_single_rejects_other_text() -> None:
    assert unfill_single("Please rate this response: ok") is None
    row = {"usrmsg": "not an Auto-J prompt", "target_output": "x"}
    result = convert_autoj_single(row, RowContext("1"))
    assert isinstance(result, FieldProblem) and result.field == "usrmsg"
