"""What each family's output contract gives: grammars, stop patterns, verdict probabilities, expected
ratings; backends refusing what they do not honour; every pairwise family through both orders."""

from __future__ import annotations

import asyncio
import math
import re

import pytest

from autoj.backends.base import UnsupportedFeature
from autoj.backends.fake import FakeBackend
from autoj.protocols import get_protocol, protocol_names
from autoj.protocols.base import ProtocolInputError
from autoj.protocols.verdict_scores import expected_rating, final_line_grammar, verdict_probabilities
from autoj.run.engine import Engine
from autoj.types import GenerationParams, Item, PairItem, Prompt, SingleItem, TokenLogprob, Verdict

PAIR = PairItem("q", "a", "b", id="1")
SINGLE = SingleItem("q", "a", id="2")
FAMILIES = ["prometheus", "mtbench", "skywork", "compassjudger", "con-j", "judgelm", "pandalm"]


def _tasks(name: str) -> list[Item]:
    contract = get_protocol(name).contract
    return [item for item, c in ((PAIR, contract.pairwise), (SINGLE, contract.single)) if c is not None]


def test_every_registered_protocol_declares_a_contract_whose_grammar_llama_cpp_accepts() -> None:
    llama_grammar = pytest.importorskip("llama_cpp").LlamaGrammar
    for name in protocol_names():
        for item in _tasks(name):
            grammar = final_line_grammar(get_protocol(name), item)
            llama_grammar.from_string(grammar, verbose=False)  # raises on a malformed grammar


@pytest.mark.parametrize(
    ("name", "item", "fragment"),
    [
        ("prometheus", PAIR, 'final ::= "[RESULT] " ("A" | "B")'),
        ("prometheus", SINGLE, 'final ::= "[RESULT] " ("5" | "4" | "3" | "2" | "1")'),
        ("prometheus-legacy", SINGLE, '"[RESULT] " ("5" | "4" | "3" | "2" | "1")'),
        ("mtbench", PAIR, 'final ::= "[[" ("A" | "B" | "C") "]]"'),
        ("mtbench", SINGLE, '"Rating: [[" ("10" | "9" | "8"'),
        ("skywork", PAIR, '("A" | "B") "]]"'),
        ("compassjudger", PAIR, '("A>>B" | "A>B" | "A=B" | "B>A" | "B>>A")'),
        ("con-j", PAIR, 'final ::= "\\"更好的回答\\": " ("1" | "2") "}"'),
        ("judgelm", PAIR, 'root ::= ("10" | "9"'),
        ("pandalm", PAIR, 'root ::= ("1" | "2" | "Tie") "\\n" text'),
    ],
)
def test_grammars_follow_the_contract(name: str, item: Item, fragment: str) -> None:
    assert fragment in final_line_grammar(get_protocol(name), item)


@pytest.mark.parametrize(
    ("name", "item", "text", "complete"),
    [
        ("prometheus", PAIR, "Feedback... [RESULT] B\n", True),
        ("prometheus", PAIR, "Feedback... [RESULT] B", False),
        ("prometheus", SINGLE, "Good. [RESULT] 4.", True),
        ("prometheus", SINGLE, "Good. [RESULT] 4", False),
        ("mtbench", PAIR, "B is better.\n[[B]]\n", True),
        ("mtbench", PAIR, 'The format says "[[A]]" if A is better', False),
        ("mtbench", SINGLE, "Rating: [[7]].", True),
        ("mtbench", SINGLE, "Rating: [[7", False),
        ("skywork", PAIR, "[[A]]\n", True),
        ("compassjudger", PAIR, "My final verdict is tie: [[A=B]].", True),
        ("con-j", PAIR, '{"原因": "x", "更好的回答": 2}\n', True),
        ("con-j", PAIR, '{"原因": "x", "更好的回答": 2', False),
    ],
)
def test_stop_patterns_fire_once_the_final_verdict_is_complete(
    name: str, item: Item, text: str, complete: bool
) -> None:
    patterns = get_protocol(name).stop_patterns(item)
    assert any(re.search(p, text) for p in patterns) is complete


@pytest.mark.parametrize("name", ["judgelm", "pandalm"])
def test_a_verdict_that_opens_the_answer_does_not_stop_it(name: str) -> None:
    assert get_protocol(name).stop_patterns(PAIR) == ()


def lp(token: str, top: dict[str, float]) -> TokenLogprob:
    return TokenLogprob(token, math.log(top[token]), {k: math.log(v) for k, v in top.items()})


@pytest.mark.parametrize(
    ("name", "tokens", "expected"),
    [
        (
            "mtbench",
            [lp("So [[", {"So [[": 1.0}), lp("B", {"B": 0.6, "A": 0.3, "C": 0.1}), lp("]]", {"]]": 1.0})],
            {"response_1": 0.3, "response_2": 0.6, "tie": 0.1},
        ),
        (
            "prometheus",
            [lp("Fine. [RESULT]", {"Fine. [RESULT]": 1.0}), lp(" A", {" A": 0.8, " B": 0.2})],
            {"response_1": 0.8, "response_2": 0.2, "tie": 0.0},
        ),
        (
            "compassjudger",
            [lp("[[", {"[[": 1.0}), lp("A", {"A": 0.7, "B": 0.3}), lp(">", {">": 0.5, "=": 0.5})],
            {"response_1": 0.35, "response_2": 0.3, "tie": 0.35},
        ),
        (
            "con-j",
            [
                lp('{"原因": "x", "更好的回答":', {'{"原因": "x", "更好的回答":': 1.0}),
                lp(" 2", {" 2": 0.9, " 1": 0.1}),
            ],
            {"response_1": 0.1, "response_2": 0.9, "tie": 0.0},
        ),
        (
            "pandalm",
            [lp("Tie", {"Tie": 0.5, "1": 0.25, "2": 0.25}), lp("\n", {"\n": 1.0})],
            {"response_1": 0.25, "response_2": 0.25, "tie": 0.5},
        ),
    ],
)
def test_verdict_probabilities_follow_the_contract(
    name: str, tokens: list[TokenLogprob], expected: dict[str, float]
) -> None:
    probs = verdict_probabilities(tokens, get_protocol(name).contract_for(PAIR))
    assert probs == pytest.approx(expected)


def test_score_pair_verdicts_have_no_label_probabilities_and_ratings_stay_in_scale() -> None:
    assert verdict_probabilities([lp("8", {"8": 1.0})], get_protocol("judgelm").contract_for(PAIR)) is None
    prometheus = get_protocol("prometheus").contract_for(SINGLE)
    tokens = [lp("[RESULT]", {"[RESULT]": 1.0}), lp(" 4", {" 4": 0.5, " 5": 0.25, " 7": 0.25})]
    assert expected_rating(tokens, prometheus) == pytest.approx((4 * 0.5 + 5 * 0.25) / 0.75)


def test_a_backend_refuses_what_it_does_not_honour_before_any_call() -> None:
    backend = FakeBackend(script=["[[A]]"])
    with pytest.raises(UnsupportedFeature, match="does not honour grammar"):
        asyncio.run(backend.generate([Prompt(text="x")], GenerationParams(grammar='root ::= "x"')))
    with pytest.raises(UnsupportedFeature, match="logprobs"):
        asyncio.run(Engine(backend, get_protocol("mtbench"), GenerationParams(logprobs=3)).judge(PAIR))
    assert backend.calls == []
    # Honoured: stop strings and stop patterns end the fake's text as a decoder would.
    [done] = asyncio.run(backend.generate([Prompt(text="x")], GenerationParams(stop=("]]",))))
    assert done.text == "[[A"


def test_the_engine_asks_for_stop_patterns_only_from_a_backend_that_honours_them() -> None:
    seen: dict[str, GenerationParams] = {}

    class Recording(FakeBackend):
        async def generate(self, prompts: list[Prompt], params: GenerationParams):  # type: ignore[no-untyped-def,override]
            seen[self.model_id] = params
            return await super().generate(prompts, params)

    server_like = Recording(script=["[[A]]"])
    server_like.capabilities = frozenset({"stop", "logprobs"})
    server_like.model_id = "server"
    asyncio.run(Engine(server_like, get_protocol("mtbench")).judge(PAIR))
    asyncio.run(Engine(Recording(script=["[[A]]"]), get_protocol("mtbench")).judge(PAIR))
    assert seen["server"].stop_patterns == ()
    assert seen["fake-scripted"].stop_patterns == get_protocol("mtbench").stop_patterns(PAIR)


def _prefers_good(name: str) -> FakeBackend:
    """A scripted judge of family `name` that always picks the response saying "good"."""
    first_good = {
        "prometheus": ("[RESULT] A", "[RESULT] B"),
        "mtbench": ("[[A]]", "[[B]]"),
        "skywork": ("[[A]]", "[[B]]"),
        "compassjudger": ("[[A>B]]", "[[B>A]]"),
        "con-j": ('{"原因": "r", "更好的回答": 1}', '{"原因": "r", "更好的回答": 2}'),
        "judgelm": ("9 2\nreasons", "2 9\nreasons"),
        "pandalm": ("1\n\n### Reason: r", "2\n\n### Reason: r"),
    }[name]

    def answer(prompt: Prompt) -> str:
        text = prompt.render()
        first, second = text.index("good answer"), text.index("bad answer")
        return "Reasons.\n" + first_good[0] if first < second else "Reasons.\n" + first_good[1]

    def scripted(prompt: Prompt) -> str:
        reply = answer(prompt)
        return reply.removeprefix("Reasons.\n") if name in ("judgelm", "pandalm") else reply

    return FakeBackend(script=scripted)


@pytest.mark.parametrize("name", FAMILIES)
def test_every_family_judges_both_orders_consistently(name: str) -> None:
    item = PairItem("Say something.", "a good answer", "a bad answer", id="p")
    result = asyncio.run(Engine(_prefers_good(name), get_protocol(name), both_orders=True).judge(item))
    assert result.judgment.verdict is Verdict.RESPONSE_1
    assert result.swapped is not None and result.swapped.ok
    assert result.verdict is Verdict.RESPONSE_1 and result.consistent


def test_an_item_input_a_family_cannot_use_is_a_typed_error_before_any_call() -> None:
    backend = FakeBackend(script=["[[A]]"])
    item = PairItem("q", "a", "b", id="9", reference_answer="ref")
    with pytest.raises(ProtocolInputError, match="item 9: the skywork protocol cannot use reference_answer"):
        asyncio.run(Engine(backend, get_protocol("skywork")).judge(item))
    assert backend.calls == []


@pytest.mark.parametrize("name", [*FAMILIES, "prometheus-legacy"])
def test_the_unscripted_fake_answers_each_family_in_its_own_format(name: str) -> None:
    """Dry runs (`--judge fake --protocol NAME`) of every family parse in both orders."""
    protocol = get_protocol(name)
    if protocol.contract.pairwise is not None:
        result = asyncio.run(Engine(FakeBackend(), protocol, both_orders=True).judge(PAIR))
        assert result.judgment.ok and result.swapped is not None and result.swapped.ok
    if protocol.contract.single is not None:
        item = SingleItem("q", "a", id="2", reference_answer="ref" if "prometheus" in name else None)
        assert asyncio.run(Engine(FakeBackend(), protocol).judge(item)).judgment.ok
