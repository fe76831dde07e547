"""Scoring a scenario classifier on labelled queries (the authors' 623-query test set by default).

Gold labels are normalised like predictions: `default` -> `others`, and the retired labels
(`rejecting`, `peer_review`) fold into `others` too, since the 58-scenario taxonomy has no other
place for them. `accuracy_without_retired` reports the same run with those rows left out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from autoj.data.datadir import data_path, missing_data_message
from autoj.errors import AutojError
from autoj.io.readers import Records
from autoj.scenarios._linear import Classifier
from autoj.scenarios._prediction import ClassificationFailure, ScenarioPrediction
from autoj.scenarios._taxonomy import GROUPS, RETIRED, SCENARIOS, normalize_scenario

CLASSIFIER_TEST_DATA = "autoj/scenario_classifier/testdata.jsonl"
CLASSIFIER_TRAIN_DATA = "autoj/scenario_classifier/traindata.jsonl"


@dataclass(frozen=True)
class LabelledQuery:
    """One row of the authors' classifier data: query = instruction + " " + input."""

    query: str
    label: str  # normalised scenario
    original_label: str


def load_labelled_queries(path: Path) -> list[LabelledQuery]:
    """Read `category`, `instruction`, `input` rows; labels normalised, retired ones folded."""
    rows: list[LabelledQuery] = []
    records = Records(path)
    for number, record in records:
        missing = [name for name in ("category", "instruction", "input") if name not in record]
        if missing:
            records.problem(number, missing[0], "not a classifier data row (category, instruction, input)")
            continue
        query = f"{record['instruction']} {record['input']}"
        original = str(record["category"])
        rows.append(LabelledQuery(query, normalize_scenario(original, map_retired=True), original))
    records.check()
    return rows


def default_data(relative: str) -> Path:
    found = data_path(relative)
    if found is None:
        raise AutojError(missing_data_message(relative))
    return found


@dataclass(frozen=True)
class Scores:
    """Accuracy and macro-F1 (in percent) over `n` queries."""

    n: int
    accuracy: float
    macro_f1: float


@dataclass(frozen=True)
class ClassifierReport:
    """Overall and per-group figures; failures (llm mode) count as wrong and are tallied."""

    overall: Scores
    groups: dict[str, Scores]
    accuracy_without_retired: float
    retired_rows: int
    failures: int
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Prediction = ScenarioPrediction | ClassificationFailure


def per_label_f1(gold: Sequence[str], predicted: Sequence[str | None]) -> dict[str, float]:
    """F1 of each gold label over all rows (None = no prediction, counted wrong)."""
    f1: dict[str, float] = {}
    pairs = list(zip(gold, predicted, strict=True))
    for label in sorted(set(gold)):
        tp = sum(g == label and p == label for g, p in pairs)
        fp = sum(g != label and p == label for g, p in pairs)
        fn = sum(g == label and p != label for g, p in pairs)
        f1[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return f1


def score(
    gold: Sequence[str], predicted: Sequence[str | None], labels: Sequence[str] | None = None
) -> Scores:
    """Accuracy over the rows, and macro-F1 over the gold labels (or the given subset of them)."""
    if not gold:
        return Scores(0, 0.0, 0.0)
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    f1 = per_label_f1(gold, predicted)
    chosen = [f1[label] for label in (labels if labels is not None else f1) if label in f1]
    macro = 100 * sum(chosen) / len(chosen) if chosen else 0.0
    return Scores(len(gold), 100 * correct / len(gold), macro)


def report(rows: Sequence[LabelledQuery], predictions: Sequence[Prediction]) -> ClassifierReport:
    """Score predictions against rows: overall, per group (by gold group), without retired."""
    predicted = [p.scenario if isinstance(p, ScenarioPrediction) else None for p in predictions]
    gold = [r.label for r in rows]
    # Per group: accuracy on the rows whose gold scenario is in the group; macro-F1 averages
    # the group's labels' F1 computed over all rows (so wrong guesses *into* a group count too).
    groups: dict[str, Scores] = {}
    f1 = per_label_f1(gold, predicted)
    for group, members in GROUPS.items():
        keep = [i for i, g in enumerate(gold) if SCENARIOS[g].group == group]
        rows_in = score([gold[i] for i in keep], [predicted[i] for i in keep])
        present = [f1[m] for m in members if m in f1]
        macro = 100 * sum(present) / len(present) if present else 0.0
        groups[group] = Scores(rows_in.n, rows_in.accuracy, macro)
    current = [i for i, r in enumerate(rows) if r.original_label not in RETIRED]
    kept = score([gold[i] for i in current], [predicted[i] for i in current])
    return ClassifierReport(
        overall=score(gold, predicted),
        groups=groups,
        accuracy_without_retired=kept.accuracy,
        retired_rows=len(rows) - len(current),
        failures=sum(p is None for p in predicted),
    )


def evaluate_classifier(
    path: Path | str | None = None,
    predict: Callable[[Sequence[str]], Sequence[Prediction]] | None = None,
) -> ClassifierReport:
    """Run a classifier (the shipped one by default) over a labelled file and score it."""
    rows = load_labelled_queries(Path(path) if path else default_data(CLASSIFIER_TEST_DATA))
    run = predict or Classifier().predict
    start = time.perf_counter()
    predictions = run([r.query for r in rows])
    seconds = time.perf_counter() - start
    result = report(rows, predictions)
    return ClassifierReport(**{**result.__dict__, "seconds": seconds})
