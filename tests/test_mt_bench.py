"""MT-Bench graded turn by turn: FastChat's prompts for both turns (with and without reference
answers), and its scores per turn, overall and per category on a small hand-made results set."""

from __future__ import annotations

import pandas as pd
import pytest

from autoj.data import registry
from autoj.data.benchmarks import BenchmarkInstruction, load_benchmark
from autoj.errors import AutojError
from autoj.evaluate.benchmark_items import turn_items
from autoj.evaluate.benchmark_scores import mt_bench_rows, mt_bench_table, score_results
from autoj.io.results import Result
from autoj.protocols import get_protocol
from autoj.protocols.families.mtbench import judge_prompts
from autoj.types import Judgment, Message, PairItem
from conftest import shared_file


def _fastchat_single(question: BenchmarkInstruction, answers: list[str], multi_turn: bool) -> list[Message]:
    """FastChat's run_judge_single: the prompt by category and turn, formatted as it formats it."""
    math = question.category in ("math", "reasoning", "coding")
    name = ("single-math-v1" if math else "single-v1") + ("-multi-turn" if multi_turn else "")
    spec = judge_prompts()[name]
    kwargs = {}
    if math:
        assert question.reference_answers is not None
        kwargs["ref_answer_1"] = question.reference_answers[0]
        if multi_turn:
            kwargs["ref_answer_2"] = question.reference_answers[1]
    if multi_turn:
        user = spec["prompt_template"].format(
            question_1=question.turns[0],
            question_2=question.turns[1],
            answer_1=answers[0],
            answer_2=answers[1],
            **kwargs,
        )
    else:
        user = spec["prompt_template"].format(question=question.turns[0], answer=answers[0], **kwargs)
    return [Message("system", spec["system_prompt"]), Message("user", user)]


@pytest.mark.parametrize("question_id", ["81", "111", "121"])  # writing, math, coding
def test_both_turns_are_prompted_as_fastchat_does(monkeypatch: pytest.MonkeyPatch, question_id: str) -> None:
    shared_file("mt_bench/reference_answer_gpt-4.jsonl")
    monkeypatch.setenv(registry.OFFLINE_ENV_VAR, "1")
    question = next(i for i in load_benchmark("mt-bench").instructions if i.id == question_id)
    answers = ["First answer with {braces} and [[5]].", "Second answer."]
    first, second = turn_items(question, answers, "my-model")
    protocol = get_protocol("mtbench")
    assert list(protocol.prompt(first).messages) == _fastchat_single(question, answers, multi_turn=False)
    assert list(protocol.prompt(second).messages) == _fastchat_single(question, answers, multi_turn=True)
    assert second.conversation == (Message("user", question.turns[0]), Message("assistant", answers[0]))
    assert (first.meta["turn"], second.meta["turn"], second.meta["key"]) == (1, 2, question_id)
    assert first.id != second.id


def test_pairwise_multi_turn_reference_prompt() -> None:
    """pair-math-v1-multi-turn: both turns' reference answers, as FastChat's run_judge_pair fills it."""
    conversation = (Message("user", "Q1"), Message("assistant", "A-first"))
    item = PairItem(
        "Q2", "A-second", "B-second", conversation=conversation, reference_answer="R2",
        meta={"reference_answers": ["R1", "R2"]},
    )  # fmt: skip
    spec = judge_prompts()["pair-math-v1-multi-turn"]
    user = spec["prompt_template"].format(
        question_1="Q1", question_2="Q2", answer_a_1="A-first", answer_a_2="A-second",
        answer_b_1="A-first", answer_b_2="B-second", ref_answer_1="R1", ref_answer_2="R2",
    )  # fmt: skip
    assert get_protocol("mtbench").prompt(item).messages == (
        Message("system", spec["system_prompt"]),
        Message("user", user),
    )


def test_turn_items_check_their_inputs() -> None:
    question = BenchmarkInstruction("1", ["a", "b"], "math", ["r1"])
    with pytest.raises(AutojError, match="1 reference answer\\(s\\) for 2 turns"):
        turn_items(question, ["x", "y"], "m")
    with pytest.raises(AutojError, match="m: 1 answer\\(s\\) to the 2 turns of instruction '1'"):
        turn_items(BenchmarkInstruction("1", ["a", "b"]), ["x"], "m")


# (model, question, category, turn, grade); None = the judge's grade could not be read (-1 in FastChat)
GRADES: list[tuple[str, int, str, int, float | None]] = [
    ("alpha", 81, "writing", 1, 9.0),
    ("alpha", 81, "writing", 2, 7.0),
    ("alpha", 82, "writing", 1, 8.0),
    ("alpha", 82, "writing", 2, None),
    ("alpha", 111, "math", 1, 3.0),
    ("alpha", 111, "math", 2, 2.0),
    ("alpha", 112, "math", 1, 10.0),
    ("alpha", 112, "math", 2, 6.0),
    ("beta", 81, "writing", 1, 6.0),
    ("beta", 81, "writing", 2, 5.0),
    ("beta", 82, "writing", 1, 7.0),
    ("beta", 82, "writing", 2, 8.0),
    ("beta", 111, "math", 1, None),
    ("beta", 111, "math", 2, 1.0),
    ("beta", 112, "math", 1, 4.0),
    ("beta", 112, "math", 2, 2.0),
]

# Worked by hand from GRADES:
#   alpha: turn 1 (9+8+3+10)/4 = 7.5; turn 2 (7+2+6)/3 = 5.0; all (30+15)/7 = 6.428571...;
#          writing (9+7+8)/3 = 8.0; math (3+2+10+6)/4 = 5.25
#   beta:  turn 1 (6+7+4)/3 = 5.666...; turn 2 (5+8+1+2)/4 = 4.0; all (17+16)/7 = 4.714285...;
#          writing (6+5+7+8)/4 = 6.5; math (1+4+2)/3 = 2.333...
EXPECTED = {
    "alpha": {"score": 45 / 7, "score_turn_1": 7.5, "score_turn_2": 5.0, "writing": 8.0, "math": 5.25},
    "beta": {"score": 33 / 7, "score_turn_1": 17 / 3, "score_turn_2": 4.0, "writing": 6.5, "math": 7 / 3},
}


def _fastchat_show_result() -> dict[str, dict[str, float]]:
    """FastChat's show_result.py display_result_single on the same grades (-1 for a failed one),
    and per category the mean over both turns of the category's valid grades."""
    df_all = pd.DataFrame(
        [
            {"model": m, "question_id": q, "category": c, "turn": t, "score": -1 if g is None else g}
            for m, q, c, t, g in GRADES
        ]
    )
    df = df_all[df_all["score"] != -1]
    turn_1 = df[df["turn"] == 1][["model", "score"]].groupby("model").mean()["score"]
    turn_2 = df[df["turn"] == 2][["model", "score"]].groupby("model").mean()["score"]
    average = df[["model", "score"]].groupby("model").mean()["score"]
    categories = df.groupby(["model", "category"])["score"].mean()
    return {
        model: {
            "score": average[model],
            "score_turn_1": turn_1[model],
            "score_turn_2": turn_2[model],
            **{cat: categories[(model, cat)] for cat in ("writing", "math")},
        }
        for model in ("alpha", "beta")
    }


def test_table_matches_fastchat_show_result_and_the_hand_worked_figures() -> None:
    table = mt_bench_table([(m, c, t, g) for m, _, c, t, g in GRADES])
    fastchat = _fastchat_show_result()
    for model, expected in EXPECTED.items():
        figures = table[model]
        ours = {
            "score": figures.score,
            "score_turn_1": figures.turn_1,
            "score_turn_2": figures.turn_2,
            **figures.categories,
        }
        assert ours == pytest.approx(expected)
        assert ours == pytest.approx(fastchat[model])
    assert (table["alpha"].n, table["beta"].n) == (7, 7)


def _results() -> list[Result]:
    results = []
    for model, question_id, category, turn, grade in GRADES:
        instruction = BenchmarkInstruction(str(question_id), ["q1", "q2"], category)
        item = turn_items(instruction, ["a1", "a2"], model)[turn - 1]
        text = f"Fine.\nRating: [[{grade:g}]]" if grade is not None else "I cannot grade this."
        results.append(Result(item, get_protocol("mtbench").parse(item, text)))
    return results


def test_rows_from_judged_results() -> None:
    rows = score_results("mt-bench", _results(), "gpt-4")
    assert [r.model for r in rows] == ["alpha", "beta"]  # best first
    for row in rows:
        expected = EXPECTED[row.model]
        assert (row.score, row.score_turn_1, row.score_turn_2) == pytest.approx(
            (expected["score"], expected["score_turn_1"], expected["score_turn_2"])
        )
        assert row.category_scores == pytest.approx(
            {"writing": expected["writing"], "math": expected["math"]}
        )
        assert (row.n_total, row.n_unjudged, row.benchmark, row.judge) == (7, 1, "mt-bench", "gpt-4")
        assert row.to_csv()["category_scores"].startswith("{")


def test_rows_refuse_results_that_are_not_graded_turns() -> None:
    item = PairItem("q", "a", "b", meta={"model": "m"})
    with pytest.raises(AutojError, match="MT-Bench scores graded turns"):
        mt_bench_rows([Result(item, Judgment("pairwise", "ok", raw=""))], "j")
