"""One model's output beside the reference output on one instruction, with the judge's preference.

Every source of verdicts becomes a list of these before scoring: alpaca_eval annotation files
made elsewhere, and results files our own judges wrote. Scoring code sees nothing else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from autoj.errors import AutojError
from autoj.io.readers import Records


@dataclass(frozen=True)
class Comparison:
    """A judged pair: `preference` on alpaca_eval's scale (1 reference better, 2 model better,
    1.5 draw), None when the judge gave no usable verdict; `orders` holds each order's own
    preference when both orders were judged (their agreement is `preference`)."""

    model: str
    reference: str
    key: str
    instruction: str
    reference_output: str
    model_output: str
    preference: float | None
    scenario: str | None = None
    price: float | None = None
    seconds: float | None = None
    judge: str | None = None
    orders: tuple[float, ...] = ()


ANNOTATION_FIELDS = ("instruction", "output_1", "output_2", "generator_1", "generator_2", "preference")


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN is a missing preference


def _text(value: object) -> str | None:
    """A grouping value as text (a number or a flag too: a user's column holds any of them)."""
    if value is None or isinstance(value, dict | list) or value == "":
        return None
    return str(value)


def read_annotations(
    path: str | Path, model: str | None = None, group_field: str = "scenario"
) -> list[Comparison]:
    """Comparisons of an alpaca_eval annotation file (`output_1` = reference, `output_2` = model).

    Every record must have the fields alpaca_eval writes; a bad one is reported with its
    position and field, and nothing is scored. `model` names the model instead of `generator_2`
    (AlpacaEval's leaderboard names some models by their results folder, not their generator).
    """
    path = Path(path)
    found: list[Comparison] = []
    records = Records(path)
    for number, record in records:
        missing = [name for name in ANNOTATION_FIELDS[:5] if not isinstance(record.get(name), str)]
        if missing or "preference" not in record:
            for name in missing or ["preference"]:
                records.problem(number, name, "missing or not text")
            continue
        preference = _number(record["preference"])
        if record["preference"] is not None and preference is None:
            records.problem(number, "preference", f"not a number: {record['preference']!r}")
            continue
        if preference is not None and not (preference == 0 or 1 <= preference <= 2):
            records.problem(
                number,
                "preference",
                f"{preference:g} is outside alpaca_eval's scale (1 = output_1, 2 = output_2, "
                "values between, 0 = tie)",
            )
            continue
        if (model or record["generator_2"]) == record["generator_1"]:
            records.problem(
                number,
                "generator_2",
                f"the model and the reference are both {record['generator_1']!r}: a model is never "
                "compared with itself; name models by their files with --name-from file",
            )
            continue
        found.append(
            Comparison(
                model=model or record["generator_2"],
                reference=record["generator_1"],
                key=record["instruction"],
                instruction=record["instruction"],
                reference_output=record["output_1"],
                model_output=record["output_2"],
                preference=preference,
                scenario=_text(record.get(group_field)),
                price=_number(record.get("price_per_example")),
                seconds=_number(record.get("time_per_example")),
                judge=record.get("annotator") if isinstance(record.get("annotator"), str) else None,
            )
        )
    records.check(hint="these are not alpaca_eval annotations; nothing was scored")
    if not found:
        raise AutojError(f"{path}: no annotations in the file")
    return found


def by_model(comparisons: Iterable[Comparison]) -> dict[str, list[Comparison]]:
    """Comparisons grouped by model, in the order the models first appear."""
    groups: dict[str, list[Comparison]] = defaultdict(list)
    for comparison in comparisons:
        groups[comparison.model].append(comparison)
    return dict(groups)


def single_reference(comparisons: Sequence[Comparison]) -> str:
    """The one reference model of these comparisons; mixing references is an error."""
    references = sorted({c.reference for c in comparisons})
    if len(references) != 1:
        raise AutojError(
            f"comparisons against several references ({', '.join(references)}): "
            "a win rate is against one reference; score them separately"
        )
    return references[0]
