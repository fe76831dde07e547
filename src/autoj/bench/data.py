"""Loaders for benchmark inputs: labelled pairs, released predictions, critique comparisons.

Files are read through the dataset registry (autoj.data.registry) unless a path is given; every bad
record is reported with its file, line and field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from autoj.bench.outcomes import Outcome
from autoj.data import registry as datasets
from autoj.errors import InputProblem
from autoj.io.items import DEFAULT_LABELS, FieldMap, LabelMap, parse_label
from autoj.io.readers import Records
from autoj.stats.metrics import Prediction
from autoj.types import PairItem, Verdict

#: Values that a predictions file may use for "no verdict" (a parse failure upstream).
FAILURE_VALUES = frozenset({"", "none", "null", "-1", "parse_error", "failed"})


def load_eval_p(language: str = "en", path: str | Path | None = None) -> list[PairItem]:
    """Eval-P's 1,392 labelled pairs (English, or `language="zh"`), ids = line numbers."""
    name = "eval-p-zh" if language == "zh" else "eval-p"
    return load_pairs(datasets.resolve(name, path=path))


def load_pairs(
    path: str | Path,
    fields: FieldMap | None = None,
    labels: LabelMap | Mapping[str, Verdict] | None = None,
    *,
    require_labels: bool = True,
) -> list[PairItem]:
    """Labelled pairs from any JSONL/JSON/CSV file; every pair must carry a valid label unless
    `require_labels` is False (calibration: people labelled some pairs), when a pair may have none.

    Unlike judging input, an empty response is accepted: benchmark sets contain some (Eval-P
    line 569), and dropping them would change the published figures.
    """
    path = Path(path)
    fields = fields or FieldMap()
    label_map = LabelMap.of(labels)
    field_problem = label_map.check_field(fields.label)
    pairs: list[PairItem] = []
    records = Records(path)
    seen: dict[str, int] = {}
    for number, record in records:

        def problem(name: str, message: str, line: int = number) -> None:
            records.problem(line, name, message)

        texts: list[str] = []
        for name in (fields.query, fields.response_1, fields.response_2):
            value = record.get(name)
            if not isinstance(value, str):
                problem(name, "missing field or not text (map it with a --*-field option)")
            else:
                texts.append(value)
        raw_label = record.get(fields.label)
        parsed = field_problem or label_map.parse(raw_label) if raw_label not in (None, "") else None
        label = parsed if isinstance(parsed, Verdict) else None
        bad_label = parsed if parsed is not None and label is None else None
        if bad_label is not None or (label is None and require_labels):
            problem(fields.label, bad_label or "missing label")
        item_id = str(record.get(fields.id) or number)
        if item_id in seen:
            problem(fields.id, f"duplicate id {item_id!r} (first at line {seen[item_id]})")
        seen[item_id] = number
        if len(texts) != 3 or bad_label is not None or (label is None and require_labels):
            continue
        if not texts[0].strip():
            problem(fields.query, "empty query")
            continue
        scenario = record.get(fields.scenario)
        pairs.append(
            PairItem(
                query=texts[0],
                response_1=texts[1],
                response_2=texts[2],
                id=item_id,
                scenario=str(scenario) if scenario not in (None, "") else None,
                label=label,
            )
        )
    records.check(hint="map field names and label spellings with the CLI flags")
    return pairs


def _prediction(value: Any, labels: Mapping[str, Verdict]) -> Prediction | InputProblem | None:
    if value is None or str(value).strip().lower() in FAILURE_VALUES:
        return None
    verdict = parse_label(value, labels)
    return verdict if verdict is not None else InputProblem("", 0, None, f"unknown {value!r}")


def load_predictions(
    path: str | Path,
    field: str = "output",
    labels: Mapping[str, Verdict] | None = None,
) -> list[Prediction]:
    """Verdicts from a predictions file, one per line in item order; failures become None.

    Accepts Auto-J labels (0/1/2), A/B/tie spellings and `null` / -1 for a parse failure. An
    autoj results file is read too: its `judgment.verdict` is used (for a both-orders run, use
    `load_result_predictions`).
    """
    path = Path(path)
    labels = {**DEFAULT_LABELS, **(labels or {})}
    found: list[Prediction] = []
    records = Records(path)
    for number, record in records:
        if field not in record and isinstance(record.get("judgment"), dict):
            value = record["judgment"].get("verdict")
        elif field in record:
            value = record[field]
        else:
            records.problem(number, field, "missing prediction field")
            continue
        parsed = _prediction(value, labels)
        if isinstance(parsed, InputProblem):
            records.problem(number, field, f"unknown prediction {value!r}")
            continue
        found.append(parsed)
    records.check(hint="predictions must be 0/1/2, A/B/tie, or null for a failure")
    return found


def critique_outcome(text: str, exchanged: bool) -> Outcome | None:
    """The first critic's outcome from a comparison answer starting "A:", "B:" or "C:".

    A = the feedback shown first is better, B = the second, C = neither. When `exchanged`, the
    first critic's feedback was shown second. Anything else is a failure (None).
    """
    first_line = text.strip().split("\n", 1)[0].strip()
    if len(first_line) < 2 or first_line[1] not in ":：" or first_line[0] not in "ABC":
        return None
    choice = first_line[0]
    if choice == "C":
        return "tie"
    first_shown_wins = choice == "A"
    return "win" if first_shown_wins != exchanged else "lose"


def load_critique_comparison(path: str | Path | None = None) -> list[Outcome | None]:
    """Outcomes of the released GPT-4 comparison of Auto-J's against ChatGPT's critiques."""
    source = (
        Path(path) if path is not None else datasets.resolve("autoj-predictions", "gpt4-critique-comparison")
    )
    outcomes: list[Outcome | None] = []
    records = Records(source)
    for number, record in records:
        text, meta = record.get("output"), record.get("meta")
        if not isinstance(text, str) or not isinstance(meta, dict) or "exchange" not in meta:
            records.problem(number, "output", "need text `output` and meta.exchange")
            continue
        outcomes.append(critique_outcome(text, bool(meta["exchange"])))
    records.check()
    return outcomes


def read_json(path: Path) -> Any:
    """A JSON document, gzip-compressed or not."""
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)
