"""Model answer files as their makers write them: alpaca_eval, Arena-Hard-Auto and FastChat.

- alpaca_eval: a JSON list (or JSONL) of `instruction`, `output`, `generator` (autoj's `generate`
  adds `id` and, for several turns, `turns`).
- Arena-Hard-Auto `model_answer/*.jsonl`: `uid`, `model`, `messages` whose assistant turns hold
  `content.answer`.
- FastChat `model_answer/*.jsonl`: `question_id`, `model_id`, `choices[0].turns`.

Each record becomes one ModelAnswer: its key (the id when the file has one), the instruction when
the file says it, and the model's answers in turn order. A record of none of these shapes stops
the read with its file, line and what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autoj.io.readers import Records


@dataclass(frozen=True)
class ModelAnswer:
    """One instruction's answer(s). `turns` holds the model's answers in order; `output` the last."""

    key: str | None
    instruction: str | None
    turns: tuple[str, ...]
    generator: str | None
    line: int

    @property
    def output(self) -> str:
        return self.turns[-1]


def _texts(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and value and all(isinstance(t, str) for t in value):
        return tuple(value)
    return None


def _arena_hard(record: Mapping[str, Any]) -> tuple[str | None, tuple[str, ...]] | None:
    messages = record.get("messages")
    if not isinstance(messages, list):
        return None
    user = [m.get("content") for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    answers = []
    for message in messages:
        if isinstance(message, dict) and message.get("role") == "assistant":
            content = message.get("content")
            answer = content.get("answer") if isinstance(content, dict) else content
            if not isinstance(answer, str):
                return None
            answers.append(answer)
    if not answers:
        return None
    first = user[0] if user and isinstance(user[0], str) else None
    return first, tuple(answers)


def answer_of(record: Mapping[str, Any], line: int) -> ModelAnswer | str:
    """The record as a ModelAnswer, or why it is none (a message naming the fields expected)."""
    generator = next(
        (record[k] for k in ("generator", "model", "model_id") if isinstance(record.get(k), str)), None
    )
    key_value = next(
        (record[k] for k in ("id", "uid", "question_id") if record.get(k) not in (None, "")), None
    )
    key = None if key_value is None else str(key_value)
    if "choices" in record:
        choices = record["choices"]
        turns = (
            _texts(choices[0].get("turns"))
            if isinstance(choices, list) and choices and isinstance(choices[0], dict)
            else None
        )
        if turns is None:
            return "FastChat answer without choices[0].turns (a list of texts)"
        return ModelAnswer(key, None, turns, generator, line)
    if "messages" in record:
        found = _arena_hard(record)
        if found is None:
            return "Arena-Hard answer without assistant messages holding content.answer"
        return ModelAnswer(key, found[0], found[1], generator, line)
    instruction = record.get("instruction")
    output = record.get("output")
    if not isinstance(output, str):
        return "no answer: expected `output` (alpaca_eval), `messages` (Arena-Hard) or `choices` (FastChat)"
    turns = _texts(record.get("turns")) or (output,)
    if turns[-1] != output:
        return "`output` is not the last of `turns`"
    return ModelAnswer(key, instruction if isinstance(instruction, str) else None, turns, generator, line)


def read_answers(path: str | Path) -> list[ModelAnswer]:
    """Every answer of the file, in order; any unreadable record stops the read (all are listed)."""
    path = Path(path)
    answers: list[ModelAnswer] = []
    records = Records(path)
    for number, record in records:
        found = answer_of(record, number)
        if isinstance(found, str):
            records.problem(number, None, found)
        else:
            answers.append(found)
    records.check(hint="expected a model answer file (alpaca_eval, Arena-Hard or FastChat)")
    return answers
