"""Model outputs in, joined to the reference's outputs on the same instructions.

alpaca_eval's format (a JSON list of objects with `instruction`, `output`, `generator`, also
`.json.gz`), Arena-Hard-Auto's `model_answer` form (`uid`, `model`, `messages`), or any table the
shared reader takes, with the field names mapped. Outputs are joined
on the instruction text, or on an id field; instructions one side lacks, or that a file holds
twice, are reported with counts and examples before anything is judged.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autoj.errors import AutojError
from autoj.io.answers import answer_of
from autoj.io.readers import Records

EXAMPLES = 3


@dataclass(frozen=True)
class OutputFields:
    """Which field holds what; `key` names an id field to join on instead of the instruction."""

    instruction: str = "instruction"
    output: str = "output"
    generator: str = "generator"
    key: str | None = None
    scenario: str = "scenario"


@dataclass(frozen=True)
class OutputRow:
    key: str
    instruction: str
    output: str
    line: int
    scenario: str | None = None


@dataclass(frozen=True)
class ModelOutputs:
    """One model's outputs by join key; `duplicates` holds each repeated key's lines."""

    model: str
    path: Path
    rows: dict[str, OutputRow]
    duplicates: dict[str, list[int]] = field(default_factory=dict)


def _model_name(path: Path, generators: set[str]) -> str:
    if len(generators) > 1:
        shown = ", ".join(sorted(generators)[:EXAMPLES])
        raise AutojError(
            f"{path}: outputs of {len(generators)} generators ({shown}, ...); give one model per file"
        )
    if generators:
        return generators.pop()
    return path.name.split(".")[0]


def _flattened(record: dict[str, Any], fields: OutputFields) -> dict[str, Any]:
    """A record in Arena-Hard's model_answer form (`messages`) with alpaca_eval's fields added:
    the first user turn as the instruction, the last answer as the output, `model` as generator."""
    if fields.output in record or "messages" not in record:
        return record
    found = answer_of(record, 0)
    if isinstance(found, str) or found.instruction is None:
        return record  # reported as a missing field
    flat = {**record, fields.instruction: found.instruction, fields.output: found.output}
    if found.generator is not None:
        flat.setdefault(fields.generator, found.generator)
    return flat


def load_outputs(path: str | Path, fields: OutputFields | None = None) -> ModelOutputs:
    """A model's outputs; a record without the instruction or output field stops the load."""
    path = Path(path)
    fields = fields or OutputFields()
    rows: dict[str, OutputRow] = {}
    duplicates: dict[str, list[int]] = {}
    records = Records(path)
    generators: set[str] = set()
    for number, record in records:
        record = _flattened(record, fields)
        bad = False
        for name, flag in ((fields.instruction, "--instruction-field"), (fields.output, "--output-field")):
            if not isinstance(record.get(name), str):
                records.problem(number, name, f"missing or not text (map it with {flag})")
                bad = True
        key_value = record.get(fields.key) if fields.key else record.get(fields.instruction)
        if fields.key and key_value in (None, ""):
            records.problem(number, fields.key, "missing id (map it with --id-field)")
            bad = True
        if bad:
            continue
        if isinstance(record.get(fields.generator), str):
            generators.add(record[fields.generator])
        key = str(key_value)
        if key in rows:
            duplicates.setdefault(key, [rows[key].line]).append(number)
            continue
        scenario = record.get(fields.scenario)
        rows[key] = OutputRow(
            key,
            record[fields.instruction],
            record[fields.output],
            number,
            scenario if isinstance(scenario, str) else None,
        )
    records.check(hint="nothing was judged; fix the records or map the field names")
    if not rows:
        raise AutojError(f"{path}: no outputs in the file")
    return ModelOutputs(_model_name(path, generators), path, rows, duplicates)


def _examples(keys: Sequence[str]) -> str:
    shown = ", ".join(repr(k[:60] + ("..." if len(k) > 60 else "")) for k in keys[:EXAMPLES])
    return shown + (", ..." if len(keys) > EXAMPLES else "")


def join_problems(reference: ModelOutputs, model: ModelOutputs) -> list[str]:
    """What does not line up between a model's outputs and the reference's, one line each."""
    lines = []
    missing = [k for k in reference.rows if k not in model.rows]
    extra = [k for k in model.rows if k not in reference.rows]
    for what, keys, where in (
        ("missing", missing, f"instructions of the reference that {model.path} lacks"),
        ("extra", extra, f"instructions of {model.path} that the reference lacks"),
    ):
        if keys:
            lines.append(f"{model.model}: {len(keys)} {what} ({where}), e.g. {_examples(keys)}")
    for outputs in (reference, model):
        if outputs.duplicates:
            first = next(iter(outputs.duplicates.items()))
            lines.append(
                f"{outputs.path}: {len(outputs.duplicates)} duplicate instruction(s), "
                f"e.g. {_examples(list(outputs.duplicates))} at lines {', '.join(map(str, first[1]))} "
                "(the first is used)"
            )
    return lines


def common_keys(reference: ModelOutputs, models: Sequence[ModelOutputs], intersection: bool) -> list[str]:
    """The instructions to judge, in the reference's order; a mismatch stops unless `intersection`."""
    problems = [line for model in models for line in join_problems(reference, model)]
    if problems and not intersection:
        raise AutojError(
            "the outputs do not line up with the reference:\n  "
            + "\n  ".join(dict.fromkeys(problems))
            + "\nnothing was judged; fix the files, or pass --intersection to judge the instructions "
            "all files share"
        )
    return [k for k in reference.rows if all(k in m.rows for m in models)]


def sample_keys(keys: Sequence[str], limit: int | None, seed: int = 0) -> list[str]:
    """A seeded sample of `limit` keys, kept in their order (all of them without a limit)."""
    if limit is None or limit >= len(keys):
        return list(keys)
    chosen = set(random.Random(seed).sample(range(len(keys)), limit))
    return [k for i, k in enumerate(keys) if i in chosen]


def item_id(model: str, key: str) -> str:
    """A results-file id for (model, instruction): stable, short, and unique per model."""
    return f"{model}:{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}"
