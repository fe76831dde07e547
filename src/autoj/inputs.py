"""Reading items to judge from JSONL, JSON or CSV, with field mapping and per-record validation.

Every bad record is reported with its file, line and field, so a user can fix the file before any
model call is made (`on_invalid="fail"`), or skip the bad records knowingly (`on_invalid="skip"`).
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from autoj.errors import AutojError, InputError, InputProblem
from autoj.types import PairItem, SingleItem, Verdict

OnInvalid = Literal["fail", "skip"]

# Labels as people write them, mapped to verdicts; a CLI can extend this with its own names.
DEFAULT_LABELS: dict[str, Verdict] = {
    "0": Verdict.RESPONSE_1,
    "1": Verdict.RESPONSE_2,
    "2": Verdict.TIE,
    "a": Verdict.RESPONSE_1,
    "b": Verdict.RESPONSE_2,
    "tie": Verdict.TIE,
    "response_1": Verdict.RESPONSE_1,
    "response_2": Verdict.RESPONSE_2,
    "response 1": Verdict.RESPONSE_1,
    "response 2": Verdict.RESPONSE_2,
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
    reference: str = "score"


@dataclass
class Loaded:
    """What a file held: the valid items and the problems with the rest."""

    pairs: list[PairItem] = field(default_factory=list)
    singles: list[SingleItem] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)


def open_text(path: Path) -> IO[str]:
    """A text handle, transparently gunzipping `.gz` files."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def iter_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | InputProblem]]:
    """(line number, record) for each record; a record that cannot be read is an InputProblem.

    JSONL lines and CSV rows are numbered as an editor shows them; a JSON array's elements by
    their position (1-based). Any of them may be gzipped (`.jsonl.gz`, `.json.gz`, `.csv.gz`).
    """
    if not path.is_file():
        raise AutojError(f"input file not found: {path}")
    suffix = Path(path.name.lower().removesuffix(".gz")).suffix
    if suffix == ".csv":
        with open_text(path) as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, dict(row)
        return
    if suffix == ".json":
        try:
            with open_text(path) as handle:
                data = json.load(handle)
        except json.JSONDecodeError as exc:
            yield exc.lineno, InputProblem(str(path), exc.lineno, None, f"invalid JSON: {exc.msg}")
            return
        if isinstance(data, dict):
            data = data.get("items", data.get("data"))
        if not isinstance(data, list):
            yield 1, InputProblem(str(path), 1, None, "a .json input must be a list of objects")
            return
        for number, record in enumerate(data, start=1):
            if isinstance(record, dict):
                yield number, record
            else:
                yield number, InputProblem(str(path), number, None, "record is not a JSON object")
        return
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, InputProblem(str(path), number, None, f"invalid JSON: {exc.msg}")
                continue
            if not isinstance(record, dict):
                yield number, InputProblem(str(path), number, None, "line is not a JSON object")
                continue
            yield number, record


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
    labels: Mapping[str, Verdict] | None = None,
    allow_empty: bool = False,
) -> Loaded:
    """Read every record of `path` as a PairItem or SingleItem; collect problems instead of raising.

    An empty response is a mistake in most files, but real in some benchmark data (a model that
    answered nothing): `allow_empty` accepts empty responses; an empty query is never accepted.
    """
    path = Path(path)
    fields = fields or FieldMap()
    labels = labels or DEFAULT_LABELS
    loaded = Loaded()
    seen_ids: dict[str, int] = {}
    for number, record in iter_records(path):
        if isinstance(record, InputProblem):
            loaded.problems.append(record)
            continue
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
            label = parse_label(record[fields.label], labels)
            if label is None:
                bad.append(
                    InputProblem(
                        str(path),
                        number,
                        fields.label,
                        f"unknown label {record[fields.label]!r}: use 0/1/2, A/B/tie or map it",
                    )
                )
        reference: float | None = None
        if kind == "single" and record.get(fields.reference) not in (None, ""):
            try:
                reference = float(record[fields.reference])
            except (TypeError, ValueError):
                bad.append(
                    InputProblem(str(path), number, fields.reference, "reference score is not a number")
                )
        if bad:
            loaded.problems.extend(bad)
            continue
        seen_ids[item_id] = number
        scenario = _optional_str(record, fields.scenario)
        known = set(vars(fields).values())
        meta = {k: v for k, v in record.items() if k not in known}
        strings = [t for t in texts if isinstance(t, str)]
        if kind == "pairwise":
            loaded.pairs.append(PairItem(strings[0], strings[1], strings[2], item_id, scenario, label, meta))
        else:
            loaded.singles.append(SingleItem(strings[0], strings[1], item_id, scenario, reference, meta))
    return loaded


def checked_items(
    path: str | Path,
    kind: Literal["pairwise", "single"],
    fields: FieldMap | None = None,
    on_invalid: OnInvalid = "fail",
    labels: Mapping[str, Verdict] | None = None,
    allow_empty: bool = False,
) -> tuple[list[PairItem] | list[SingleItem], list[InputProblem]]:
    """Items of a file, failing on the first sign of trouble unless told to skip bad records."""
    loaded = load_items(path, kind, fields, labels, allow_empty)
    if loaded.problems and on_invalid == "fail":
        raise InputError(
            loaded.problems,
            hint="nothing was judged; fix the records, map field names, or pass --on-invalid skip",
        )
    items: list[PairItem] | list[SingleItem] = loaded.pairs if kind == "pairwise" else loaded.singles
    return items, loaded.problems
