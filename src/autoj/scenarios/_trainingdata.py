"""Labelled queries to train the scenario classifier on, none of them in its test set.

Besides the authors' classifier split (2,383 queries), the public Auto-J files carry a scenario
label for more queries: Eval-P's prompts, Eval-C's and the single-response training rows' (whose
query sits inside the Auto-J prompt `usrmsg`). Where they overlap the classifier's own file the
labels agree 445 times in 449, so they make good training labels. Every query that equals a
classifier *test* query after folding case and whitespace is left out, and counted.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autoj.data.autoj_single import unfill_single
from autoj.io.readers import Records
from autoj.scenarios._evaluate import (
    CLASSIFIER_TEST_DATA,
    CLASSIFIER_TRAIN_DATA,
    LabelledQuery,
    default_data,
    load_labelled_queries,
)
from autoj.scenarios._taxonomy import normalize_scenario

EVAL_P = "autoj/test/testdata_pairwise.jsonl"
EVAL_C = "autoj/test/testdata_critique.jsonl"
SINGLE_TRAIN = "autoj/training/single_traindata.jsonl"


def query_key(text: str) -> str:
    """The form two queries are compared in: lower case, runs of whitespace as one space."""
    return " ".join(text.lower().split())


def _prompt(record: Mapping[str, Any]) -> str | None:
    value = record.get("prompt")
    return value if isinstance(value, str) else None


def _single_query(record: Mapping[str, Any]) -> str | None:

    message = record.get("usrmsg")
    split = unfill_single(message) if isinstance(message, str) else None
    return split[0] if split else None


# source name -> (file under the data directory, how to get the query out of a record)
EXTRA_SOURCES: dict[str, tuple[str, Callable[[Mapping[str, Any]], str | None]]] = {
    "eval-p": (EVAL_P, _prompt),
    "eval-c": (EVAL_C, _prompt),
    "single-train": (SINGLE_TRAIN, _single_query),
}


@dataclass(frozen=True)
class SourceCount:
    """What one source gave: rows read, rows left out (test overlap, repeats), queries kept."""

    rows: int
    test_overlap_rows: int
    test_overlap_queries: int
    repeats: int
    kept: int


@dataclass(frozen=True)
class TrainingSet:
    """Distinct labelled queries (first label wins), each with the source it came from."""

    rows: tuple[LabelledQuery, ...]
    sources: tuple[str, ...]
    counts: dict[str, SourceCount]

    def split(self, fraction: float, seed: int = 0) -> tuple[list[int], list[int]]:
        """Indices (train, validation): `fraction` of each label held out, at least one if 3+."""
        by_label: dict[str, list[int]] = {}
        for i, row in enumerate(self.rows):
            by_label.setdefault(row.label, []).append(i)
        rng = random.Random(seed)
        train: list[int] = []
        held: list[int] = []
        for label in sorted(by_label):
            members = by_label[label][:]
            rng.shuffle(members)
            n = round(len(members) * fraction) if len(members) >= 3 else 0
            n = max(n, 1) if len(members) >= 3 else 0
            held.extend(members[:n])
            train.extend(members[n:])
        return sorted(train), sorted(held)


def read_extra(path: Path, query_of: Callable[[Mapping[str, Any]], str | None]) -> list[LabelledQuery]:
    """Rows of an Eval-P / Eval-C / single-training file as labelled queries (`scenario` field)."""
    rows: list[LabelledQuery] = []
    records = Records(path)
    for number, record in records:
        query, label = query_of(record), record.get("scenario")
        if query is None or not isinstance(label, str):
            records.problem(number, None, "no query or no `scenario` label in this row")
        else:
            rows.append(LabelledQuery(query, normalize_scenario(label, map_retired=True), label))
    records.check()
    return rows


def combine(
    base: Sequence[LabelledQuery],
    extras: Mapping[str, Sequence[LabelledQuery]],
    test: Iterable[LabelledQuery],
) -> TrainingSet:
    """The base rows, then each extra source's, one row per distinct query, test queries left out."""
    held_out = {query_key(r.query) for r in test}
    seen: set[str] = set()
    rows: list[LabelledQuery] = []
    sources: list[str] = []
    counts: dict[str, SourceCount] = {}
    for name, source in [("classifier-train", base), *extras.items()]:
        overlap_rows, overlap, repeats, kept = 0, set(), 0, 0
        for row in source:
            key = query_key(row.query)
            if key in held_out:
                overlap_rows += 1
                overlap.add(key)
            elif key in seen:
                repeats += 1
            else:
                seen.add(key)
                rows.append(row)
                sources.append(name)
                kept += 1
        counts[name] = SourceCount(len(source), overlap_rows, len(overlap), repeats, kept)
    return TrainingSet(tuple(rows), tuple(sources), counts)


def load_training_set(extra: bool = True) -> TrainingSet:
    """The classifier's training split (+ the other labelled Auto-J files), minus its test queries."""
    base = load_labelled_queries(default_data(CLASSIFIER_TRAIN_DATA))
    test = load_labelled_queries(default_data(CLASSIFIER_TEST_DATA))
    extras = (
        {name: read_extra(default_data(path), query_of) for name, (path, query_of) in EXTRA_SOURCES.items()}
        if extra
        else {}
    )
    return combine(base, extras, test)
