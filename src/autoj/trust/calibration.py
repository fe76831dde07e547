"""What people would decide, from a judge's verdicts on every item and people's labels on some.

Each item becomes a number for the judge and, when labelled, one for people, on the same scale:
for plain pairwise results, 1 when response 1 is preferred, 0 for response 2, 0.5 for a tie;
for evaluate results (response 1 = the reference, response 2 = the model), 1 when the model wins,
so each model's mean is its win rate against the reference. The judge's number averages the
orders it judged (a failed order is left out; no verdict at all counts 0.5): any fixed rule is
valid for prediction-powered inference, which measures and removes the judge's error on the
labelled items (autoj.stats.ppi).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autoj.errors import AutojError
from autoj.io.labels import LabelMap
from autoj.io.readers import Records
from autoj.io.results import Result, read_results
from autoj.stats.metrics import Prediction, map_back
from autoj.stats.ppi import Calibrated, TooFewLabels, ppi_mean
from autoj.types import PairItem, Verdict

#: The value of a verdict for "response 1 is preferred" (a tie counts half).
RESPONSE_1_VALUE = {Verdict.RESPONSE_1: 1.0, Verdict.RESPONSE_2: 0.0, Verdict.TIE: 0.5}
#: The share every target measures, by kind of results.
PAIRWISE_TARGET = "share of pairs where response 1 is preferred (a tie counts half)"
EVALUATE_TARGET = "win rate against the reference (a tie counts half)"
#: The confidence level of every interval unless a command is told otherwise.
LEVEL = 0.95
#: Where no order of the judge gave a verdict: no information either way.
NO_VERDICT = 0.5


@dataclass(frozen=True)
class Scored:
    """One item on the target's scale: the judge's value and people's (None = unlabelled)."""

    id: str
    judge: float
    human: float | None


@dataclass(frozen=True)
class Target:
    """One figure to estimate (all pairs, or one model against the reference) and its items."""

    name: str
    measures: str
    items: tuple[Scored, ...]


def judge_value(original: Prediction, swapped_presented: Prediction | None) -> float:
    """The judge's value for response 1: the mean over the orders it judged and parsed."""
    values = [RESPONSE_1_VALUE[v] for v in (original, map_back(swapped_presented)) if v is not None]
    return sum(values) / len(values) if values else NO_VERDICT


def _scored(item_id: str, judge: float, human: Verdict | None, model_side: bool) -> Scored:
    """The item's values for response 1, or for response 2 (the model) when `model_side`."""
    people = None if human is None else RESPONSE_1_VALUE[human]
    if model_side:
        return Scored(item_id, 1.0 - judge, None if people is None else 1.0 - people)
    return Scored(item_id, judge, people)


def _label(item: PairItem, labels: Mapping[str, Verdict]) -> Verdict | None:
    return labels.get(item.id, item.label)


def targets_from_results(results: Sequence[Result], labels: Mapping[str, Verdict]) -> list[Target]:
    """Evaluate results give one target per model (its win rate against the reference); other
    pairwise results one target (response 1's share)."""
    pairs = [r for r in results if isinstance(r.item, PairItem)]
    if not pairs:
        raise AutojError("no pairwise results to calibrate: give pairwise or evaluate results")
    _check_known(labels, {r.id for r in pairs})
    by_model: dict[str, list[Scored]] = {}
    for result in pairs:
        item = result.item
        assert isinstance(item, PairItem)
        model = item.meta.get("model") if "reference" in item.meta else None
        swapped = result.swapped.verdict if result.swapped is not None else None
        value = judge_value(result.judgment.verdict, swapped)
        key = str(model) if model is not None else "all"
        by_model.setdefault(key, []).append(_scored(item.id, value, _label(item, labels), model is not None))
    measures = PAIRWISE_TARGET if list(by_model) == ["all"] else EVALUATE_TARGET
    return [Target(name, measures, tuple(items)) for name, items in sorted(by_model.items())]


def target_from_predictions(
    items: Sequence[PairItem],
    original: Sequence[Prediction],
    swapped: Sequence[Prediction] | None,
    labels: Mapping[str, Verdict],
) -> Target:
    """Response 1's share from predictions made elsewhere, line by line with the items."""
    for name, found in (("--predictions", original), ("--swapped-predictions", swapped)):
        if found is not None and len(found) != len(items):
            raise AutojError(f"{name} has {len(found)} predictions for {len(items)} pairs: they must line up")
    _check_known(labels, {i.id for i in items})
    swapped_or_none: Sequence[Prediction] = swapped if swapped is not None else [None] * len(items)
    scored = [
        _scored(item.id, judge_value(first, second), _label(item, labels), False)
        for item, first, second in zip(items, original, swapped_or_none, strict=True)
    ]
    return Target("all", PAIRWISE_TARGET, tuple(scored))


def _check_known(labels: Mapping[str, Verdict], ids: set[str]) -> None:
    unknown = sorted(set(labels) - ids)
    if unknown:
        raise AutojError(
            f"the labels file names {len(unknown)} id(s) that no item has, e.g. {unknown[:3]}: "
            "is it the labels of these items? (match its ids with --labels-id-field)"
        )


def read_labels(path: str | Path, id_field: str, label_field: str, labels: LabelMap) -> dict[str, Verdict]:
    """People's labels keyed by item id, from any JSONL/JSON/CSV file; a row without a label is
    unlabelled, a bad or repeated one an error naming its line."""
    found: dict[str, Verdict] = {}
    records = Records(path)
    for number, record in records:
        item_id, raw = record.get(id_field), record.get(label_field)
        if item_id in (None, ""):
            records.problem(number, id_field, "missing id (name it with --labels-id-field)")
            continue
        if raw in (None, ""):
            continue
        parsed = labels.check_field(label_field) or labels.parse(raw)
        if not isinstance(parsed, Verdict):
            records.problem(number, label_field, parsed)
        elif str(item_id) in found:
            records.problem(number, id_field, f"id {item_id!r} labelled twice")
        else:
            found[str(item_id)] = parsed
    records.check(hint="labels are keyed by the items' ids")
    return found


@dataclass(frozen=True)
class Calibration:
    """One target's prediction-powered estimate, or why there is none."""

    target: Target
    result: Calibrated | None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"target": self.target.name, "measures": self.target.measures}
        if self.result is None:
            labelled = sum(s.human is not None for s in self.target.items)
            return {**data, "n_labelled": labelled, "n_total": len(self.target.items), "reason": self.reason}
        return {**data, **self.result.to_dict()}


def calibrate(target: Target, level: float = LEVEL) -> Calibration:
    """People's figure for `target` with its interval, beside the labels' and the judge's alone."""
    labelled = [s for s in target.items if s.human is not None]
    unlabelled = [s.judge for s in target.items if s.human is None]
    try:
        result = ppi_mean(
            [s.human for s in labelled if s.human is not None],
            [s.judge for s in labelled],
            unlabelled,
            level=level,
        )
    except TooFewLabels as exc:
        return Calibration(target, None, str(exc))
    return Calibration(target, result)


def calibrate_file(
    results: str | Path, labels_file: str | Path, label_map: LabelMap, level: float = LEVEL
) -> list[Calibration]:
    """Each target of a results file calibrated with the items' own labels and `labels_file`'s
    (fields `id` and `label`)."""

    known = read_labels(labels_file, "id", "label", label_map)
    return [calibrate(t, level) for t in targets_from_results(list(read_results(results)), known)]
