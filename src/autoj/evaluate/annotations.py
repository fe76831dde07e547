"""Scoring judgments made elsewhere: alpaca_eval annotation files in, leaderboard rows out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from autoj.errors import AutojError
from autoj.evaluate.comparisons import Comparison, by_model, read_annotations, single_reference
from autoj.evaluate.difficulty import prepare_length_control
from autoj.evaluate.leaderboard import LeaderboardRow, score_comparisons
from autoj.evaluate.scenarios import group_profile, with_scenarios
from autoj.stats.memo import Memo
from autoj.stats.winrate import head_to_head

NameFrom = Literal["generator", "file"]


def model_name_of_file(path: Path) -> str:
    """AlpacaEval's results-folder name of an annotation file: `NAME.ANNOTATOR.json[.gz]` or
    `NAME/ANNOTATOR/annotations.json` -> NAME."""
    if path.name.startswith("annotations."):
        return path.parent.parent.name
    stem = path.name.removesuffix(".gz").removesuffix(".json").removesuffix(".jsonl")
    return stem.rsplit(".", 1)[0] if "." in stem else stem


def load_annotation_groups(
    paths: Sequence[str | Path], name_from: NameFrom = "generator", group_field: str = "scenario"
) -> dict[str, list[Comparison]]:
    """Every file's comparisons, grouped by model; a model in two files is an error."""
    groups: dict[str, list[Comparison]] = {}
    for path in map(Path, paths):
        name = model_name_of_file(path) if name_from == "file" else None
        for model, comparisons in by_model(
            read_annotations(path, model=name, group_field=group_field)
        ).items():
            if model in groups:
                raise AutojError(f"{path}: model {model!r} is annotated in two files; give each once")
            groups[model] = comparisons
    single_reference([c for cs in groups.values() for c in cs])
    return groups


def score_groups(
    groups: Mapping[str, Sequence[Comparison]],
    difficulty: str = "auto",
    gamed: str | None = None,
    classify: bool = True,
    evaluation: str = "annotations",
    judge: str | None = None,
    context: Mapping[str, Sequence[Comparison]] | None = None,
    order: Sequence[str] | None = None,
    group_field: str | None = None,
    memo: Memo | None = None,
) -> list[LeaderboardRow]:
    """One row per model, the length control set up once over all of them; with scenarios (given,
    or from the classifier when `classify`), each row has its scenario-group profile.

    `context` holds other models' comparisons against the same reference by the same judge (an
    earlier run's): they inform the instruction difficulty but get no row. With `memo`, fits made
    before on the same numbers are read back.
    """
    if classify:
        groups = with_scenarios(groups)
    fitted = {**(context or {}), **groups}
    win_rates = {m: head_to_head([c.preference for c in cs]).win_rate or 0.0 for m, cs in fitted.items()}
    first = next((cs[0] for cs in fitted.values() if cs), None)
    setup = prepare_length_control(
        fitted,
        win_rates,
        difficulty=difficulty,
        gamed=gamed,
        order=order,
        judge=judge or (first.judge if first else None),
        memo=memo,
    )
    rows = []
    for comparisons in groups.values():
        row = score_comparisons(
            comparisons,
            setup,
            memo,
            evaluation=evaluation,
            judge=judge or comparisons[0].judge or "unknown",
            elapsed_s=round(sum(c.seconds or 0.0 for c in comparisons), 3),
        )
        if any(c.scenario for c in comparisons):
            row.scenario_groups = group_profile(comparisons, raw=group_field is not None)
            row.group_field = group_field or ""
        rows.append(row)
    return sorted(rows, key=lambda r: r.sort_key)
