"""Pipeline samples on disk: one JSON object per line, read and written the same way by every stage.

A sample is a `PairItem` or a `SingleItem`; its JSON form adds `kind` so one file can hold both.
Files are written whole to a temporary name and renamed, so a stage killed midway leaves no
half-written output behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from autoj.errors import AutojError
from autoj.io.outputs import replace_file
from autoj.io.readers import Records
from autoj.types import Item, PairItem, SingleItem, Verdict


def sample_to_dict(item: Item) -> dict[str, Any]:
    """The JSON form of a sample (stable field order, so files diff cleanly)."""
    if isinstance(item, PairItem):
        return {
            "id": item.id,
            "kind": "pairwise",
            "scenario": item.scenario,
            "label": item.label.value if item.label is not None else None,
            "query": item.query,
            "response_1": item.response_1,
            "response_2": item.response_2,
            "meta": dict(item.meta),
        }
    return {
        "id": item.id,
        "kind": "single",
        "scenario": item.scenario,
        "reference_score": item.reference_score,
        "query": item.query,
        "response": item.response,
        "meta": dict(item.meta),
    }


def sample_from_dict(data: Mapping[str, Any]) -> Item:
    """Inverse of `sample_to_dict`; raises KeyError/ValueError on a malformed record."""
    meta = dict(data.get("meta") or {})
    if data["kind"] == "pairwise":
        label = data.get("label")
        return PairItem(
            query=data["query"],
            response_1=data["response_1"],
            response_2=data["response_2"],
            id=str(data["id"]),
            scenario=data.get("scenario"),
            label=Verdict(label) if label is not None else None,
            meta=meta,
        )
    if data["kind"] == "single":
        return SingleItem(
            query=data["query"],
            response=data["response"],
            id=str(data["id"]),
            scenario=data.get("scenario"),
            reference_score=data.get("reference_score", data.get("reference")),
            meta=meta,
        )
    raise ValueError(f"unknown sample kind {data['kind']!r}")


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-empty line; a bad line is an error naming the line."""
    records = Records(path)
    yield from records
    records.check()


def read_samples(path: str | Path) -> list[Item]:
    """All samples of a pipeline file."""
    samples: list[Item] = []
    for number, data in read_jsonl(path):
        try:
            samples.append(sample_from_dict(data))
        except (KeyError, TypeError, ValueError) as exc:
            raise AutojError(f"{path}:{number}: not a pipeline sample ({exc})") from None
    return samples


def write_jsonl(path: str | Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write all rows atomically (temporary file + rename); returns the number written."""
    count = 0

    def write(out: IO[bytes]) -> None:
        nonlocal count
        for row in rows:
            out.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
            count += 1

    replace_file(path, write)
    return count


def write_samples(path: str | Path, samples: Iterable[Item]) -> int:
    return write_jsonl(path, (sample_to_dict(s) for s in samples))
