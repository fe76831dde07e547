"""Rows of a user's file, read the same way by every command: JSONL, JSON, CSV, TSV, Parquet, `.gz`.

The format follows the name: `.jsonl`/`.ndjson` (one object a line), `.json` (a list of objects, or
an object holding one under `items` or `data`), `.csv`, `.tsv`, `.parquet`, each optionally
gzipped; any other name is read as JSONL. Each row comes with the number a person finds it by
(the editor line for JSONL, CSV and TSV; the position for JSON arrays and Parquet rows).

The edge is where mistakes are caught, before any model call: text must be UTF-8 (a byte-order
mark is fine); a value must be one a JSON results file can hold (no NaN or Infinity, no lone
surrogates, no binary); CSV headers and the keys of a JSON object must be unique. A bad row is an
InputProblem naming the file, line and field; a file that cannot be read at all (missing, not
gzip, not Parquet) is an AutojError.

A TSV's double quotes are text unless a caller asks for quoting (`tsv_quotes`, the CLI's
`autoj --tsv-quotes COMMAND ...`): then a TSV is read as CSV is, tab-separated.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import gzip
import io
import json
import math
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from autoj.errors import AutojError, InputError, InputProblem, MissingExtraError

Row = tuple[int, dict[str, Any] | InputProblem]

#: Formats by the suffix left after an optional `.gz`; anything else is JSONL.
FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
}

#: Longest CSV/TSV field accepted (the csv module's default, 128 KiB, is shorter than real answers).
CSV_FIELD_LIMIT = 64 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_SURROGATE = re.compile("[\ud800-\udfff]")
_TOO_DEEP = "values nested too deeply to read (hundreds of levels of lists or objects)"
#: Whether TSV files read now take double quotes as quoting (see `tsv_quotes`).
_TSV_QUOTES: ContextVar[bool] = ContextVar("autoj_tsv_quotes", default=False)
#: How a user asks for it, named in the messages a TSV read without it gives.
TSV_QUOTES_FLAG = "autoj --tsv-quotes COMMAND ..."


@contextmanager
def tsv_quotes(enabled: bool = True) -> Iterator[None]:
    """Read TSV files in this block with CSV quoting: a field in double quotes may hold tabs and
    line breaks, `""` in it is one quote, and a quote never closed is an error naming the line it
    opened on. Outside it a TSV's quotes are text (tab-separated files do not quote by convention,
    and a field may start with a quoted phrase)."""
    token = _TSV_QUOTES.set(enabled)
    try:
        yield
    finally:
        _TSV_QUOTES.reset(token)


class _DuplicateKey(ValueError):
    """One JSON object names a key twice: JSON readers keep either value, so neither is trusted."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return record


def _loads(text: str) -> Any:
    """JSON with every object's keys unique."""
    return json.loads(text, object_pairs_hook=_unique_keys)


def _duplicate(path: Path, number: int, key: str) -> InputProblem:
    return InputProblem(str(path), number, key, "the key appears twice in one object: keep one")


class _NotUtf8(Exception):
    """A line that is not UTF-8: its number and what is wrong, for one InputProblem."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def input_format(path: Path) -> str:
    """The format `path`'s name says (`jsonl`, `json`, `csv`, `tsv`, `parquet`)."""
    name = path.name.lower().removesuffix(".gz")
    return FORMATS.get(Path(name).suffix, "jsonl")


def is_gzip_name(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def iter_records(path: str | Path) -> Iterator[Row]:
    """(number, record) for each record of `path`; a bad record is an InputProblem in its place."""
    path = Path(path)
    if not path.exists():
        raise AutojError(f"input file not found: {path}")
    if not path.is_file():
        raise AutojError(
            f"input is not a regular file: {path} (give a JSONL, JSON, CSV, TSV or Parquet file)"
        )
    fmt = input_format(path)
    rows = {"jsonl": _jsonl, "json": _json, "csv": _csv, "tsv": _tsv, "parquet": _parquet}[fmt](path)
    try:
        for number, record in rows:
            if isinstance(record, dict):
                try:
                    bad = unstorable(record)
                except RecursionError:
                    bad = (None, _TOO_DEEP)
                if bad is not None:
                    yield number, InputProblem(str(path), number, bad[0], bad[1])
                    continue
            yield number, record
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise AutojError(f"{path}: the gzip data is damaged or cut short ({exc})") from None
    except OSError as exc:
        raise AutojError(f"cannot read {path}: {exc.strerror or exc}") from None


class Records:
    """One pass over a file's records that collects what is wrong with them.

    Iterating gives (number, record) for each readable record; an unreadable one, and each
    problem a reader finds with `problem`, is kept in `problems`, and `check` raises them all at
    once (one InputError naming file, line and field of each), so every reader of user files
    reports bad records the same way.
    """

    def __init__(self, path: str | Path, problems: list[InputProblem] | None = None) -> None:
        self.path = Path(path)
        #: Every problem, in file order: a caller's own list when it keeps one (`problems`).
        self.problems: list[InputProblem] = [] if problems is None else problems
        #: How many records could not be read at all.
        self.unreadable = 0

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        for number, record in iter_records(self.path):
            if isinstance(record, InputProblem):
                self.problems.append(record)
                self.unreadable += 1
            else:
                yield number, record

    def problem(self, number: int, field: str | None, message: str) -> None:
        """Note a problem with record `number` (its `field`, None for the whole record)."""
        self.problems.append(InputProblem(str(self.path), number, field, message))

    def check(self, hint: str = "") -> None:
        """Raise every problem noted as one InputError; nothing when there is none."""
        if self.problems:
            raise InputError(self.problems, hint)


def _open_binary(path: Path) -> io.BufferedIOBase:
    """The file's bytes, gunzipped when the name ends in `.gz` (which must then be gzip data)."""
    if not is_gzip_name(path):
        return path.open("rb")
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic != _GZIP_MAGIC:
        raise AutojError(
            f"{path}: not gzip data although the name ends in .gz (drop the .gz from the name, or gzip it)"
        )
    return gzip.open(path, "rb")


def _decoded(raw: bytes, number: int) -> str:
    """A line as text; the first may start with a byte-order mark."""
    try:
        return raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise _NotUtf8(
            number,
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}): save the file as UTF-8",
        ) from None


def _jsonl(path: Path) -> Iterator[Row]:
    with _open_binary(path) as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = _decoded(raw, number)
            except _NotUtf8 as exc:
                yield number, InputProblem(str(path), number, None, exc.message)
                continue
            if not line.strip():
                continue
            try:
                record = _loads(line)
            except json.JSONDecodeError as exc:
                yield number, InputProblem(str(path), number, None, f"invalid JSON: {exc.msg}")
                continue
            except _DuplicateKey as exc:
                yield number, _duplicate(path, number, exc.key)
                continue
            except RecursionError:
                yield number, InputProblem(str(path), number, None, _TOO_DEEP)
                continue
            if not isinstance(record, dict):
                yield number, InputProblem(str(path), number, None, "line is not a JSON object")
                continue
            yield number, record


def _json(path: Path) -> Iterator[Row]:
    with _open_binary(path) as handle:
        data = handle.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        yield line, InputProblem(str(path), line, None, "not UTF-8 text: save the file as UTF-8")
        return
    try:
        document = _loads(text)
    except json.JSONDecodeError as exc:
        yield exc.lineno, InputProblem(str(path), exc.lineno, None, f"invalid JSON: {exc.msg}")
        return
    except _DuplicateKey as exc:
        yield 1, _duplicate(path, 1, exc.key)
        return
    except RecursionError:
        yield 1, InputProblem(str(path), 1, None, _TOO_DEEP)
        return
    if isinstance(document, dict):
        document = document.get("items", document.get("data"))
    if not isinstance(document, list):
        yield 1, InputProblem(str(path), 1, None, "a .json input must be a list of objects")
        return
    for number, record in enumerate(document, start=1):
        if isinstance(record, dict):
            yield number, record
        else:
            yield number, InputProblem(str(path), number, None, "record is not a JSON object")


def _csv(path: Path) -> Iterator[Row]:
    return _delimited(path, ",")


def _tsv(path: Path) -> Iterator[Row]:
    return _delimited(path, "\t")


def _text_lines(handle: io.BufferedIOBase) -> Iterator[str]:
    for number, raw in enumerate(handle, start=1):
        yield _decoded(raw, number)


def _delimited(path: Path, delimiter: str) -> Iterator[Row]:
    """Rows of a CSV or TSV file with a header line; a record is numbered by its first line.

    Quotes are read strictly: a quote opened and never closed is an error naming the line it
    opened on (it used to swallow every row after it). A TSV's quotes are text unless asked
    (`tsv_quotes`): a field that starts with a quoted phrase keeps its quotes.
    """
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    quoted = delimiter != "\t" or _TSV_QUOTES.get()
    quoting = csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE
    stray = (
        "a stray delimiter or quote?" if quoted else f"a stray tab? quoted fields read with {TSV_QUOTES_FLAG}"
    )
    with _open_binary(path) as handle:
        reader = csv.reader(_text_lines(handle), delimiter=delimiter, quoting=quoting, strict=True)  # type: ignore[arg-type]
        where = str(path)
        start = 1
        try:
            header = next(reader, None)
            if header is None:
                return
            duplicates = sorted({name for name in header if header.count(name) > 1})
            if duplicates:
                names = ", ".join(repr(name) for name in duplicates)
                yield (
                    1,
                    InputProblem(
                        where,
                        1,
                        duplicates[0],
                        f"duplicate column name(s) {names}: give each column its own name",
                    ),
                )
                return
            start = reader.line_num + 1
            for row in reader:
                number, start = start, reader.line_num + 1
                if not row:
                    continue
                if len(row) > len(header):
                    yield (
                        number,
                        InputProblem(
                            where,
                            number,
                            None,
                            f"{len(row)} fields but the header names {len(header)} ({stray})",
                        ),
                    )
                    continue
                yield number, {name: row[n] if n < len(row) else None for n, name in enumerate(header)}
        except _NotUtf8 as exc:
            yield exc.line, InputProblem(where, exc.line, None, exc.message)
        except csv.Error as exc:
            line = reader.line_num
            message = str(exc)
            if "field larger than field limit" in message:
                message = (
                    f"a field is longer than {CSV_FIELD_LIMIT // (1024 * 1024)} MiB (an unclosed quote?)"
                )
            elif "unexpected end of data" in message:  # the record's first line: where the quote opened
                line = start
                message = 'a quote (") opened in this record is never closed: close it or remove it'
            yield (
                line,
                InputProblem(where, line, None, f"cannot read the {delimiter_name(delimiter)}: {message}"),
            )


def delimiter_name(delimiter: str) -> str:
    return "TSV" if delimiter == "\t" else "CSV"


def _parquet(path: Path) -> Iterator[Row]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingExtraError("reading Parquet files", "parquet", "pyarrow") from None
    try:
        if is_gzip_name(path):
            with _open_binary(path) as handle:
                source: Any = pa.BufferReader(handle.read())
        else:
            source = str(path)
        table = pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as exc:
        raise AutojError(f"{path}: not a readable Parquet file ({exc})") from None
    number = 0
    for batch in table.iter_batches(batch_size=1024):
        for record in batch.to_pylist():
            number += 1
            yield number, {key: _plain(value) for key, value in record.items()}


def _plain(value: Any) -> Any:
    """Parquet values as JSON can hold them: dates and decimals as text, nested values walked."""
    if isinstance(value, datetime.date | datetime.time | datetime.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(v) for key, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def unstorable(value: Any, where: str = "") -> tuple[str | None, str] | None:
    """(field, why) for the first value a JSON results file cannot hold, or None when all can.

    NaN and Infinity are not JSON; a lone surrogate (`"\\ud800"` in a JSON file) is not Unicode
    and cannot be written as UTF-8; binary data has no JSON form.
    """
    if value is None or isinstance(value, bool | int):
        return None
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        return where, f"{value!r} is not a valid value (JSON has no NaN or Infinity): use null or a number"
    if isinstance(value, str):
        if value.isascii():
            return None
        try:
            value.encode("utf-8")  # at C speed; only a lone surrogate fails, then it is looked for
            return None
        except UnicodeEncodeError:
            found = _SURROGATE.search(value)
        if found is None:
            return None
        return where, (
            f"lone surrogate \\u{ord(found.group()):04x} at character {found.start() + 1} is not valid "
            "Unicode: fix the text's encoding"
        )
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            bad = unstorable(key, name) if isinstance(key, str) else None
            bad = bad or unstorable(item, name)
            if bad is not None:
                return bad
        return None
    if isinstance(value, list | tuple):
        for n, item in enumerate(value):
            bad = unstorable(item, f"{where}[{n}]")
            if bad is not None:
                return bad
        return None
    return where, f"a {type(value).__name__} value cannot be stored in JSON results"
