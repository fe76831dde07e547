"""Rubrics from where users keep them: a YAML file, a mapping in an input record, or inline text.

Inline text is the Prometheus rubric layout (`[criteria]` then `Score 1: ...` lines, any scale:
`Score 81-100: ...` on a 1-100 scale) or bare criteria. A mapping or YAML file has `criteria`,
`scores` (label -> description) and optionally `low` / `high`; the scale is otherwise read from
the score labels. Packaged rubrics (Prometheus' predefined ones) are found by name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from autoj.errors import AutojError
from autoj.safeload import DocumentError, load_yaml, read_config_text
from autoj.types import Rubric

_SCORE_LINE = re.compile(r"^\s*Score\s+(\d+(?:\s*-\s*\d+)?)\s*:\s?(.*)$", re.IGNORECASE)
_BRACKETED = re.compile(r"^\s*\[(.*)\]\s*$", re.DOTALL)


class RubricError(AutojError):
    """A rubric that cannot be read; the message says where and what is wrong."""


def _scale(labels: list[str], where: str) -> tuple[int, int]:
    bounds = [int(n) for label in labels for n in re.findall(r"\d+", label)]
    if len(bounds) < 2 or min(bounds) == max(bounds):
        raise RubricError(f"{where}: the score labels {labels} give no scale; add low and high")
    return min(bounds), max(bounds)


def _built(criteria: str, scores: list[tuple[str, str]], low: Any, high: Any, where: str) -> Rubric:
    if (low is None) != (high is None):
        raise RubricError(f"{where}: give both low and high, or neither")
    if low is None:
        low, high = _scale([label for label, _ in scores], where) if scores else (1, 5)
    try:
        return Rubric(criteria=criteria, scores=tuple(scores), low=int(low), high=int(high))
    except (TypeError, ValueError) as exc:
        raise RubricError(f"{where}: {exc}") from None


def parse_rubric_text(text: str, where: str = "rubric") -> Rubric:
    """A rubric written inline: `[criteria]` + `Score n: description` lines, or bare criteria."""
    lines = text.strip().splitlines()
    scores: list[tuple[str, str]] = []
    criteria_lines: list[str] = []
    for line in lines:
        match = _SCORE_LINE.match(line)
        if match:
            scores.append((re.sub(r"\s+", "", match.group(1)), match.group(2).strip()))
        elif scores:
            if not line.strip():
                continue
            raise RubricError(f"{where}: text after the score lines: {line.strip()[:60]!r}")
        else:
            criteria_lines.append(line)
    criteria = "\n".join(criteria_lines).strip()
    bracketed = _BRACKETED.match(criteria)
    if bracketed:
        criteria = bracketed.group(1).strip()
    if not criteria:
        raise RubricError(f"{where}: no criteria (write them first, e.g. '[Is the answer correct?]')")
    return _built(criteria, scores, None, None, where)


def rubric_text(rubric: Rubric) -> str:
    """The rubric in the inline layout `parse_rubric_text` reads: `[criteria]`, then one
    `Score label: description` line per score."""
    return "\n".join([f"[{rubric.criteria}]", *(f"Score {label}: {text}" for label, text in rubric.scores)])


def rubric_from_mapping(data: Mapping[str, Any], where: str = "rubric") -> Rubric:
    """A rubric given as an object: criteria, scores (label -> description), optional low / high."""
    criteria = data.get("criteria")
    if not isinstance(criteria, str) or not criteria.strip():
        raise RubricError(f"{where}: a rubric needs 'criteria' (text)")
    unknown = sorted(set(data) - {"criteria", "scores", "low", "high"})
    if unknown:
        raise RubricError(f"{where}: unknown rubric key(s) {unknown}; use criteria, scores, low, high")
    raw = data.get("scores") or {}
    if not isinstance(raw, Mapping):
        raise RubricError(f"{where}: 'scores' maps each score (1, 2, ... or '81-100') to its description")
    scores: list[tuple[str, str]] = []
    for label, text in raw.items():
        if not isinstance(text, str):  # YAML reads a bare no / yes / 5 as a boolean or number
            raise RubricError(f"{where}: score {label}'s description is not text (quote it in YAML)")
        scores.append((str(label).replace(" ", ""), text.strip()))
    return _built(criteria.strip(), scores, data.get("low"), data.get("high"), where)


def load_rubric_file(path: str | Path) -> Rubric:
    """A rubric kept in a YAML file (a mapping), or a text file in the inline layout."""
    file = Path(path)
    try:
        text = read_config_text(file, "rubric file")
        if file.suffix.lower() not in (".yaml", ".yml", ".json"):
            return parse_rubric_text(text, str(file))
        data = load_yaml(text, str(file))
    except DocumentError as exc:
        raise RubricError(str(exc)) from None
    if not isinstance(data, Mapping):
        raise RubricError(f"{file}: a rubric file holds one mapping (criteria, scores, ...)")
    return rubric_from_mapping(data, str(file))


def to_rubric(value: Any, where: str = "rubric") -> Rubric:
    """A rubric from an input value: a Rubric, a mapping, a packaged name, a file path or inline text."""
    if isinstance(value, Rubric):
        return value
    if isinstance(value, Mapping):
        return rubric_from_mapping(value, where)
    if not isinstance(value, str) or not value.strip():
        raise RubricError(f"{where}: a rubric is text, an object (criteria, scores) or a YAML file path")
    if value in packaged_rubrics():
        return packaged_rubrics()[value]
    if "\n" not in value and Path(value).suffix.lower() in (".yaml", ".yml", ".json", ".txt"):
        return load_rubric_file(value)
    return parse_rubric_text(value, where)


@cache
def packaged_rubrics() -> dict[str, Rubric]:
    """Rubrics shipped with the package, by name (Prometheus' helpfulness, harmlessness, ...)."""
    text = (
        resources.files("autoj.protocols").joinpath("templates", "prometheus_rubrics.yaml").read_text("utf-8")
    )
    data = yaml.safe_load(text)
    return {name: rubric_from_mapping(entry, f"packaged rubric {name!r}") for name, entry in data.items()}
