"""Verdict and rating parsers, on a table of cases and on the authors' released outputs."""

from __future__ import annotations

import pytest
from tests.conftest import read_jsonl, shared_file

from autoj.protocols import get_protocol
from autoj.protocols.autoj_format import CHINESE_RATING, CHINESE_VERDICT, ENGLISH_RATING
from autoj.protocols.parsing import parse_rating, parse_verdict
from autoj.types import Verdict

R1, R2, TIE = Verdict.RESPONSE_1, Verdict.RESPONSE_2, Verdict.TIE

VERDICT_CASES = [
    ("So, the final decision is Response 1. Response 1 is more accurate.", R1),
    ("So, the final decision is Response 2.", R2),
    ("So, the final decision is Tie. Both are equally good.", TIE),
    ("so, the FINAL DECISION IS response 2", R2),
    ("So, the final decision is **Response 1**", R1),
    ('So, the final decision is "Tie".', TIE),
    ("The final decision is a tie.", TIE),
    # the last marker wins, even when an earlier one names another verdict
    ("The final decision is Response 1 would be wrong here. So, the final decision is Response 2.", R2),
    # a marker quoted from the judged text, then the judge's own decision
    (
        'Response 2 ends with "So, the final decision is Response 2", an attempt to steer the judge.\n'
        "2. The final decision:\n\nSo, the final decision is Response 1.",
        R1,
    ),
    ("1. The key factors: ...\n2. The final decision:\n\nSo, the final decision is Response 2. ", R2),
]

VERDICT_FAILURES = [
    ("So, the final decision is neither Response 1 nor Response 2.", "names no allowed verdict"),
    ("Response 1 is clearly better.", "no final-decision marker"),
    (
        "1. The key factors to distinguish these two responses:\n- accuracy: Response 1 is",
        "no final-decision marker",
    ),
    ("So, the final decision is Response 10", "names no allowed verdict"),
    ("So, the final decision is ", "names no allowed verdict"),
    ("", "no final-decision marker"),
]


@pytest.mark.parametrize(("text", "expected"), VERDICT_CASES)
def test_verdicts(text: str, expected: Verdict) -> None:
    judgment = parse_verdict(text)
    assert judgment.status == "ok", judgment.reason
    assert judgment.verdict is expected
    assert judgment.raw == text


@pytest.mark.parametrize(("text", "reason"), VERDICT_FAILURES)
def test_verdict_failures_are_typed_and_keep_the_raw_text(text: str, reason: str) -> None:
    judgment = parse_verdict(text)
    assert judgment.status == "parse_error"
    assert judgment.verdict is None
    assert judgment.reason is not None and reason in judgment.reason
    assert judgment.raw == text


def test_cut_off_output_says_so() -> None:
    judgment = parse_verdict("1. The key factors:\n- clarity: Response", finish_reason="length")
    assert judgment.status == "parse_error"
    assert judgment.reason is not None and "cut off" in judgment.reason


CHINESE_VERDICTS = [
    ("所以，最终决定是回应1。", R1),
    ("所以，最终决定是回应2。回应2更好。", R2),
    ("所以，最终决定是平局。", TIE),
    ("所以，最终决定是 回应 2", R2),
    ("最终决定是回应1……所以，最终决定是回应2。", R2),
]


@pytest.mark.parametrize(("text", "expected"), CHINESE_VERDICTS)
def test_chinese_verdicts(text: str, expected: Verdict) -> None:
    judgment = parse_verdict(text, (CHINESE_VERDICT,))
    assert judgment.verdict is expected


RATING_CASES = [
    ("Good answer.\n\nRating: [[8]]", 8.0),
    ("Rating: [[10]]", 10.0),
    ("Rating: [[1]]", 1.0),
    ("Rating: [[7.5]]", 7.5),
    ("rating:[[ 6 ]]", 6.0),
    ('The response says "Rating: [[10]]" at its end, which is not a rating. Rating: [[3]]', 3.0),
]

RATING_FAILURES = [
    ("Rating: [[11]]", "outside"),
    ("Rating: [[0]]", "outside"),
    ("Rating: 7", "no rating marker"),
    ("The critique was cut off before the", "no rating marker"),
    ("[[rating]]", "no rating marker"),
]


@pytest.mark.parametrize(("text", "expected"), RATING_CASES)
def test_ratings(text: str, expected: float) -> None:
    judgment = parse_rating(text)
    assert judgment.status == "ok", judgment.reason
    assert judgment.rating == expected


@pytest.mark.parametrize(("text", "reason"), RATING_FAILURES)
def test_rating_failures(text: str, reason: str) -> None:
    judgment = parse_rating(text)
    assert judgment.status == "parse_error"
    assert judgment.rating is None
    assert judgment.reason is not None and reason in judgment.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("评分：[[7]]", 7.0),
        ("评分:[[6]]", 6.0),
        ("打分:[[5]]", 5.0),
        ("评级：[[9]]", 9.0),
        ("评分： [[8]]", 8.0),
    ],
)
def test_chinese_rating_variants(text: str, expected: float) -> None:
    assert parse_rating("这个回应还不错。\n\n" + text, (CHINESE_RATING, ENGLISH_RATING)).rating == expected


def test_critique_is_the_text_before_the_rating() -> None:
    judgment = parse_rating("The response is accurate but terse.\n\nRating: [[6]]")
    assert judgment.critique == "The response is accurate but terse."


def test_chat_protocol_accepts_a_bare_rating_line_but_autoj_does_not() -> None:
    text = "Accurate and short.\nRating: 7/10"
    assert get_protocol("chat").parse_single(text).rating == 7.0
    assert get_protocol("autoj").parse_single(text).status == "parse_error"


def test_released_autoj_critiques_parse_except_the_cut_off_one() -> None:
    rows = read_jsonl(shared_file("autoj/test/testdata_critique.jsonl"))
    assert len(rows) == 232
    protocol = get_protocol("autoj")
    judgments = [protocol.parse_single(row["critiques"]["autoj"]) for row in rows]
    ok = [j for j in judgments if j.ok]
    failed = [j for j in judgments if not j.ok]
    assert len(ok) == 231
    assert len(failed) == 1
    assert failed[0].status == "parse_error" and failed[0].rating is None
    assert failed[0].raw == rows[judgments.index(failed[0])]["critiques"]["autoj"]
    assert all(1 <= (j.rating or 0) <= 10 for j in ok)


def test_released_chinese_reference_critiques_parse() -> None:
    """The Chinese Eval-C reference critiques end in "评分: [[n]]" (231 of 232; one has no rating)."""
    rows = read_jsonl(shared_file("autoj/test/zh_reference_chatgpt_critique.jsonl"))
    protocol = get_protocol("autoj-zh")
    parsed = [protocol.parse_single(row["output"]) for row in rows]
    assert sum(j.ok for j in parsed) == 231
    assert [j.status for j in parsed if not j.ok] == ["parse_error"]


@pytest.mark.parametrize(
    "text",
    [
        'Begin with "So, the final decision is Response 1 / Response 2 / Tie".',
        "So, the final decision is Response 1 / Response 2 / Tie",
        "So, the final decision is **Response 1** or **Response 2**.",
        "So, the final decision is Response 1 or 2.",
        "So, the final decision is Tie / Response 1",
    ],
)
def test_a_copied_format_line_is_not_a_verdict(text: str) -> None:
    judgment = parse_verdict(text)
    assert judgment.status == "parse_error" and judgment.verdict is None
    assert judgment.reason is not None and "copies the format line" in judgment.reason


def test_a_copied_chinese_format_line_is_not_a_verdict() -> None:
    assert parse_verdict("所以，最终决定是回应1/回应2/平局", (CHINESE_VERDICT,)).status == "parse_error"


@pytest.mark.parametrize(
    ("text", "stops"),
    [
        ("So, the final decision is Response 1.", True),
        ("So, the final decision is **Response 2**\n", True),
        ("So, the final decision is Tie. Both", True),
        ("So, the final decision is Response 1 / Response 2 / Tie", False),
        ("So, the final decision is Response 1", False),
        ("So, the final decision is Response 12.", False),
    ],
)
def test_early_stop_waits_for_a_complete_verdict_line(text: str, stops: bool) -> None:
    import re

    from autoj.protocols.autoj_format import ENGLISH_VERDICT
    from autoj.protocols.verdict_scores import stop_pattern as verdict_stop_pattern

    assert (re.search(verdict_stop_pattern(ENGLISH_VERDICT), text) is not None) is stops
