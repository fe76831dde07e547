"""MT-Bench's judge prompts (FastChat llm_judge/data/judge_prompts.jsonl), byte for byte.

The protocol for GPT-4-class API judges, sent as system + user chat messages as FastChat sends
them. Which of the eight prompts is used follows the item: pairwise `[[A]]` / `[[B]]` / `[[C]]`
(pair-v2, pair-math-v1 with a reference answer) or single `[[rating]]` 1-10 (single-v1,
single-math-v1), and their multi-turn forms for a two-turn dialogue (one earlier exchange); a
dialogue of another length is refused (the prompts speak of "the second user question").

The multi-turn reference prompts (pair-math-v1-multi-turn, single-math-v1-multi-turn) show a
reference answer for each turn: the item's `reference_answer` is the second turn's, and the first
turn's comes in `meta["reference_answers"]` (every turn's, in order, as
`autoj.evaluate.benchmark_items.turn_items` builds MT-Bench's items); without it such an item is
refused.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from autoj.protocols.base import JudgeProtocol, ProtocolInputError, fill
from autoj.protocols.bracket import parse_bracket_rating, parse_bracket_verdict
from autoj.protocols.contract import OutputContract, RatingContract, VerdictContract
from autoj.protocols.registry import registered
from autoj.types import FinishReason, Item, Judgment, Message, PairItem, Prompt, SingleItem, Verdict

LABELS = {"A": Verdict.RESPONSE_1, "B": Verdict.RESPONSE_2, "C": Verdict.TIE}
CONTRACT = OutputContract(
    pairwise=VerdictContract("[[", tuple(LABELS.items()), suffix="]]", marker_regex=r"\[\["),
    single=RatingContract("Rating: [[", 1, 10, suffix="]]", marker_regex=r"\[\["),
)


@cache
def judge_prompts() -> dict[str, dict[str, str]]:
    """FastChat's judge prompts by name (pair-v2, single-math-v1-multi-turn, ...)."""
    text = resources.files("autoj.protocols").joinpath("templates", "mtbench_judge_prompts.jsonl")
    rows = [json.loads(line) for line in text.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {row["name"]: row for row in rows}


def prompt_name(item: Item) -> str:
    """Which judge prompt fits the item: its task, a reference answer, one earlier exchange."""
    kind = "pair" if isinstance(item, PairItem) else "single"
    multi = bool(item.conversation)
    if multi and len(item.conversation) != 2:
        raise ProtocolInputError(
            f"item {item.id or '(no id)'}: MT-Bench's multi-turn prompts judge the second turn of a "
            f"two-turn dialogue; this one has {len(item.conversation) // 2 + 1} turns"
        )
    if multi and item.reference_answer is not None:
        _first_reference(item)
    if kind == "pair":
        base = "pair-math-v1" if item.reference_answer is not None else "pair-v2"
    else:
        base = "single-math-v1" if item.reference_answer is not None else "single-v1"
    return base + ("-multi-turn" if multi else "")


def _first_reference(item: Item) -> str:
    """The first turn's reference answer of a two-turn item, from `meta["reference_answers"]`."""
    references = item.meta.get("reference_answers")
    if not isinstance(references, list | tuple) or not references or not isinstance(references[0], str):
        raise ProtocolInputError(
            f"item {item.id or '(no id)'}: MT-Bench's multi-turn reference prompts need a reference "
            "answer for each turn: give every turn's in meta.reference_answers, or drop the "
            "reference answer"
        )
    return references[0]


def _fields(item: Item) -> dict[str, str]:
    fields: dict[str, str] = {}
    if item.reference_answer is not None and item.conversation:
        fields.update(ref_answer_1=_first_reference(item), ref_answer_2=item.reference_answer)
    elif item.reference_answer is not None:
        fields["ref_answer_1"] = item.reference_answer
    answers = (
        {"a": item.response_1, "b": item.response_2} if isinstance(item, PairItem) else {"": item.response}
    )
    if item.conversation:
        first_question, *_ = item.conversation
        fields.update(question_1=first_question.content, question_2=item.query)
        for side, answer in answers.items():
            prefix = f"answer_{side}_" if side else "answer_"
            fields[prefix + "1"] = item.conversation[1].content
            fields[prefix + "2"] = answer
    else:
        fields["question"] = item.query
        for side, answer in answers.items():
            fields[f"answer_{side}" if side else "answer"] = answer
    return fields


@registered("mtbench")
class MTBenchProtocol(JudgeProtocol):
    """FastChat's MT-Bench judge: pairwise A/B/C and single 1-10, optional reference, two turns."""

    name = "mtbench"
    version = "1"
    contract = CONTRACT
    inputs = frozenset({"reference_answer", "conversation"})

    def _prompt(self, item: Item) -> Prompt:
        spec = judge_prompts()[prompt_name(item)]
        user = fill(spec["prompt_template"], _fields(item))
        return Prompt(messages=(Message("system", spec["system_prompt"]), Message("user", user)))

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        return self._prompt(item)

    def single_prompt(self, item: SingleItem) -> Prompt:
        return self._prompt(item)

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_bracket_verdict(text, LABELS, finish_reason)

    def parse_single(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_bracket_rating(text, 1, 10, finish_reason)
