"""Prometheus (prometheus-eval): rubric grading, byte for byte, in its two published versions.

`prometheus` is the prometheus-eval library's current prompts (libs/prometheus-eval/prometheus_eval/
prompts.py): absolute grading 1-5 with and without a reference answer, relative grading A/B with
and without one, each with its system prompt, rendered as the library renders them for Prometheus
2 (FastChat's "mistral" conversation: `[INST] {system}\n{user} [/INST]`).

`prometheus-legacy` is the older absolute-grading prompt whose format line begins "Feedback:"
(the one rendered in the project's benchmark data, eval/benchmark/data/*_eval.json), with
Prometheus 1's Llama-2 chat wrapper and system prompt. It has no pairwise task and needs a
reference answer.

A multi-turn item is written into the instruction the way that benchmark data writes MT-Bench
dialogues. Rubrics come from the item (5 score descriptions on 1-5 for absolute grading; the
criteria alone for relative grading, as the library's `load_rubric` gives them) or default to the
library's helpfulness rubric. Parsing reads the last "[RESULT]" first and falls back to the
library parser's looser forms ("Score: 3", "[Response B]"), never guessing a number out of range.
"""

from __future__ import annotations

import re
from dataclasses import replace

from autoj.protocols.base import JudgeProtocol, ProtocolInputError, fill, load_template
from autoj.protocols.contract import OutputContract, RatingContract, VerdictContract
from autoj.protocols.parsing import parse_failure
from autoj.protocols.registry import registered
from autoj.protocols.rubrics import packaged_rubrics, rubric_text
from autoj.types import FinishReason, Item, Judgment, PairItem, Prompt, Rubric, SingleItem, Verdict

_RESULT = r"(?i)\[RESULT\]"
CONTRACT = OutputContract(
    pairwise=VerdictContract(
        "[RESULT] ", (("A", Verdict.RESPONSE_1), ("B", Verdict.RESPONSE_2)), marker_regex=_RESULT
    ),
    single=RatingContract("[RESULT] ", 1, 5, marker_regex=_RESULT),
)
DEFAULT_RUBRIC = "helpfulness"

#: How the benchmark data writes a multi-turn instruction (MT-Bench rows of *_eval.json).
DIALOGUE_HEAD = (
    "Here is a previous dialogue between an assistant and an user. "
    "Generate a human preferable response by the assistant.\n"
)


def mistral_wrap(system: str, user: str) -> str:
    """FastChat's "mistral" conversation with a system message, as prometheus-eval sends to vLLM."""
    return f"[INST] {system}\n{user} [/INST]"


def llama2_system_wrap(system: str, user: str) -> str:
    """Llama-2 chat with a system message (Prometheus 1)."""
    return f"[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST]"


def instruction_of(item: Item) -> str:
    """The instruction to evaluate: the query, or the dialogue that leads to it."""
    if not item.conversation:
        return item.query
    turns = item.conversation
    earlier = "".join(
        f"User: {turns[n].content}\n\nAssistant:{turns[n + 1].content}\n\n" for n in range(0, len(turns), 2)
    )
    return f"{DIALOGUE_HEAD}{earlier}User: {item.query}\n\nAssistant: "


def own_or_default_rubric(item: Item) -> Rubric:
    """The item's rubric, else the library's helpfulness rubric (what both versions grade with)."""
    return item.rubric or packaged_rubrics()[DEFAULT_RUBRIC]


def absolute_rubric(rubric: Rubric, item_id: str) -> str:
    """`[criteria]` and Score 1..5 lines (the library's SCORE_RUBRIC_TEMPLATE)."""
    labels = [label for label, _ in rubric.scores]
    if (rubric.low, rubric.high) != (1, 5) or labels != ["1", "2", "3", "4", "5"]:
        raise ProtocolInputError(
            f"item {item_id or '(no id)'}: Prometheus grades 1-5 and needs one description per score "
            f"1..5; this rubric has scale {rubric.scale} and scores {labels or 'none'}"
        )
    return rubric_text(rubric)


def relative_rubric(rubric: Rubric) -> str:
    """The criteria line alone, as the library's `load_rubric` gives relative grading."""
    return f"[{rubric.criteria}]"


_NUMBER_END = r"(?:\s*/\s*{high}|\s*out\s*of\s*{high}|(?=[)\]\s,;!]|\.(?!\d)|$))"
# After [RESULT]: optional brackets and a "Score:" / "score of" / "Result:" word, then the number.
_AFTER_RESULT = r"[\s(\[]*(?:(?:score\s+of|score|result)\s*:?\s*[\s(\[]*)?(\d+)" + _NUMBER_END
# The library parser's looser forms, for answers without [RESULT] (its first match counts).
_LOOSE_SCORE = r"(?:\[SCORE\]|\[Result\]:?|score\s+of|score:?|result:?)\s*(?:\(|\[|\s)*(\d+)" + _NUMBER_END
_AFTER_RESULT_CHOICE = re.compile(r"\s*:?\s*(?:Response\s+)?(A|B)(?=[\]\s.,;!)]|$)", re.IGNORECASE)
_LOOSE_CHOICE = re.compile(
    r"(?:\[RESULT:\s*|\[Response\s+|\[Result:\s*|(?:^|\n)Result:?\s*)\s*(A|B)(?:\]|\s|$)",
    re.IGNORECASE | re.MULTILINE,
)
_RESULT_MARK = re.compile(_RESULT)


def parse_absolute(
    text: str, low: int = 1, high: int = 5, finish_reason: FinishReason | None = None
) -> Judgment:
    """The score after the last [RESULT], else the library parser's first looser score form."""
    results = list(_RESULT_MARK.finditer(text))
    pattern = _AFTER_RESULT.format(high=high)
    match: re.Match[str] | None
    if results:
        match = re.compile(pattern, re.IGNORECASE).match(text, results[-1].end())
        start = results[-1].start()
        if match is None:
            return parse_failure(
                "single", text, "the last [RESULT] is not followed by a whole-number score", None
            )
    else:
        match = re.compile(_LOOSE_SCORE.format(high=high), re.IGNORECASE).search(text)
        if match is None:
            return parse_failure("single", text, "no [RESULT] score found", finish_reason)
        start = match.start()
    value = int(match.group(1))
    if not low <= value <= high:
        return parse_failure("single", text, f"score {value} is outside {low}-{high}", None)
    return Judgment(kind="single", status="ok", raw=text, critique=text[:start].strip(), rating=float(value))


def parse_relative(text: str, finish_reason: FinishReason | None = None) -> Judgment:
    """A or B after the last [RESULT], else the library parser's looser forms ("[Response B]")."""
    results = list(_RESULT_MARK.finditer(text))
    match: re.Match[str] | None
    if results:
        match = _AFTER_RESULT_CHOICE.match(text, results[-1].end())
        start = results[-1].start()
        if match is None:
            shown = text[results[-1].end() :][:30].strip()
            return parse_failure(
                "pairwise", text, f"the last [RESULT] names neither A nor B: {shown!r}", None
            )
    else:
        match = _LOOSE_CHOICE.search(text)
        if match is None:
            return parse_failure("pairwise", text, "no [RESULT] A / B found", finish_reason)
        start = match.start()
    verdict = Verdict.RESPONSE_1 if match.group(1).upper() == "A" else Verdict.RESPONSE_2
    return Judgment(kind="pairwise", status="ok", raw=text, critique=text[:start].strip(), verdict=verdict)


@registered("prometheus")
class PrometheusProtocol(JudgeProtocol):
    """Prometheus 2's absolute (1-5) and relative (A/B) grading, with or without a reference."""

    name = "prometheus"
    version = "2"
    contract = CONTRACT
    inputs = frozenset({"reference_answer", "rubric", "conversation"})

    def rubric_for(self, item: Item) -> Rubric:
        return own_or_default_rubric(item)

    def _prompt(self, grading: str, item: Item, fields: dict[str, str]) -> Prompt:
        """The `absolute` or `relative` grading prompt: the template with a reference answer when
        the item has one, the one without otherwise, after the grading's system prompt."""
        name = f"prometheus_{grading}_no_reference.txt"
        if item.reference_answer is not None:
            name = f"prometheus_{grading}.txt"
            fields = {**fields, "reference_answer": item.reference_answer}
        system = load_template(f"prometheus_{grading}_system.txt")
        return Prompt(text=mistral_wrap(system, fill(load_template(name), fields)))

    def single_prompt(self, item: SingleItem) -> Prompt:
        fields = {
            "instruction": instruction_of(item),
            "response": item.response,
            "rubric": absolute_rubric(self.rubric_for(item), item.id),
        }
        return self._prompt("absolute", item, fields)

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        fields = {
            "instruction": instruction_of(item),
            "response_A": item.response_1,
            "response_B": item.response_2,
            "rubric": relative_rubric(self.rubric_for(item)),
        }
        return self._prompt("relative", item, fields)

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_relative(text, finish_reason)

    def parse_single(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_absolute(text, 1, 5, finish_reason)


LEGACY_CONTRACT = OutputContract(pairwise=None, single=CONTRACT.single)


@registered("prometheus-legacy")
class PrometheusLegacyProtocol(JudgeProtocol):
    """The older absolute-grading prompt ("Feedback: ... [RESULT] n"); a reference answer is required."""

    name = "prometheus-legacy"
    version = "1"
    contract = LEGACY_CONTRACT
    inputs = frozenset({"reference_answer", "rubric", "conversation"})

    def message(self, item: SingleItem) -> str:
        """The user message (as rendered in the benchmark data's `instruction` field)."""
        if item.reference_answer is None:
            raise ProtocolInputError(
                f"item {item.id or '(no id)'}: the prometheus-legacy prompt needs a reference answer "
                "(give one, or use the prometheus protocol, which grades without)"
            )
        fields = {
            "instruction": instruction_of(item),
            "response": item.response,
            "reference_answer": item.reference_answer,
            "rubric": absolute_rubric(self.rubric_for(item), item.id),
        }
        return fill(load_template("prometheus_legacy_absolute.txt"), fields)

    def rubric_for(self, item: Item) -> Rubric:
        return own_or_default_rubric(item)

    def single_prompt(self, item: SingleItem) -> Prompt:
        return Prompt(
            text=llama2_system_wrap(load_template("prometheus_legacy_system.txt"), self.message(item))
        )

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        raise ProtocolInputError(
            "the prometheus-legacy protocol grades single responses only; use prometheus"
        )

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        raise ProtocolInputError("the prometheus-legacy protocol grades single responses only")

    def parse_single(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        judgment = parse_absolute(text, 1, 5, finish_reason)
        return replace(judgment, critique=judgment.critique.removeprefix("Feedback:").strip())
