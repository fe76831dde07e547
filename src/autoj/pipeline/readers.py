"""Rows of a source file as dictionaries: JSONL (optionally gzipped), JSON, CSV or Parquet.

Each row comes with the number a person would use to find it (line for JSONL/CSV, position for
JSON arrays and Parquet), so problems can be reported precisely.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autoj.errors import AutojError, InputProblem, MissingExtraError
from autoj.inputs import iter_records
from autoj.pipeline.records import open_text

Row = tuple[int, dict[str, Any] | InputProblem]


def iter_rows(path: str | Path) -> Iterator[Row]:
    """Every row of `path`; unreadable rows are InputProblems, never silently skipped."""
    path = Path(path)
    if not path.is_file():
        raise AutojError(f"input file not found: {path}")
    name = path.name.lower()
    if name.endswith(".parquet"):
        yield from _parquet_rows(path)
    elif name.endswith((".jsonl.gz", ".json.gz")):
        yield from _gzip_jsonl_rows(path)
    else:
        yield from iter_records(path)


def _gzip_jsonl_rows(path: Path) -> Iterator[Row]:
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


def _parquet_rows(path: Path) -> Iterator[Row]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingExtraError("reading Parquet files", "train", "pyarrow") from None
    table = pq.read_table(path)
    yield from enumerate(table.to_pylist(), start=1)
