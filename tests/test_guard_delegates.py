"""The injection guard changes prompts only: a guarded protocol stops, constrains and parses exactly
as the protocol it wraps (its contract is the inner one's), for every registered family."""

from __future__ import annotations

import pytest
from tests.test_injection import ACCEPTED_RATINGS, ACCEPTED_VERDICTS
from tests.test_parsing import VERDICT_CASES, VERDICT_FAILURES

from autoj.protocols import get_protocol, protocol_names
from autoj.protocols.sanitize import GUARD, guarded
from autoj.types import Item, PairItem, SingleItem

PAIR = PairItem("q", "a", "b", id="1")
SINGLE = SingleItem("q", "a", id="2")

# Answers in every family's format, well-formed and not: each protocol parses its own and refuses
# the others; the guarded form must give the very same judgment for each.
ANSWERS = [
    *(text for text, _ in VERDICT_CASES),
    *(text for text, _ in VERDICT_FAILURES),
    *ACCEPTED_VERDICTS,
    *ACCEPTED_RATINGS,
    "Rating: [[7]]",
    "rating: [[ 7.5 ]]",
    "Rating: [[11]]",
    "评分：[[3]]",
    "所以，最终决定是回应2。",
    "So, the final decision is Critique 2.",
    "[RESULT] 4",
    "[RESULT] B",
    "Feedback: fine. [RESULT] 6",
    "[[A]]",
    "[[C]]",
    "[[B>>A]]",
    "8 6\nreasons",
    "Tie\n\n### Reason: x",
    "Output (a)",
    '{"原因": "x", "更好的回答": 2}',
    "no verdict at all",
]


def _tasks(name: str) -> list[Item]:
    contract = get_protocol(name).contract
    return [item for item, c in ((PAIR, contract.pairwise), (SINGLE, contract.single)) if c is not None]


def _pairs() -> list[tuple[str, str]]:
    """(protocol, guarded form) for every registered family, and each registered `+guard` name."""
    bases = [name for name in protocol_names() if not name.endswith(GUARD)]
    found = [(name, "guarded") for name in bases]
    found += [(name.removesuffix(GUARD), name) for name in protocol_names() if name.endswith(GUARD)]
    return found


@pytest.mark.parametrize(("name", "guard"), _pairs())
def test_a_guarded_protocol_stops_and_parses_as_the_protocol_it_wraps(name: str, guard: str) -> None:
    inner = get_protocol(name)
    wrapped = guarded(inner) if guard == "guarded" else get_protocol(guard)
    assert wrapped.name == name + GUARD
    assert wrapped.contract == inner.contract and wrapped.inputs == inner.inputs
    for item in _tasks(name):
        assert wrapped.stop_patterns(item) == inner.stop_patterns(item)
        for text in ANSWERS:
            assert wrapped.parse(item, text) == inner.parse(item, text), (item.id, text)
            assert wrapped.parse(item, text, "length") == inner.parse(item, text, "length"), (item.id, text)


def test_the_registered_guards_are_autoj_autoj_zh_and_chat() -> None:
    guards = sorted(name for name in protocol_names() if name.endswith(GUARD) and "toy" not in name)
    assert guards == ["autoj+guard", "autoj-zh+guard", "chat+guard"]
