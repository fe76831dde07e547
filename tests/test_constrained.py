"""Constrained final lines, early-stop patterns and verdict probabilities from logprobs."""

from __future__ import annotations

import asyncio
import math
import re

import pytest

from autoj.backends.fake import FakeBackend
from autoj.protocols import get_protocol
from autoj.protocols.families.autoj import CONTRACTS
from autoj.protocols.verdict_scores import expected_rating, final_line_grammar, verdict_probabilities
from autoj.run.engine import Engine
from autoj.types import Completion, GenerationParams, Judgment, PairItem, Prompt, SingleItem, TokenLogprob

PAIR = PairItem("q", "a", "b", id="1")
RATING = CONTRACTS["en"].single
assert RATING is not None
SINGLE = SingleItem("q", "a", id="2")


def lp(token: str, top: dict[str, float]) -> TokenLogprob:
    return TokenLogprob(token, top.get(token, -9.0), {k: math.log(v) for k, v in top.items()})


def test_verdict_probabilities_combine_label_and_digit_tokens() -> None:
    tokens = [
        lp("So, the final decision is", {"So, the final decision is": 1.0}),
        lp(" Response", {" Response": 0.6, " Tie": 0.3, " tie": 0.1}),
        lp(" 2", {" 2": 0.75, " 1": 0.25}),
        lp(".", {".": 1.0}),
    ]
    probs = verdict_probabilities(tokens, CONTRACTS["en"].pairwise)
    assert probs is not None
    assert probs["response_1"] == pytest.approx(0.15)
    assert probs["response_2"] == pytest.approx(0.45)
    assert probs["tie"] == pytest.approx(0.4)
    assert verdict_probabilities(tokens[:1], CONTRACTS["en"].pairwise) is None  # no label after the marker
    assert (
        verdict_probabilities([lp("no verdict here", {"no verdict here": 1.0})], CONTRACTS["en"].pairwise)
        is None
    )


def test_expected_rating_weights_the_number_tokens() -> None:
    tokens = [
        lp("Rating: [[", {"Rating: [[": 1.0}),
        lp("7", {"7": 0.5, "8": 0.25, "6": 0.25}),
        lp("]]", {"]]": 1.0}),
    ]
    assert expected_rating(tokens, RATING) == pytest.approx(7.0)
    tokens[1] = lp("9", {"9": 0.5, "10": 0.5})
    assert expected_rating(tokens, RATING) == pytest.approx(9.5)
    assert expected_rating([lp("Rating: none", {})], RATING) is None


def test_grammars_are_valid_gbnf_for_both_languages() -> None:
    llama_grammar = pytest.importorskip("llama_cpp").LlamaGrammar
    for protocol in ("autoj", "autoj-zh", "chat"):
        proto = get_protocol(protocol)
        for item in (PAIR, SINGLE):
            grammar = final_line_grammar(proto, item)
            assert "root ::=" in grammar
            llama_grammar.from_string(grammar, verbose=False)  # raises on a malformed grammar
    assert '"Response 1" | "Response 2" | "Tie"' in final_line_grammar(get_protocol("autoj"), PAIR)
    assert '"回应1" | "回应2" | "平局"' in final_line_grammar(get_protocol("autoj-zh"), PAIR)


@pytest.mark.parametrize(
    ("protocol", "item", "text", "complete"),
    [
        ("autoj", PAIR, "So, the final decision is Response 1", False),
        ("autoj", PAIR, "So, the final decision is Response 1.", True),
        ("autoj", PAIR, "So, the final decision is Response 12.", False),
        ("autoj", PAIR, "final decision is Tiebreak", False),
        ("autoj-zh", PAIR, "所以，最终决定是回应2。", True),
        ("autoj", SINGLE, "Rating: [[7", False),
        ("autoj", SINGLE, "Rating: [[7]]", True),
        ("chat", SINGLE, "Rating: 7", False),
        ("chat", SINGLE, "Rating: 7/10\n", True),
        ("chat", PAIR, "The final decision is **Response 2**", False),
        ("chat", PAIR, "The final decision is **Response 2**\n", True),
    ],
)
def test_stop_patterns_fire_only_on_a_complete_final_line(
    protocol: str, item: PairItem | SingleItem, text: str, complete: bool
) -> None:
    patterns = get_protocol(protocol).stop_patterns(item)
    assert any(re.search(p, text) for p in patterns) is complete


def test_engine_passes_stop_patterns_and_grammar_and_scores_logprobs() -> None:
    seen: list[GenerationParams] = []

    class Recording(FakeBackend):
        capabilities = frozenset({"stop", "stop_patterns", "grammar", "logprobs", "batching"})

        async def generate(self, prompts: list[Prompt], params: GenerationParams) -> list[Completion]:  # type: ignore[override]
            seen.append(params)
            tokens = (
                lp("So, the final decision is", {"So, the final decision is": 1.0}),
                lp(" Tie", {" Tie": 0.5, " Response": 0.5}),
                lp(".", {".": 1.0}),
            )
            return [Completion("So, the final decision is Tie.", logprobs=tokens) for _ in prompts]

    engine = Engine(Recording(), get_protocol("autoj"), GenerationParams(logprobs=5), constrain=True)
    result = asyncio.run(engine.judge(PAIR))
    assert seen[0].stop_patterns == get_protocol("autoj").stop_patterns(PAIR)
    assert seen[0].grammar is not None and "final decision" in seen[0].grammar
    assert result.judgment.verdict_probs == pytest.approx(
        {"response_1": 0.25, "response_2": 0.25, "tie": 0.5}
    )
    assert result.provenance["params"]["stop_patterns"]
    again = Judgment.from_dict(result.judgment.to_dict())
    assert again == result.judgment
    plain = Engine(Recording(), get_protocol("autoj"), stop_early=False)
    asyncio.run(plain.judge(PAIR))
    assert seen[-1].stop_patterns == () and seen[-1].grammar is None
    assert "stop_patterns" not in GenerationParams().to_dict()  # old records and cache keys unchanged


@pytest.mark.model
def test_embedded_model_batched_with_early_stop_and_grammar(embedded_backend) -> None:  # type: ignore[no-untyped-def]
    prompt = get_protocol("autoj").prompt(PAIR)
    stop = get_protocol("autoj").stop_patterns(PAIR)
    params = GenerationParams(max_new_tokens=48, stop_patterns=stop, logprobs=3)
    completions = asyncio.run(embedded_backend.generate([prompt, prompt], params))
    assert completions[0].text == completions[1].text and completions[0].error is None
    assert completions[0].completion_tokens <= 48
    assert (
        completions[0].logprobs is not None
        and len(completions[0].logprobs) == completions[0].completion_tokens
    )
    grammar = 'root ::= "So, the final decision is " ("Response 1" | "Response 2" | "Tie") "."'
    forced = asyncio.run(
        embedded_backend.generate([prompt], GenerationParams(max_new_tokens=16, grammar=grammar))
    )
    assert re.fullmatch(r"So, the final decision is (Response 1|Response 2|Tie)\.", forced[0].text)
