"""Stage 1, ingest: a preference or critique source file -> pipeline samples (JSONL).

The source format picks a row converter (`sources.CONVERTERS`); rows that cannot be read are
reported with file, line and field, and rows that are valid but unusable are counted by reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from autoj.errors import AutojError, InputError, InputProblem
from autoj.io.labels import LabelMap
from autoj.io.readers import Records
from autoj.pipeline.sources import CONVERTERS, FieldProblem, RowContext, Skip, SourceFields
from autoj.types import Item, PairItem

OnInvalid = Literal["fail", "skip"]


@dataclass
class IngestReport:
    """How many rows were read and what became of them."""

    source: str
    format: str
    rows: int = 0
    pairs: int = 0
    singles: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)
    problems: list[InputProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": "ingest",
            "source": self.source,
            "format": self.format,
            "rows": self.rows,
            "pairs": self.pairs,
            "singles": self.singles,
            "skipped": dict(self.skipped.most_common()),
            "labels": dict(sorted(self.labels.items())),
            "invalid": len(self.problems),
            "invalid_examples": [str(p) for p in self.problems[:5]],
        }


def ingest(
    path: str | Path,
    fmt: str,
    fields: SourceFields | None = None,
    source: str | None = None,
    seed: int = 0,
    limit: int | None = None,
    on_invalid: OnInvalid = "fail",
    labels: LabelMap | None = None,
) -> tuple[list[Item], IngestReport]:
    """Samples of one source file. `limit` stops after that many samples (first rows first).

    The file is read by the reader every command uses (`autoj.io.items`), labels by `labels`.
    """
    if fmt not in CONVERTERS:
        raise AutojError(f"unknown source format {fmt!r}: known formats are {', '.join(sorted(CONVERTERS))}")
    convert = CONVERTERS[fmt]
    path = Path(path)
    name = source or path.name.split(".")[0]
    fields = fields or SourceFields()
    report = IngestReport(source=str(path), format=fmt)
    samples: list[Item] = []
    seen: dict[str, int] = {}
    contents: set[tuple[str, ...]] = set()
    records = Records(path, report.problems)
    for number, row in records:
        if limit is not None and len(samples) >= limit:
            break
        report.rows += 1
        given_id = row.get(fields.id)
        sample_id = str(given_id) if given_id not in (None, "") else f"{name}:{number}"
        if sample_id in seen:
            records.problem(number, fields.id, f"duplicate id {sample_id!r} (first at {seen[sample_id]})")
            continue
        converted = convert(row, RowContext(sample_id, fields, seed, name, labels or LabelMap()))
        if isinstance(converted, FieldProblem):
            records.problem(number, converted.field, converted.message)
            continue
        if isinstance(converted, Skip):
            report.skipped[converted.reason] += 1
            continue
        key = _content_key(converted)
        if key in contents:
            report.skipped["duplicate"] += 1
            continue
        contents.add(key)
        seen[sample_id] = number
        samples.append(converted)
        if isinstance(converted, PairItem):
            report.pairs += 1
            report.labels[converted.label.value if converted.label else "unlabelled"] += 1
        else:
            report.singles += 1
    report.rows += records.unreadable
    if report.problems and on_invalid == "fail":
        raise InputError(
            report.problems, hint="nothing was written; fix the rows, map fields, or --on-invalid skip"
        )
    return samples, report


def _content_key(item: Item) -> tuple[str, ...]:
    """Identical samples are dropped; a second critique of the same response is a different sample."""
    judged = str(item.meta.get("reference_judgment", ""))
    if isinstance(item, PairItem):
        return ("pair", item.query, item.response_1, item.response_2, judged)
    return ("single", item.query, item.response, judged)
