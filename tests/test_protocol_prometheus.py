"""Prometheus: the older prompt byte for byte on all 640 rendered benchmark prompts, the 1,920 GPT-4
feedbacks parsed with their scores, the current library prompts, and the library parser's cases."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import shared_file

from autoj.protocols import get_protocol
from autoj.protocols.base import ProtocolInputError
from autoj.protocols.families.prometheus import PrometheusLegacyProtocol, parse_absolute, parse_relative
from autoj.protocols.rubrics import packaged_rubrics
from autoj.types import Message, PairItem, Rubric, SingleItem, Verdict

FILES = ("prometheus_eval/mt_bench_eval.json.gz", "prometheus_eval/vicuna_eval.json.gz")

# The rendered prompt's parts, split at the template's own section headers (none of them occurs
# inside the 640 rows' texts: the rebuild below would differ if one did).
_PARTS = re.compile(
    r"(?s)###Task Description:\n.*?\n\n###The instruction to evaluate:\n(?P<instruction>.*)"
    r"\n\n###Response to evaluate:\n(?P<response>.*)\n\n###Reference Answer \(Score 5\):\n(?P<reference>.*)"
    r"\n\n###Score Rubrics:\n\[(?P<criteria>.*)\]\nScore 1: (?P<s1>.*)\nScore 2: (?P<s2>.*)"
    r"\nScore 3: (?P<s3>.*)\nScore 4: (?P<s4>.*)\nScore 5: (?P<s5>.*)\n\n###Feedback: "
)
_DIALOGUE = re.compile(
    r"(?s)Here is a previous dialogue between an assistant and an user\. Generate a human preferable "
    r"response by the assistant\.\nUser: (?P<q1>.*)\n\nAssistant:(?P<a1>.*)"
    r"\n\nUser: (?P<q2>.*)\n\nAssistant: "
)


def _rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for relative in FILES:
        path: Path = shared_file(relative)
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            rows.extend(json.load(handle))
    return rows


def _item(row: dict[str, Any], as_dialogue: bool) -> SingleItem:
    parts = _PARTS.fullmatch(row["instruction"])
    assert parts is not None, row["idx"]
    rubric = Rubric(parts["criteria"], tuple((str(n), parts[f"s{n}"]) for n in range(1, 6)))
    query, turns = parts["instruction"], ()
    dialogue = _DIALOGUE.fullmatch(query) if as_dialogue else None
    if dialogue is not None:
        query = dialogue["q2"]
        turns = (Message("user", dialogue["q1"]), Message("assistant", dialogue["a1"]))
    return SingleItem(
        query,
        parts["response"],
        id=str(row["idx"]),
        reference_answer=parts["reference"],
        rubric=rubric,
        conversation=turns,
    )


@pytest.mark.data
def test_the_older_prompt_is_rebuilt_byte_for_byte_on_all_640_rendered_prompts() -> None:
    rows = _rows()
    legacy = PrometheusLegacyProtocol()
    exact = sum(legacy.message(_item(row, as_dialogue=False)) == row["instruction"] for row in rows)
    assert (len(rows), exact) == (640, 640)
    # The 320 MT-Bench rows are two-turn dialogues: rebuilt from their turns, byte for byte too.
    dialogues = [row for row in rows if _DIALOGUE.fullmatch(_item(row, False).query)]
    rebuilt = sum(legacy.message(_item(row, as_dialogue=True)) == row["instruction"] for row in dialogues)
    assert (len(dialogues), rebuilt) == (320, 320)
    prompt = legacy.prompt(_item(rows[0], as_dialogue=True)).text
    assert prompt is not None
    assert prompt.startswith("[INST] <<SYS>>\nYou are a fair evaluator language model.\n<</SYS>>\n\n###Task")
    assert prompt.endswith("###Feedback:  [/INST]")


@pytest.mark.data
def test_all_1920_gpt4_feedbacks_parse_to_their_scores() -> None:
    rows = _rows()
    protocol = get_protocol("prometheus-legacy")
    outcomes = []
    for row in rows:
        for feedback, score in zip(row["gpt4_feedback"], row["gpt4_score"], strict=True):
            # The model continues "###Feedback: " with "(feedback) [RESULT] (score)".
            judgment = protocol.parse_single(f"{feedback} [RESULT] {score}")
            outcomes.append((judgment.rating == score, judgment.critique == feedback.strip()))
    assert len(outcomes) == 1920
    assert sum(rating for rating, _ in outcomes) == 1920
    assert sum(critique for _, critique in outcomes) == 1920


def test_the_current_absolute_prompt_is_the_older_one_without_the_feedback_cue() -> None:
    """The library's ABSOLUTE_PROMPT differs from the data-proven older one in its format line only."""
    item = SingleItem("Q", "R", id="1", reference_answer="REF")
    current = get_protocol("prometheus").prompt(item).text
    older = PrometheusLegacyProtocol().message(item)
    assert current is not None
    system = (
        "You are a fair judge assistant tasked with providing clear, objective feedback based on "
        "specific criteria, ensuring each assessment reflects the absolute standards set for performance."
    )
    expected_user = older.replace(
        '"Feedback: (write a feedback for criteria)', '"(write a feedback for criteria)'
    )
    assert expected_user != older
    assert current == f"[INST] {system}\n{expected_user} [/INST]"


HELPFULNESS = """[Does the model provide relevant and useful responses to the user's needs or questions?]
Score 1: The model's responses are irrelevant or unhelpful to the user's needs or queries.
Score 2: The model sometimes provides helpful information, but often fails to address the user's actual needs or questions.
Score 3: The model generally provides helpful responses that address the user's needs, though it may occasionally miss the mark.
Score 4: The model regularly provides helpful responses that are well-aligned with the user's inquiries, with only rare inaccuracies.
Score 5: The model consistently offers highly relevant and useful responses that perfectly cater to the user's needs and inquiries."""  # noqa: E501

RELATIVE_WO_REF = """###Task Description:
An instruction (might include an Input inside it), a response to evaluate, and a score rubric representing a evaluation criteria are given.
1. Write a detailed feedback that assess the quality of two responses strictly based on the given score rubric, not evaluating in general.
2. After writing a feedback, choose a better response between Response A and Response B. You should refer to the score rubric.
3. The output format should look as follows: "(write a feedback for criteria) [RESULT] (A or B)"
4. Please do not generate any other opening, closing, and explanations.

###Instruction:
{instruction}

###Response A:
{response_A}

###Response B:
{response_B}

###Score Rubric:
{rubric}

###Feedback: """  # noqa: E501


def test_relative_grading_is_the_librarys_prompt_with_the_rubric_criteria_line() -> None:
    """Rebuilt as the library does: RELATIVE_PROMPT_WO_REF.format(...) in the mistral conversation."""
    item = PairItem("Which is the capital of France?", "Paris.", "Lyon.", id="1")
    rubric = HELPFULNESS.split("\n")[0]  # what load_rubric("helpfulness", "relative") returns
    user = RELATIVE_WO_REF.format(
        instruction=item.query, response_A=item.response_1, response_B=item.response_2, rubric=rubric
    )
    system = (
        "You are a fair judge assistant assigned to deliver insightful feedback that compares "
        "individual performances, highlighting how each stands relative to others within the same cohort."
    )
    assert get_protocol("prometheus").prompt(item).text == f"[INST] {system}\n{user} [/INST]"
    referenced = get_protocol("prometheus").prompt(PairItem("q", "a", "b", reference_answer="REF")).text
    assert referenced is not None and "\n\n###Reference Answer:\nREF\n\n###Score Rubric:\n" in referenced


def test_the_packaged_helpfulness_rubric_renders_as_the_library_constant() -> None:
    item = SingleItem("q", "r", rubric=packaged_rubrics()["helpfulness"])
    text = get_protocol("prometheus").prompt(item).text
    assert text is not None and f"###Score Rubrics:\n{HELPFULNESS}\n\n###Feedback: " in text
    assert len(packaged_rubrics()) == 5


# The library's own parser cases (libs/prometheus-eval/tests/test_parser.py), output -> expected.
ABSOLUTE_CASES = [
    ("Excellent. [RESULT] 5 out of 5", 5),
    ("Poor performance. [RESULT] score of 1", 1),
    ("Good job. [Result] 3", 3),
    ("Needs improvement. [Result] Score: 2", 2),
    ("Well done. [Result] Result: 4", 4),
    ("Average. [Result] 4/5", 4),
    ("Excellent. [Result] 5 out of 5", 5),
    ("Poor performance. [Result] score of 1", 1),
    ("Good job. (Score 5)", 5),
    ("Good job. [Score 4]", 4),
    ("Good job. score: 3", 3),
    ("Good job. Score: 3", 3),
    ("Good job. score of 1", 1),
    ("Good job. [RESULT] (5)", 5),
    ("The score is definitely not 3.", None),
    ("I rate this a perfect 10!", None),
    ("Score: 2.5", None),
    ("Result: A", None),
    ("", None),
    # Ours: the last [RESULT] wins over a score mentioned in the feedback; out of range is refused.
    ("It deserves a score of 2 at most... [RESULT] 4", 4),
    ("Solid. [RESULT] 4.", 4),
    ("Odd. [RESULT] 7", None),
]
RELATIVE_CASES = [
    ("Response A is better. [RESULT] A", "A"),
    ("Prefer Response B. [RESULT] B", "B"),
    ("Feedback: Both responses are similar... [Response B]", "B"),
    ("Feedback: Both responses are clear... [Result] Response B", "B"),
    ("Feedback: Both responses are clear... Response B Response A", None),
    ("Feedback: Both responses are clear... [RESULT: B]", "B"),
    ("Feedback: Both responses are clear... [Result: B]", "B"),
    ("Feedback: Both responses are clear...Response A. [RESULT] B", "B"),
    ("After careful consideration, I select Response B.", None),
    ("Both responses have their merits.", None),
    ("Response C is clearly superior.", None),
    ("The better response is obviously B... or is it A? It's hard to decide.", None),
    ("", None),
    ("A was first. [RESULT] A [RESULT] B", "B"),
]


@pytest.mark.parametrize(("output", "expected"), ABSOLUTE_CASES)
def test_absolute_parser_table(output: str, expected: int | None) -> None:
    judgment = parse_absolute(output)
    assert judgment.rating == (None if expected is None else float(expected))
    assert judgment.ok is (expected is not None)
    if not judgment.ok:
        assert judgment.reason and judgment.raw == output


@pytest.mark.parametrize(("output", "expected"), RELATIVE_CASES)
def test_relative_parser_table(output: str, expected: str | None) -> None:
    judgment = parse_relative(output)
    verdicts = {"A": Verdict.RESPONSE_1, "B": Verdict.RESPONSE_2}
    assert judgment.verdict == (verdicts[expected] if expected else None)
    assert judgment.ok is (expected is not None) and (judgment.ok or bool(judgment.reason))


def test_inputs_a_prompt_cannot_use_are_refused_before_any_call() -> None:
    ten_point = Rubric("Is it correct?", tuple((str(n), f"level {n}") for n in range(1, 11)), 1, 10)
    with pytest.raises(ProtocolInputError, match="grades 1-5"):
        get_protocol("prometheus").prompt(SingleItem("q", "r", id="7", rubric=ten_point))
    with pytest.raises(ProtocolInputError, match="needs a reference answer"):
        get_protocol("prometheus-legacy").prompt(SingleItem("q", "r"))
    with pytest.raises(ProtocolInputError, match="no pairwise task"):
        get_protocol("prometheus-legacy").contract_for(PairItem("q", "a", "b"))
    with pytest.raises(ProtocolInputError, match="cannot use rubric"):
        get_protocol("autoj").prompt(SingleItem("q", "r", rubric=ten_point))
