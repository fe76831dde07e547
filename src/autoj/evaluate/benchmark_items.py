"""Items for a benchmark graded turn by turn (MT-Bench): one per turn of a model's dialogue.

FastChat grades turn 1 alone (single-v1, or single-math-v1 with the first reference answer) and
turn 2 as the whole dialogue (single-v1-multi-turn, or single-math-v1-multi-turn with both
reference answers). Each item here is the judged turn's question and the model's answer to it,
after the earlier exchanges as the item's `conversation`; the `mtbench` protocol picks the
prompt from that. `meta` names what the scorer needs (`autoj.evaluate.benchmark_scores`): the
model, the instruction (`key`), the turn, the category, and every turn's reference answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autoj.data.benchmarks import BenchmarkInstruction
from autoj.errors import AutojError
from autoj.evaluate.outputs import item_id
from autoj.types import Message, SingleItem


def turn_items(instruction: BenchmarkInstruction, answers: Sequence[str], model: str) -> list[SingleItem]:
    """The items grading each of the model's answers to the instruction's turns."""
    if len(answers) != len(instruction.turns):
        raise AutojError(
            f"{model}: {len(answers)} answer(s) to the {len(instruction.turns)} turns of instruction "
            f"{instruction.id!r}; generate the outputs again for this benchmark"
        )
    references = instruction.reference_answers
    if references is not None and len(references) != len(instruction.turns):
        raise AutojError(
            f"instruction {instruction.id!r}: {len(references)} reference answer(s) for "
            f"{len(instruction.turns)} turns; give one per turn"
        )
    items = []
    for n, (question, answer) in enumerate(zip(instruction.turns, answers, strict=True)):
        earlier = tuple(
            message
            for q, a in zip(instruction.turns[:n], answers[:n], strict=True)
            for message in (Message("user", q), Message("assistant", a))
        )
        meta: dict[str, Any] = {
            "model": model,
            "key": instruction.id,
            "turn": n + 1,
            "category": instruction.category,
        }
        if references:
            meta["reference_answers"] = list(references[: n + 1])
        items.append(
            SingleItem(
                query=question,
                response=answer,
                id=item_id(model, f"{instruction.id}#turn{n + 1}"),
                meta=meta,
                reference_answer=references[n] if references else None,
                conversation=earlier,
            )
        )
    return items
