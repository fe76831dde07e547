"""Reading ranking queries from a file: one record per query with a list of candidate responses.

Records are read by the one input reader (`autoj.io.readers`: JSONL, JSON, CSV, TSV, Parquet and
their `.gz`). A candidate is a string or an object with the text under `text` and an optional
`name` (a model or system name, shown in the ranking); a CSV/TSV cell holds the list as a JSON
array. Every bad record is reported with its file, line and field before any model call.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autoj.errors import InputProblem
from autoj.io.readers import Records


@dataclass(frozen=True)
class RankFields:
    """Which input field holds what (each has a CLI flag that maps it)."""

    query: str = "prompt"
    candidates: str = "candidates"
    id: str = "id"
    #: in a candidate given as an object: its text and its name
    text: str = "response"
    name: str = "name"


@dataclass(frozen=True)
class RankQuery:
    """One query and its candidates, with a name per candidate (its index when none is given)."""

    id: str
    query: str
    candidates: tuple[str, ...]
    names: tuple[str, ...]


class _Bad(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message


def _text(value: Any, field: str, flag: str, allow_empty: bool) -> str:
    if value is None:
        raise _Bad(field, f"missing (name another field with {flag})")
    if not isinstance(value, str):
        raise _Bad(field, f"expected text, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise _Bad(field, "empty text: fill it in or drop the candidate")
    return value


def _candidate_list(value: Any, fields: RankFields) -> list[Any]:
    name = fields.candidates
    if isinstance(value, str) and value.lstrip().startswith("["):  # a CSV/TSV cell
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise _Bad(name, f"not a JSON list: {exc.msg}") from None
    if value is None:
        raise _Bad(name, "missing field (name another field with --candidates-field)")
    if not isinstance(value, list):
        raise _Bad(name, f"expected a list of candidates, got {type(value).__name__}")
    if len(value) < 2:
        raise _Bad(name, f"{len(value)} candidate(s): a ranking needs at least 2")
    return value


def _candidates(value: Any, fields: RankFields, allow_empty: bool) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    names: list[str] = []
    for k, candidate in enumerate(_candidate_list(value, fields)):
        where = f"{fields.candidates}[{k}]"
        if isinstance(candidate, Mapping):
            texts.append(
                _text(
                    candidate.get(fields.text),
                    f"{where}.{fields.text}",
                    "--candidate-text-field",
                    allow_empty,
                )
            )
            given = candidate.get(fields.name)
            if given is not None and not isinstance(given, str | int):
                raise _Bad(f"{where}.{fields.name}", f"a name must be text, got {type(given).__name__}")
            names.append(str(k) if given in (None, "") else str(given))
        else:
            texts.append(_text(candidate, where, "--candidates-field", allow_empty))
            names.append(str(k))
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise _Bad(fields.candidates, f"candidate names must differ within a query: {duplicates}")
    return texts, names


def load_rank_queries(
    path: str | Path, fields: RankFields | None = None, allow_empty: bool = False
) -> tuple[list[RankQuery], list[InputProblem]]:
    """The valid queries of `path` and the problems with the others (nothing is raised for them)."""
    fields = fields or RankFields()
    queries: list[RankQuery] = []
    records = Records(path)
    seen: dict[str, int] = {}
    for number, record in records:
        try:
            query = _text(record.get(fields.query), fields.query, "--query-field", False)
            texts, names = _candidates(record.get(fields.candidates), fields, allow_empty)
            given_id = record.get(fields.id)
            query_id = str(number) if given_id in (None, "") else str(given_id)
            if query_id in seen:
                raise _Bad(fields.id, f"duplicate id {query_id!r} (first at {seen[query_id]})")
        except _Bad as bad:
            records.problem(number, bad.field, bad.message)
            continue
        seen[query_id] = number
        queries.append(RankQuery(query_id, query, tuple(texts), tuple(names)))
    return queries, records.problems
