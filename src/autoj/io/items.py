"""Reading items to judge from any input file, with field mapping and per-record validation.

The one reader for every command: files are read by `autoj.io.readers` (JSONL, JSON, CSV, TSV,
Parquet and their `.gz`), labels are mapped by a `LabelMap`, and autoj's own results files are
read back as the items they judged. Every bad record is reported with its file, line and field, so
a user can fix the file before any model call is made (`on_invalid="fail"`), or skip the bad
records knowingly (`on_invalid="skip"`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from autoj.errors import AutojError, InputError, InputProblem
from autoj.io.labels import CONVENTIONS, WORD_LABELS, LabelMap
from autoj.io.readers import Records
from autoj.io.results import Result
from autoj.protocols.rubrics import RubricError, to_rubric
from autoj.types import PairItem, SingleItem, Verdict, check_history, messages_from

__all__ = ["DEFAULT_LABELS", "FieldMap", "LabelMap", "Loaded", "checked_items", "load_items"]

OnInvalid = Literal["fail", "skip"]
_FIX = "fix the records, map field names"
#: Why a scenario cannot be used (None when it can): a protocol's `scenario_problem`.
ScenarioCheck = Callable[[str], str | None]

# Auto-J's codes and the spelled labels, for verdict codes in predictions files (human labels are
# read through a LabelMap, which knows numeric conventions).
DEFAULT_LABELS: dict[str, Verdict] = {
    **{str(int(code)): verdict for code, verdict in CONVENTIONS["autoj"].items()},
    **WORD_LABELS,
}


@dataclass(frozen=True)
class FieldMap:
    """Which input field holds what. Defaults are the Auto-J data's names."""

    query: str = "prompt"
    response_1: str = "response 1"
    response_2: str = "response 2"
    response: str = "response"
    id: str = "id"
    scenario: str = "scenario"
    label: str = "label"
    #: a known score of the response (rating benchmarks correlate with it)
    reference_score: str = "score"
    #: inputs some judges use: a reference answer, a rubric (text, object or YAML file path) and the
    #: earlier turns of a dialogue (a list of {role, content}, before the query)
    reference_answer: str = "reference_answer"
    rubric: str = "rubric"
    conversation: str = "conversation"


DEFAULT_FIELD_MAP = FieldMap()


@dataclass
class Loaded:
    """What a file held: the valid items and the problems with the rest."""

    pairs: list[PairItem] = field(default_factory=list)
    singles: list[SingleItem] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)


def _text(
    record: Mapping[str, Any], name: str, where: tuple[str, int], flag: str, allow_empty: bool = False
) -> str | InputProblem:
    path, line = where
    if name not in record or record[name] is None:
        return InputProblem(path, line, name, f"missing field (name another field with {flag})")
    value = record[name]
    if not isinstance(value, str):
        return InputProblem(path, line, name, f"expected text, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        return InputProblem(
            path, line, name, "empty text: fill it in, drop the record, or allow empty responses"
        )
    return value


def parse_label(value: Any, labels: Mapping[str, Verdict] = DEFAULT_LABELS) -> Verdict | None:
    """A human label in any accepted spelling, or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return labels.get(str(value).strip().lower())


def _optional_str(record: Mapping[str, Any], name: str) -> str | None:
    value = record.get(name)
    return None if value is None or value == "" else str(value)


def load_items(
    path: str | Path,
    kind: Literal["pairwise", "single"],
    fields: FieldMap | None = None,
    labels: LabelMap | Mapping[str, Verdict] | None = None,
    allow_empty: bool = False,
    scenario_check: ScenarioCheck | None = None,
    on_invalid: OnInvalid = "fail",
) -> Loaded:
    """Read every record of `path` as a PairItem or SingleItem.

    A bad record is an InputError naming its file, line and field, as on the command line; with
    `on_invalid="skip"` the good records are kept and the bad ones listed in `.problems`.

    An empty response is a mistake in most files, but real in some benchmark data (a model that
    answered nothing): `allow_empty` accepts empty responses; an empty query is never accepted.
    A line of an autoj results file is read as the item it judged. `scenario_check` says why a
    given scenario cannot be used (the protocol's `scenario_problem`: criteria protocols need one
    of the taxonomy's).
    """
    path = Path(path)
    fields = fields or FieldMap()
    label_map = LabelMap.of(labels)
    loaded = Loaded()
    seen_ids: dict[str, int] = {}
    label_field_problem = label_map.check_field(fields.label) if kind == "pairwise" else None
    known = set(vars(fields).values())  # every mapped field; the rest of a record is meta
    asked = _renamed_inputs(fields)  # judge inputs a flag named: some record must hold each
    for number, record in Records(path, loaded.problems):
        if is_result_record(record):
            _add_result_item(loaded, record, kind, (str(path), number), seen_ids, scenario_check)
            continue
        asked = {name: flag for name, flag in asked.items() if name not in record}
        where = (str(path), number)
        query = _text(record, fields.query, where, "--query-field")
        if kind == "pairwise":
            texts = [
                query,
                _text(record, fields.response_1, where, "--response-1-field", allow_empty),
                _text(record, fields.response_2, where, "--response-2-field", allow_empty),
            ]
        else:
            texts = [query, _text(record, fields.response, where, "--response-field", allow_empty)]
        bad = [t for t in texts if isinstance(t, InputProblem)]
        item_id = _optional_str(record, fields.id) or str(number)
        if item_id in seen_ids:
            bad.append(
                InputProblem(
                    str(path), number, fields.id, f"duplicate id {item_id!r} (first at {seen_ids[item_id]})"
                )
            )
        label: Verdict | None = None
        if kind == "pairwise" and record.get(fields.label) not in (None, ""):
            parsed = label_field_problem or label_map.parse(record[fields.label])
            if isinstance(parsed, Verdict):
                label = parsed
            else:
                bad.append(InputProblem(str(path), number, fields.label, parsed))
        reference: float | None = None
        if kind == "single" and record.get(fields.reference_score) not in (None, ""):
            reference_or_problem = _number(record[fields.reference_score])
            if reference_or_problem is None:
                bad.append(
                    InputProblem(str(path), number, fields.reference_score, "reference score is not a number")
                )
            else:
                reference = reference_or_problem
        judge_inputs = _judge_inputs(record, fields, (str(path), number))
        if isinstance(judge_inputs, InputProblem):
            bad.append(judge_inputs)
        scenario = _optional_str(record, fields.scenario)
        if scenario_check is not None and scenario is not None:
            unknown = scenario_check(scenario)
            if unknown is not None:
                bad.append(InputProblem(str(path), number, fields.scenario, unknown))
        if bad:
            loaded.problems.extend(bad)
            continue
        seen_ids[item_id] = number
        meta = {k: v for k, v in record.items() if k not in known}
        strings = [t for t in texts if isinstance(t, str)]
        extra = judge_inputs if isinstance(judge_inputs, dict) else {}
        if kind == "pairwise":
            loaded.pairs.append(
                PairItem(strings[0], strings[1], strings[2], item_id, scenario, label, meta, **extra)
            )
        else:
            loaded.singles.append(
                SingleItem(strings[0], strings[1], item_id, scenario, reference, meta, **extra)
            )
    for name, flag in asked.items():  # never a silent fallback to the protocol's default input
        loaded.problems.append(
            InputProblem(str(path), 1, name, f"no record has this field (named by {flag}): check the name")
        )
    if loaded.problems and on_invalid == "fail":
        raise InputError(loaded.problems, hint=f"{_FIX}, or pass on_invalid='skip' to keep the good records")
    return loaded


def _renamed_inputs(fields: FieldMap) -> dict[str, str]:
    """The optional judge inputs mapped to a field other than the default: {field: its flag}."""
    flags = {
        "reference_answer": "--reference-answer-field",
        "rubric": "--rubric-field",
        "conversation": "--conversation-field",
    }
    return {
        getattr(fields, name): flag
        for name, flag in flags.items()
        if getattr(fields, name) != getattr(DEFAULT_FIELD_MAP, name)
    }


def _judge_inputs(
    record: Mapping[str, Any], fields: FieldMap, where: tuple[str, int]
) -> dict[str, Any] | InputProblem:
    """The optional inputs for judges (reference answer, rubric, earlier turns) a record gives."""
    path, line = where
    found: dict[str, Any] = {}
    answer = record.get(fields.reference_answer)
    if answer not in (None, ""):
        if not isinstance(answer, str):
            return InputProblem(path, line, fields.reference_answer, "a reference answer is text")
        found["reference_answer"] = answer
    rubric = record.get(fields.rubric)
    if rubric not in (None, ""):
        try:
            found["rubric"] = to_rubric(rubric, f"{path}:{line} field {fields.rubric!r}")
        except RubricError as exc:
            return InputProblem(path, line, fields.rubric, str(exc).split(": ", 1)[-1])
    turns = record.get(fields.conversation)
    if turns not in (None, "", []):
        try:
            found["conversation"] = messages_from(turns)
            check_history(found["conversation"])
        except ValueError as exc:
            return InputProblem(path, line, fields.conversation, f"{exc} (the turns before the query)")
    return found


def checked_items(
    path: str | Path,
    kind: Literal["pairwise", "single"],
    fields: FieldMap | None = None,
    on_invalid: OnInvalid = "fail",
    labels: LabelMap | Mapping[str, Verdict] | None = None,
    allow_empty: bool = False,
    scenario_check: ScenarioCheck | None = None,
) -> tuple[list[PairItem] | list[SingleItem], list[InputProblem]]:
    """Items of a file, failing on the first sign of trouble unless told to skip bad records.

    A file with no records at all is an error too: an empty input is a mistake, not a run.
    """
    loaded = load_items(path, kind, fields, labels, allow_empty, scenario_check, on_invalid="skip")
    if not loaded.problems and not loaded.pairs and not loaded.singles:
        raise AutojError(f"{path} holds no records: nothing to judge")
    if loaded.problems and on_invalid == "fail":
        raise InputError(loaded.problems, hint=f"nothing was judged; {_FIX}, or pass --on-invalid skip")
    items: list[PairItem] | list[SingleItem] = loaded.pairs if kind == "pairwise" else loaded.singles
    return items, loaded.problems


def is_result_record(record: Mapping[str, Any]) -> bool:
    """Whether a record is a line of an autoj results file (an `item` object and a `judgment`)."""
    item = record.get("item")
    return isinstance(item, dict) and "query" in item and "judgment" in record


def _add_result_item(
    loaded: Loaded,
    record: Mapping[str, Any],
    kind: Literal["pairwise", "single"],
    where: tuple[str, int],
    seen_ids: dict[str, int],
    scenario_check: ScenarioCheck | None,
) -> None:
    """The item a results line judged, read as the results module wrote it (any format version)."""
    path, number = where
    if record.get("kind") != kind:
        message = f"a {record.get('kind')} result, but this command judges {kind} items"
        loaded.problems.append(InputProblem(path, number, "kind", message))
        return
    try:
        item = Result.from_dict(record).item
    except (KeyError, TypeError, ValueError) as exc:
        loaded.problems.append(InputProblem(path, number, "item", f"not a readable results line ({exc})"))
        return
    if item.id in seen_ids:
        message = f"duplicate id {item.id!r} (first at {seen_ids[item.id]})"
        loaded.problems.append(InputProblem(path, number, "id", message))
        return
    unknown = scenario_check(item.scenario) if scenario_check is not None and item.scenario else None
    if unknown is not None:
        loaded.problems.append(InputProblem(path, number, "item.scenario", unknown))
        return
    seen_ids[item.id] = number
    if isinstance(item, PairItem):
        loaded.pairs.append(item)
    else:
        loaded.singles.append(item)


def _number(value: Any) -> float | None:
    """A finite number from a number or numeric text; None otherwise (NaN and Infinity too)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
