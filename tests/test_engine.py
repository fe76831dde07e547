"""The engine on the shipped fake backend: both orders, mapping back, context cuts, provenance."""

from __future__ import annotations

import asyncio

import pytest

from autoj import Judge
from autoj.backends.fake import FakeBackend
from autoj.protocols import get_protocol
from autoj.run.engine import Engine
from autoj.types import GenerationParams, PairItem, Prompt, SingleItem, Verdict

PAIR = PairItem("What is 2 + 2?", "4", "5", id="p1", label=Verdict.RESPONSE_1)


def decide_by_position(position: int) -> FakeBackend:
    """A judge that always prefers the response in `position` (a pure position bias)."""
    return FakeBackend(script=lambda _: f"So, the final decision is Response {position}.")


def decide_by_content(best: str) -> FakeBackend:
    """A judge that prefers whichever response is `best`, wherever it stands."""

    def answer(prompt: Prompt) -> str:
        text = prompt.render()
        first = text.index("[Response 1]: ") + len("[Response 1]: ")
        number = 1 if text[first:].startswith(best) else 2
        return (
            f"1. The key factors...\n2. The final decision:\n\nSo, the final decision is Response {number}."
        )

    return FakeBackend(script=answer)


def run(engine: Engine, items: list) -> list:
    return asyncio.run(engine.run(items))


def test_both_orders_maps_the_swapped_verdict_back() -> None:
    engine = Engine(decide_by_content("4"), get_protocol("autoj"), both_orders=True)
    [result] = run(engine, [PAIR])
    assert result.judgment.verdict is Verdict.RESPONSE_1
    assert result.swapped is not None and result.swapped.verdict is Verdict.RESPONSE_2
    assert result.swapped_verdict is Verdict.RESPONSE_1
    assert result.consistent is True and result.verdict is Verdict.RESPONSE_1
    prompts = [p.text for p in engine.backend.calls]  # type: ignore[attr-defined]
    assert "[Response 1]: 4\n" in prompts[0] and "[Response 1]: 5\n" in prompts[1]


def test_a_position_biased_judge_is_inconsistent_and_counts_as_a_tie() -> None:
    engine = Engine(decide_by_position(1), get_protocol("autoj"), both_orders=True)
    [result] = run(engine, [PAIR])
    assert result.judgment.verdict is Verdict.RESPONSE_1
    assert result.swapped_verdict is Verdict.RESPONSE_2
    assert result.consistent is False
    assert result.verdict is Verdict.TIE
    data = result.to_dict()
    assert data["consistent"] is False and data["swapped_verdict_mapped_back"] == "response_2"
    assert data["swapped"]["verdict"] == "response_1"  # raw: the judge's Response 1 on the swapped prompt


def test_a_parse_failure_in_either_order_leaves_no_verdict() -> None:
    outputs = iter(["So, the final decision is Response 1.", "I cannot decide."])
    engine = Engine(FakeBackend(script=lambda _: next(outputs)), get_protocol("autoj"), both_orders=True)
    [result] = run(engine, [PAIR])
    assert result.verdict is None and result.status == "parse_error"
    assert result.swapped is not None and result.swapped.raw == "I cannot decide."


def test_results_come_back_in_item_order_with_provenance() -> None:
    items = [PairItem(f"q{i}", "a", "b", id=str(i)) for i in range(20)]
    engine = Engine(FakeBackend(delay=0.001), get_protocol("autoj"), concurrency=5, judge_spec="fake")
    results = run(engine, items)
    assert [r.id for r in results] == [str(i) for i in range(20)]
    provenance = results[0].provenance
    assert provenance["judge"] == "fake" and provenance["protocol"] == "autoj@1"
    assert len(provenance["prompt_sha256"][0]) == 64
    assert provenance["params"]["max_new_tokens"] == 1024 and provenance["params"]["temperature"] == 0.0
    assert provenance["truncated"] is None
    assert engine.stats.items == 20 and engine.stats.generations == 20


def test_the_fake_judge_is_deterministic_and_well_formed() -> None:
    items = [PairItem(f"question {i}", "one", "two", id=str(i)) for i in range(30)]
    first = Judge("fake", both_orders=True).compare_many(items)
    second = Judge("fake", both_orders=True).compare_many(items)
    assert [r.to_dict()["judgment"] for r in first] == [r.to_dict()["judgment"] for r in second]
    assert all(r.ok for r in first)
    assert {r.judgment.verdict for r in first} == {Verdict.RESPONSE_1, Verdict.RESPONSE_2, Verdict.TIE}
    rating = Judge("fake").rate("q", "r")
    assert rating.ok and rating.rating is not None and 1 <= rating.rating <= 10


def test_long_inputs_are_cut_in_the_middle_and_the_cut_is_recorded() -> None:
    backend = FakeBackend()
    backend.context_window = 400  # whitespace words, as the fake backend counts tokens
    long_response = " ".join(f"w{i}" for i in range(1000))
    item = PairItem("short question", long_response, "short answer", id="long")
    engine = Engine(backend, get_protocol("autoj"), GenerationParams(max_new_tokens=100))
    [result] = run(engine, [item])
    cut = result.provenance["truncated"]
    assert set(cut) == {"response_1"} and cut["response_1"] > 0
    sent = backend.calls[0].render()
    assert backend.count_tokens(sent) <= 400 - 100 - 16
    assert "w0 w1" in sent and "w999" in sent and "w500 " not in sent and "..." in sent
    assert result.item.response_1 == long_response  # the result keeps the original item


def test_an_input_that_cannot_fit_is_a_typed_failure() -> None:
    backend = FakeBackend()
    backend.context_window = 50
    engine = Engine(backend, get_protocol("autoj"), GenerationParams(max_new_tokens=10))
    [result] = run(engine, [SingleItem("q", "r", id="x")])
    assert result.status == "backend_error"
    assert result.judgment.reason is not None and "does not fit" in result.judgment.reason
    assert backend.calls == []


def test_backend_failures_are_values_not_exceptions() -> None:
    class Broken(FakeBackend):
        async def generate(self, prompts, params):  # type: ignore[no-untyped-def]
            from autoj.types import Completion

            return [Completion.failed("server said 503") for _ in prompts]

    [result] = run(Engine(Broken(), get_protocol("autoj")), [PAIR])
    assert result.status == "backend_error" and result.judgment.reason == "server said 503"


def test_setup_names_what_decides_a_judgment_and_nothing_volatile() -> None:
    base = Engine(FakeBackend(seed=2), get_protocol("autoj"), judge_spec="fake:2")
    setup = base.setup()
    assert setup["judge"] == "fake:2" and setup["backend"] == {"backend": "fake", "model": "fake-seed2"}
    assert setup["protocol"] == "autoj@1" and setup["both_orders"] is False
    assert setup["params"] == GenerationParams().to_dict()
    busier = Engine(FakeBackend(seed=2), get_protocol("autoj"), concurrency=64, judge_spec="fake:2")
    assert busier.setup() == setup  # how fast a run goes is not who judged
    for other in (
        Engine(FakeBackend(seed=2), get_protocol("autoj"), both_orders=True),
        Engine(FakeBackend(seed=2), get_protocol("autoj"), GenerationParams(max_new_tokens=8)),
        Engine(FakeBackend(seed=2), get_protocol("autoj-zh")),
        Engine(FakeBackend(seed=2), get_protocol("autoj"), constrain=True),
    ):
        changed = {k for k in setup if k != "judge" and other.setup()[k] != setup[k]}
        assert len(changed) == 1, changed


def test_a_backend_that_cannot_load_stops_the_run_instead_of_failing_each_item() -> None:
    from autoj.errors import BackendLoadError

    class Unloadable(FakeBackend):
        def count_tokens(self, text: str) -> int:
            raise BackendLoadError("cannot load /models/x.gguf")

    engine = Engine(Unloadable(), get_protocol("autoj"))
    with pytest.raises(BackendLoadError, match="cannot load"):
        run(engine, [PAIR, SingleItem("q", "r", id="s")])
