"""Rewriting pairwise judgments for the swapped order: a table of real phrasings."""

from __future__ import annotations

import pytest

from autoj.pipeline.swap import count_references, swap_references
from autoj.protocols import AutoJProtocol
from autoj.types import Verdict

CASES = [
    ("Response 1 is more accurate than Response 2.", "Response 2 is more accurate than Response 1."),
    ("So, the final decision is Response 2.", "So, the final decision is Response 1."),
    ("So, the final decision is Tie.", "So, the final decision is Tie."),
    ("response 1 and RESPONSE 2", "response 2 and RESPONSE 1"),
    ("Response1 vs Response #2", "Response2 vs Response #1"),
    (
        "Both responses 1 and 2 are polite; responses 2 & 1 agree.",
        "Both responses 2 and 1 are polite; responses 1 & 2 agree.",
    ),
    (
        "The first response is short; the second response is long.",
        "The second response is short; the first response is long.",
    ),
    ("The First answer, the 2nd response", "The Second answer, the 1st response"),
    ("Response 10 and Response 12 are not ours", "Response 10 and Response 12 are not ours"),
    ("The former is concise, the latter verbose.", "The former is concise, the latter verbose."),
    (
        "回应1更准确，回应 2不够具体。所以，最终决定是回应2。",
        "回应2更准确，回应 1不够具体。所以，最终决定是回应1。",
    ),
    ("第一个回应比第二个回应好", "第二个回应比第一个回应好"),
    ("回复1和回答2", "回复2和回答1"),
    ("The first step is to read both.", "The first step is to read both."),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_swap_references(text: str, expected: str) -> None:
    assert swap_references(text) == expected


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_swapping_twice_gives_the_original(text: str, expected: str) -> None:
    assert swap_references(swap_references(text)) == text


def test_counts_only_positional_references() -> None:
    assert count_references("Response 1 beats response 2; the former wins") == 2
    assert count_references("Nothing positional here.") == 0


@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            "en",
            "1. The key factors:\n- Response 1 is wrong.\n\n2. The final decision:\n\n"
            "So, the final decision is Response 2.",
        ),
        ("zh", "1. 关键因素：\n- 回应1有误。\n\n2. 最终决定：\n\n所以，最终决定是回应2。"),
    ],
)
def test_the_verdict_flips_with_the_text(language: str, text: str) -> None:
    protocol = AutoJProtocol(language)
    before, after = protocol.parse_pairwise(text), protocol.parse_pairwise(swap_references(text))
    assert before.verdict is Verdict.RESPONSE_2
    assert after.verdict is Verdict.RESPONSE_1
