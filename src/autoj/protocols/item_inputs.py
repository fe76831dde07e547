"""The optional judge inputs of an item, from the forms the Python API takes them in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from autoj.protocols.rubrics import to_rubric
from autoj.types import Message, Rubric, check_history, messages_from


def judge_inputs(
    reference_answer: str | None = None,
    rubric: Rubric | Mapping[str, Any] | str | None = None,
    conversation: Sequence[Message | Mapping[str, str]] = (),
) -> dict[str, Any]:
    """PairItem / SingleItem keyword arguments: a rubric as a Rubric, mapping, packaged name, YAML
    path or inline text; earlier turns as Messages or {role, content} mappings (user first)."""
    found: dict[str, Any] = {}
    if reference_answer is not None:
        found["reference_answer"] = reference_answer
    if rubric is not None:
        found["rubric"] = to_rubric(rubric)
    if conversation:
        turns = messages_from(list(conversation))
        check_history(turns)
        found["conversation"] = turns
    return found
