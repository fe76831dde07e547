"""The pipeline's pure stages: classify, balance, teacher prompts, filter, distil, export."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest

from autoj.errors import AutojError
from autoj.io.results import Result
from autoj.pipeline import (
    TeacherProtocol,
    balance,
    classify,
    distil,
    drop_reason,
    estimate_tokens,
    export_rows,
    filter_results,
)
from autoj.pipeline.distill import TrainingSample, swapped_sample
from autoj.pipeline.scenario_support import ScenarioGuess
from autoj.protocols import AutoJProtocol
from autoj.protocols.families.autoj import llama2_wrap
from autoj.types import Item, Judgment, PairItem, SingleItem, Verdict

PAIRWISE_TEXT = (
    "1. The key factors to distinguish these two responses:\n"
    "- accuracy: Response 1 gives the right boiling point, the second response does not.\n\n"
    "2. The final decision:\n\nSo, the final decision is Response 1. Response 2 is wrong."
)


class StubClassifier:
    """Names one scenario for every query, except queries containing 'unsure'."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.seen: list[str] = []

    def __call__(self, queries: Sequence[str]) -> list[ScenarioGuess]:
        self.seen.extend(queries)
        return [ScenarioGuess(None) if "unsure" in q else ScenarioGuess(self.answer, 0.9) for q in queries]


def _pair(n: int, scenario: str | None = None, label: Verdict | None = Verdict.RESPONSE_1) -> PairItem:
    return PairItem(f"query {n}", f"first {n}", f"second {n}", id=f"p{n}", scenario=scenario, label=label)


def test_classify_respects_given_scenarios_and_predicts_the_rest() -> None:
    samples: list[Item] = [
        _pair(1, "code_generation"),
        _pair(2),
        SingleItem("q", "r", id="s1", scenario="default"),
    ]
    stub = StubClassifier("math_reasoning")
    out, report = classify(samples, stub)
    assert [s.scenario for s in out] == ["code_generation", "math_reasoning", "others"]
    assert [s.meta["scenario_source"] for s in out] == ["given", "classifier", "given"]
    assert stub.seen == ["query 2"]
    assert report.to_dict()["scenario_sources"] == {"given": 2, "classifier": 1}


def test_classify_without_a_classifier_needs_a_fallback() -> None:
    with pytest.raises(AutojError, match="no scenario"):
        classify([_pair(1)])
    out, _ = classify([_pair(1)], fallback="others")
    assert out[0].scenario == "others" and out[0].meta["scenario_source"] == "fallback"


def test_a_query_the_classifier_cannot_place_gets_the_fallback() -> None:
    unsure = PairItem("unsure what this is", "a", "b", id="u1")
    with pytest.raises(AutojError, match="none was predicted"):
        classify([unsure, _pair(2)], StubClassifier("math_reasoning"))
    out, report = classify([unsure, _pair(2)], StubClassifier("math_reasoning"), fallback="others")
    assert [s.scenario for s in out] == ["others", "math_reasoning"]
    assert out[1].meta["scenario_confidence"] == 0.9
    assert report.to_dict()["scenario_sources"] == {"fallback": 1, "classifier": 1}


def test_the_shipped_classifier_names_real_scenarios() -> None:
    pytest.importorskip("autoj.scenarios")
    from autoj.pipeline.scenario_support import shipped_classifier

    try:
        predict = shipped_classifier()
    except AutojError as exc:  # the scenarios package is there but its model is not built yet
        pytest.skip(f"shipped scenario classifier unavailable: {exc}")
    guesses = predict(["Translate 'good morning' into French.", "Write a Python function that sorts a list."])
    assert [g.scenario for g in guesses] == ["text_to_text_translation", "code_generation"]
    assert all(g.confidence is not None and 0 < g.confidence <= 1 for g in guesses)


def test_balance_caps_each_scenario_with_a_seed() -> None:
    samples: list[Item] = [_pair(n, "big" if n < 50 else "small") for n in range(53)]
    kept, report = balance(samples, cap=10, seed=7)
    assert Counter(s.scenario for s in kept) == {"big": 10, "small": 3}
    assert balance(samples, cap=10, seed=7)[0] == kept
    assert balance(samples, cap=10, seed=8)[0] != kept
    order = [samples.index(s) for s in kept]
    assert order == sorted(order)  # input order is kept
    data = report.to_dict()
    assert (data["before"], data["after"]) == (53, 13)
    assert data["distribution"] == {"pairwise/big": [50, 10], "pairwise/small": [3, 3]}


def test_balance_total_spreads_over_scenarios() -> None:
    samples: list[Item] = [_pair(n, f"s{n % 5}") for n in range(100)]
    kept, _ = balance(samples, cap=100, seed=0, total=10)
    assert Counter(s.scenario for s in kept) == {f"s{k}": 2 for k in range(5)}


def test_teacher_prompt_has_criteria_in_system_and_the_plain_autoj_message() -> None:
    item = _pair(1, "code_generation")
    prompt = TeacherProtocol().pairwise_prompt(item)
    system, user = prompt.messages
    assert system.role == "system" and user.role == "user"
    assert "code_generation" in system.content
    assert "also look for any other factor" in system.content
    assert "So, the final decision is Response 1 / Response 2 / Tie" in system.content
    assert user.content == AutoJProtocol().pairwise_message(item)
    single = TeacherProtocol().single_prompt(SingleItem("q", "r", scenario="unknown-scenario"))
    assert "No scenario-specific criteria" in single.messages[0].content
    assert "Rating: [[5]]" in single.messages[0].content


def test_token_estimate_bounds_completions() -> None:
    samples = [_pair(n, "others") for n in range(4)]
    estimate = estimate_tokens(TeacherProtocol(), samples, max_new_tokens=100)
    assert estimate.completion_tokens_max == 400
    assert estimate.prompt_tokens > 4 * len(AutoJProtocol().pairwise_message(samples[0])) // 4
    exact = estimate_tokens(TeacherProtocol(), samples, 100, count=lambda text: 7)
    assert exact.prompt_tokens == 28


def _result(item: Item, text: str) -> Result:
    protocol = AutoJProtocol()
    return Result(item=item, judgment=protocol.parse(item, text))


@pytest.mark.parametrize(
    ("label", "text", "reason"),
    [
        (Verdict.RESPONSE_1, PAIRWISE_TEXT, None),
        (Verdict.RESPONSE_2, PAIRWISE_TEXT, "disagreement"),
        (Verdict.TIE, PAIRWISE_TEXT, "disagreement"),
        (Verdict.RESPONSE_1, "I cannot decide.", "parse_failure"),
        (None, PAIRWISE_TEXT, "no_human_label"),
    ],
)
def test_drop_reason(label: Verdict | None, text: str, reason: str | None) -> None:
    assert drop_reason(_result(_pair(1, label=label), text)) == reason


def test_filter_counts_reasons_and_keeps_good_singles() -> None:
    failed = Result(
        item=SingleItem("q", "r", id="s2"),
        judgment=Judgment(kind="single", status="backend_error", raw="", reason="timeout"),
    )
    results = [
        _result(_pair(1), PAIRWISE_TEXT),
        _result(_pair(2, label=Verdict.RESPONSE_2), PAIRWISE_TEXT),
        _result(SingleItem("q", "r", id="s1"), "Fine.\n\nRating: [[7]]"),
        _result(SingleItem("q", "r", id="s3"), "Fine, no rating"),
        failed,
    ]
    kept, report = filter_results(results)
    assert [r.id for r in kept] == ["p1", "s1"]
    assert report.to_dict()["dropped"] == {"disagreement": 1, "parse_failure": 1, "backend_error": 1}
    assert report.to_dict()["dropped_by_kind_reason"]["single/parse_failure"] == 1


def test_distil_builds_plain_prompts_and_a_consistent_swap() -> None:
    item = _pair(1, "others")
    samples, report = distil([_result(item, PAIRWISE_TEXT)])
    original, mirrored = samples
    protocol = AutoJProtocol()
    assert original.message == protocol.pairwise_message(item)
    assert original.target == PAIRWISE_TEXT
    assert mirrored.message == protocol.pairwise_message(item.swapped())
    assert "[Response 1]: second 1" in mirrored.message
    assert mirrored.target.endswith("So, the final decision is Response 2. Response 1 is wrong.")
    assert "Response 2 gives the right boiling point, the first response does not" in mirrored.target
    assert protocol.parse_pairwise(mirrored.target).verdict is Verdict.RESPONSE_2
    assert (mirrored.id, mirrored.augmentation, mirrored.source_id) == ("p1#swap", "swap", "p1")
    assert report.to_dict()["by_kind_augmentation"] == {"pairwise/none": 1, "pairwise/swap": 1}


def test_a_swap_whose_verdict_would_not_flip_is_refused() -> None:
    item = _pair(1)
    protocol = AutoJProtocol()
    base = TrainingSample("p1", "pairwise", protocol.pairwise_message(item), PAIRWISE_TEXT, None, "p1")
    assert swapped_sample(base, item, protocol, rewrite=lambda text: text) == "swap_inconsistent"
    assert isinstance(swapped_sample(base, item, protocol), TrainingSample)


def test_distil_never_trains_on_an_unparsed_judgment() -> None:
    samples, report = distil([_result(_pair(1), "no verdict here"), _result(_pair(2), PAIRWISE_TEXT)])
    assert [s.id for s in samples] == ["p2", "p2#swap"]
    assert report.to_dict()["dropped"] == {"unparsed_judgment": 1}


def test_distil_copies_singles() -> None:
    item = SingleItem("q", "r", id="s1", scenario="others")
    samples, report = distil([_result(item, "Good.\n\nRating: [[8]]")], single_copies=2)
    assert [s.id for s in samples] == ["s1", "s1#copy2"]
    assert samples[0].message == samples[1].message == AutoJProtocol().single_message(item)
    assert report.to_dict()["by_kind_augmentation"] == {"single/copy": 1, "single/none": 1}


def test_export_formats() -> None:
    sample = TrainingSample("s1", "single", "MESSAGE", "critique\n\nRating: [[8]]", "others", "s1")
    assert export_rows([sample], "prompt-completion") == [
        {"prompt": llama2_wrap("MESSAGE"), "completion": " critique\n\nRating: [[8]]", "id": "s1"}
    ]
    assert export_rows([sample], "messages")[0]["messages"] == [
        {"role": "user", "content": "MESSAGE"},
        {"role": "assistant", "content": "critique\n\nRating: [[8]]"},
    ]
    many = [TrainingSample(f"s{n}", "single", "m", "t", None, f"s{n}") for n in range(20)]
    assert export_rows(many, "messages", shuffle_seed=1) == export_rows(many, "messages", shuffle_seed=1)
    assert export_rows(many, "messages", shuffle_seed=1) != export_rows(many, "messages", shuffle_seed=None)


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("So, the final decision is Response 1 / Response 2 / Tie.", False),
        ("So, the final decision is **Response 1/Response 2/Tie**", False),
        (
            "So, the final decision is Response 1 / Response 2 / Tie.\n...\n"
            "So, the final decision is Response 2.",
            True,
        ),
        ("So, the final decision is Response 1. Response 2 is vague.", True),
    ],
)
def test_teacher_does_not_read_an_echoed_format_line_as_a_verdict(text: str, ok: bool) -> None:
    judgment = TeacherProtocol().parse_pairwise(text)
    assert judgment.ok is ok
    if not ok:
        assert judgment.reason is not None and "format line" in judgment.reason
