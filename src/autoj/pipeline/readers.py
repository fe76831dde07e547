"""Rows of a source file as dictionaries: JSONL (optionally gzipped), JSON, CSV or Parquet.

Each row comes with the number a person would use to find it (line for JSONL/CSV, position for
JSON arrays and Parquet), so problems can be reported precisely.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autoj.errors import AutojError, InputProblem, MissingExtraError
from autoj.inputs import iter_records

Row = tuple[int, dict[str, Any] | InputProblem]


def iter_rows(path: str | Path) -> Iterator[Row]:
    """Every row of `path`; unreadable rows are InputProblems, never silently skipped."""
    path = Path(path)
    if not path.is_file():
        raise AutojError(f"input file not found: {path}")
    name = path.name.lower()
    if name.endswith(".parquet"):
        yield from _parquet_rows(path)
    else:
        yield from iter_records(path)


def _parquet_rows(path: Path) -> Iterator[Row]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingExtraError("reading Parquet files", "train", "pyarrow") from None
    table = pq.read_table(path)
    yield from enumerate(table.to_pylist(), start=1)
