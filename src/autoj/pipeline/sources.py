"""Row converters for the preference-data formats the pipeline ingests; pure functions.

Each converter turns one source row into a PairItem or SingleItem, a `Skip` (a row that is valid
but unusable, counted by reason) or a `FieldProblem` (the user's file or field mapping is wrong).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from autoj.data.autoj_single import unfill_single
from autoj.io.items import FieldMap
from autoj.io.labels import LabelMap
from autoj.types import Item, PairItem, SingleItem, Verdict


@dataclass(frozen=True)
class Skip:
    """A readable row that yields no sample; `reason` is a short code that reports count."""

    reason: str
    detail: str = ""


@dataclass(frozen=True)
class FieldProblem:
    """A row the field mapping cannot read: the field and what is wrong with it."""

    field: str
    message: str


Converted = Item | Skip | FieldProblem


@dataclass(frozen=True)
class SourceFields(FieldMap):
    """Field names in the source file; each can be remapped (`--field query=instruction`).

    The Auto-J names come from the judging input's FieldMap; the rest are other sources' fields.
    """

    chosen: str = "chosen"
    rejected: str = "rejected"
    conversation_a: str = "conversation_a"
    conversation_b: str = "conversation_b"
    winner: str = "winner"
    usrmsg: str = "usrmsg"
    target: str = "target_output"
    pred_score: str = "pred_score"

    def with_overrides(self, overrides: Mapping[str, str]) -> SourceFields:
        known = set(vars(self))
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(
                f"unknown field key(s) {', '.join(unknown)}: known are {', '.join(sorted(known))}"
            )
        return SourceFields(**{**vars(self), **overrides})


@dataclass(frozen=True)
class RowContext:
    """What a converter needs besides the row: the sample id, the mappings and the seed.

    Labels are read like every command reads them (`autoj.io.labels`): Auto-J 0/1/2 or a chosen
    convention, A/B, win/lose from response 1's side, Chatbot Arena's winner field.
    """

    id: str
    fields: SourceFields = field(default_factory=SourceFields)
    seed: int = 0
    source: str = ""
    labels: LabelMap = field(default_factory=LabelMap)


def text_field(record: Mapping[str, Any], name: str) -> str | FieldProblem:
    value = record.get(name)
    if value is None:
        return FieldProblem(name, "missing field (map another field with --field)")
    if not isinstance(value, str):
        return FieldProblem(name, f"expected text, got {type(value).__name__}")
    return value


def _optional_text(record: Mapping[str, Any], name: str) -> str | None:
    value = record.get(name)
    return None if value is None or value == "" else str(value)


def first_position(seed: int, sample_id: str) -> bool:
    """Whether the preferred response goes first: a seeded coin per sample, so labels are balanced
    between Response 1 and Response 2 and the same run always places them the same way."""
    digest = hashlib.sha256(f"{seed}\0{sample_id}".encode()).digest()
    return digest[0] % 2 == 0


def _placed_pair(
    query: str, better: str, worse: str, ctx: RowContext, scenario: str | None, meta: dict[str, Any]
) -> PairItem:
    first = first_position(ctx.seed, ctx.id)
    meta = {**meta, "preferred_position": 1 if first else 2}
    return PairItem(
        query=query,
        response_1=better if first else worse,
        response_2=worse if first else better,
        id=ctx.id,
        scenario=scenario,
        label=Verdict.RESPONSE_1 if first else Verdict.RESPONSE_2,
        meta=meta,
    )


# --- generic pairs and singles (defaults are the Auto-J data's field names) -----------------------


def convert_pair(record: Mapping[str, Any], ctx: RowContext) -> Converted:
    f = ctx.fields
    texts = [text_field(record, name) for name in (f.query, f.response_1, f.response_2)]
    for text in texts:
        if isinstance(text, FieldProblem):
            return text
    query, first, second = (str(t) for t in texts)
    label: Verdict | None = None
    if record.get(f.label) not in (None, ""):
        parsed = ctx.labels.check_field(f.label) or ctx.labels.parse(record[f.label])
        if not isinstance(parsed, Verdict):
            return FieldProblem(f.label, parsed)
        label = parsed
    if not first.strip() or not second.strip():
        return Skip("empty_response")
    if first.strip() == second.strip():
        return Skip("identical_responses")
    return PairItem(
        query, first, second, ctx.id, _optional_text(record, f.scenario), label, {"source": ctx.source}
    )


def convert_single(record: Mapping[str, Any], ctx: RowContext) -> Converted:
    f = ctx.fields
    query, response = text_field(record, f.query), text_field(record, f.response)
    if isinstance(query, FieldProblem):
        return query
    if isinstance(response, FieldProblem):
        return response
    reference: float | None = None
    if record.get(f.reference_score) not in (None, ""):
        try:
            reference = float(record[f.reference_score])
        except (TypeError, ValueError):
            return FieldProblem(f.reference_score, "reference score is not a number")
    if not response.strip():
        return Skip("empty_response")
    return SingleItem(
        query, response, ctx.id, _optional_text(record, f.scenario), reference, {"source": ctx.source}
    )


# --- HH-RLHF: two whole dialogues that differ only in the last assistant turn ---------------------

_HH_TURN = re.compile(r"\n\n(Human|Assistant):")


def hh_turns(dialogue: str) -> list[tuple[str, str]]:
    """(speaker, text) turns of an HH-RLHF dialogue ("\\n\\nHuman: ...\\n\\nAssistant: ...")."""
    marks = list(_HH_TURN.finditer(dialogue))
    return [
        (
            m.group(1),
            dialogue[m.end() : marks[n + 1].start() if n + 1 < len(marks) else len(dialogue)].strip(),
        )
        for n, m in enumerate(marks)
    ]


def render_dialogue(turns: list[tuple[str, str]]) -> str:
    """A query from dialogue turns: the bare question for one turn, a labelled transcript for more."""
    if len(turns) == 1:
        return turns[0][1]
    return "\n\n".join(f"{speaker}: {text}" for speaker, text in turns)


def split_hh(chosen: str, rejected: str) -> tuple[str, str, str] | Skip:
    """(query, chosen response, rejected response): the shared prefix up to the last Human turn is
    the query; the last assistant turns are the responses."""
    cut_c, cut_r = chosen.rfind("\n\nAssistant:"), rejected.rfind("\n\nAssistant:")
    if cut_c < 0 or cut_r < 0:
        return Skip("no_assistant_turn")
    if chosen[:cut_c] != rejected[:cut_r]:
        return Skip("dialogues_differ", "chosen and rejected differ before the last assistant turn")
    turns = hh_turns(chosen[:cut_c])
    if not turns or turns[-1][0] != "Human":
        return Skip("no_human_turn")
    better = chosen[cut_c + len("\n\nAssistant:") :].strip()
    worse = rejected[cut_r + len("\n\nAssistant:") :].strip()
    if not better or not worse:
        return Skip("empty_response")
    if better == worse:
        return Skip("identical_responses")
    return render_dialogue(turns), better, worse


def convert_hh(record: Mapping[str, Any], ctx: RowContext) -> Converted:
    chosen, rejected = text_field(record, ctx.fields.chosen), text_field(record, ctx.fields.rejected)
    if isinstance(chosen, FieldProblem):
        return chosen
    if isinstance(rejected, FieldProblem):
        return rejected
    split = split_hh(chosen, rejected)
    if isinstance(split, Skip):
        return split
    query, better, worse = split
    turns = sum(1 for speaker, _ in hh_turns(chosen) if speaker == "Human")
    return _placed_pair(query, better, worse, ctx, None, {"source": ctx.source, "human_turns": turns})


# --- Chatbot-Arena-style conversations ---------------------------------------------------------------


def _conversation(record: Mapping[str, Any], name: str) -> list[tuple[str, str]] | FieldProblem:
    value = record.get(name)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return FieldProblem(name, "conversation is text but not JSON")
    if not isinstance(value, list) or not value:
        return FieldProblem(name, "expected a non-empty list of {role, content} turns")
    turns: list[tuple[str, str]] = []
    for turn in value:
        if not isinstance(turn, dict) or not isinstance(turn.get("content"), str):
            return FieldProblem(name, "each turn needs a role and a text content")
        role = str(turn.get("role", "")).lower()
        turns.append(("Assistant" if role in ("assistant", "gpt", "bot") else "User", turn["content"]))
    return turns


def convert_arena(record: Mapping[str, Any], ctx: RowContext) -> Converted:
    """`conversation_a`/`conversation_b` (lists of turns) and `winner` (model_a/model_b/tie...)."""
    f = ctx.fields
    conv_a, conv_b = _conversation(record, f.conversation_a), _conversation(record, f.conversation_b)
    if isinstance(conv_a, FieldProblem):
        return conv_a
    if isinstance(conv_b, FieldProblem):
        return conv_b
    if conv_a[-1][0] != "Assistant" or conv_b[-1][0] != "Assistant":
        return Skip("no_assistant_turn")
    if conv_a[:-1] != conv_b[:-1]:
        # Multi-turn battles: the earlier answers differ, so there is no single query to judge.
        return Skip("dialogues_differ", "the conversations differ before the last answer")
    label = ctx.labels.parse(record.get(f.winner))
    if not isinstance(label, Verdict):
        return FieldProblem(f.winner, f"unknown winner: {label}")
    first, second = conv_a[-1][1], conv_b[-1][1]
    if not first.strip() or not second.strip():
        return Skip("empty_response")
    if first.strip() == second.strip():
        return Skip("identical_responses")
    meta = {"source": ctx.source, "user_turns": sum(1 for s, _ in conv_a if s == "User")}
    query = render_dialogue(conv_a[:-1])
    return PairItem(query, first, second, ctx.id, _optional_text(record, f.scenario), label, meta)


# --- Auto-J's released single-response training data ----------------------------------------------


def convert_autoj_single(record: Mapping[str, Any], ctx: RowContext) -> Converted:
    """A row of single_traindata.jsonl: `usrmsg` (the exact Auto-J prompt), `target_output`, ..."""
    f = ctx.fields
    message = text_field(record, f.usrmsg)
    if isinstance(message, FieldProblem):
        return message
    split = unfill_single(message)
    if split is None:
        return FieldProblem(f.usrmsg, "not an Auto-J single-response prompt")
    query, response = split
    meta: dict[str, Any] = {"source": _optional_text(record, "source_dataset") or ctx.source}
    target = record.get(f.target)
    if isinstance(target, str):
        meta["reference_judgment"] = target
    reference = record.get(f.pred_score)
    return SingleItem(
        query,
        response,
        ctx.id,
        _optional_text(record, f.scenario),
        float(reference) if isinstance(reference, int | float) else None,
        meta,
    )


CONVERTERS: dict[str, Callable[[Mapping[str, Any], RowContext], Converted]] = {
    "pairs": convert_pair,
    "singles": convert_single,
    "hh": convert_hh,
    "arena": convert_arena,
    "autoj-single": convert_autoj_single,
}
