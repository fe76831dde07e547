"""`autoj pipeline ingest|classify|balance|teacher|filter|distill|export`: building judge training data.

Each command reads and writes JSONL, prints its report as JSON, and is resumable: an identical
re-run is skipped, and `teacher` continues an interrupted run where it stopped.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from autoj.cli.main import app
from autoj.cli.options import (
    LabelConventionOpt,
    LabelResponse1Opt,
    LabelResponse2Opt,
    LabelTieOpt,
    Language,
    LanguageOpt,
    OverwriteOpt,
    judge_options,
)
from autoj.errors import AutojError, RunFailure
from autoj.io.labels import LabelMap
from autoj.judges.config import JudgeConfig
from autoj.pipeline import files
from autoj.pipeline.balance import PAPER_CAP
from autoj.pipeline.export import ExportFormat
from autoj.pipeline.sources import SourceFields

pipeline = typer.Typer(
    help="Build judge training data: ingest, classify, balance, teacher, filter, distill, export.",
    no_args_is_help=True,
)
app.add_typer(pipeline, name="pipeline")


class SourceFormat(str, Enum):
    """The converters of `autoj.pipeline.sources.CONVERTERS`, as CLI choices."""

    arena = "arena"
    autoj_single = "autoj-single"
    hh = "hh"
    pairs = "pairs"
    singles = "singles"


class ExportFormatOpt(str, Enum):
    messages = "messages"
    prompt_completion = "prompt-completion"


Output = Annotated[Path, typer.Option("--output", "-o", help="output JSONL file")]
Force = Annotated[bool, typer.Option("--force", help="redo the stage even if its output is up to date")]


def _emit(report: dict[str, Any]) -> None:
    typer.echo(json.dumps(report, indent=2, ensure_ascii=False, default=str))


def parse_field_overrides(values: list[str]) -> dict[str, str]:
    """`--field query=instruction` options as a mapping; a malformed one is a user error."""
    mapping: dict[str, str] = {}
    for value in values:
        key, eq, name = value.partition("=")
        if not eq or not key.strip() or not name.strip():
            raise AutojError(f"--field {value!r}: expected KEY=SOURCE_FIELD, e.g. query=instruction")
        mapping[key.strip()] = name.strip()
    return mapping


@pipeline.command("ingest")
def ingest_cmd(
    source: Annotated[Path, typer.Argument(help="JSONL (.gz), JSON, CSV or Parquet file")],
    output: Output,
    fmt: Annotated[
        SourceFormat,
        typer.Option("--format", "-f", help="pairs, singles, hh (chosen/rejected), arena, autoj-single"),
    ],
    field: Annotated[
        list[str] | None, typer.Option("--field", help="map a field: KEY=SOURCE_FIELD (repeatable)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="source name, the prefix of generated ids")] = None,
    seed: Annotated[int, typer.Option(help="seed of the preferred response's position (hh)")] = 0,
    limit: Annotated[int | None, typer.Option(help="stop after N samples")] = None,
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="skip unreadable rows")] = False,
    force: Force = False,
    label_convention: LabelConventionOpt = None,
    label_response_1: LabelResponse1Opt = None,
    label_response_2: LabelResponse2Opt = None,
    label_tie: LabelTieOpt = None,
) -> None:
    """Read a preference or critique source into pipeline samples."""
    labels = LabelMap.from_options(
        label_convention.value if label_convention else None, label_response_1, label_response_2, label_tie
    )
    try:
        fields = SourceFields().with_overrides(parse_field_overrides(field or []))
    except ValueError as exc:
        raise AutojError(f"--field: {exc}") from None
    _emit(
        files.ingest_file(
            source,
            output,
            fmt.value,
            fields,
            name,
            seed,
            limit,
            "skip" if skip_invalid else "fail",
            force,
            labels,
        )
    )


@pipeline.command("classify")
def classify_cmd(
    source: Annotated[Path, typer.Argument(help="samples JSONL")],
    output: Output,
    classifier: Annotated[
        bool, typer.Option("--classifier/--no-classifier", help="predict missing scenarios")
    ] = True,
    fallback: Annotated[str | None, typer.Option(help="scenario for samples left without one")] = None,
    reclassify: Annotated[bool, typer.Option(help="predict even where a scenario is given")] = False,
    force: Force = False,
) -> None:
    """Give every sample a scenario (a scenario already in the data is kept)."""
    from autoj.pipeline.records import read_samples
    from autoj.pipeline.scenario_support import shipped_classifier

    needed = reclassify or any(not s.scenario for s in read_samples(source))
    predict = shipped_classifier() if classifier and needed else None
    _emit(files.classify_file(source, output, predict, "shipped", fallback, reclassify, force))


@pipeline.command("balance")
def balance_cmd(
    source: Annotated[Path, typer.Argument(help="classified samples JSONL")],
    output: Output,
    cap: Annotated[int, typer.Option(help="most samples per scenario and kind (paper: 100)")] = PAPER_CAP,
    seed: Annotated[int, typer.Option(help="sampling seed")] = 0,
    total: Annotated[int | None, typer.Option(help="then keep N, spread evenly over scenarios")] = None,
    force: Force = False,
) -> None:
    """Downsample to at most CAP samples per scenario; report the distribution before and after."""
    _emit(files.balance_file(source, output, cap, seed, total, force))


@pipeline.command("teacher")
@judge_options(without=("protocol", "both_orders"))
def teacher_cmd(
    source: Annotated[Path, typer.Argument(help="balanced samples JSONL")],
    output: Output,
    *,
    config: JudgeConfig,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="estimate tokens, call nothing")] = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Criteria-guided teacher judgments in the Auto-J formats (resumes an existing output).

    The teacher's protocol is the criteria-guided Auto-J one; a judge file's protocol is not used.
    """
    report = files.teacher_file(source, output, config, dry_run, overwrite)
    _emit(report)
    unanswered = report.get("statuses", {}).get("backend_error", 0)
    if unanswered:  # a run whose items failed exits non-zero (the file keeps what was judged)
        raise RunFailure(
            f"{unanswered} sample(s) in {output} got no teacher judgment (backend errors): "
            "run the same command again to retry them"
        )


@pipeline.command("filter")
def filter_cmd(
    source: Annotated[Path, typer.Argument(help="teacher results JSONL")],
    output: Output,
    keep_unlabelled: Annotated[
        bool, typer.Option("--keep-unlabelled", help="keep pairs that have no human label")
    ] = False,
    samples: Annotated[
        Path | None, typer.Option(help="only results for these samples (the balanced file)")
    ] = None,
    force: Force = False,
) -> None:
    """Drop judgments that failed to parse or disagree with the human label; count the reasons."""
    _emit(files.filter_file(source, output, not keep_unlabelled, samples, force))


@pipeline.command("distill")
def distill_cmd(
    source: Annotated[Path, typer.Argument(help="filtered teacher results JSONL")],
    output: Output,
    swap: Annotated[bool, typer.Option("--swap/--no-swap", help="double pairs by swapping")] = True,
    single_copies: Annotated[int, typer.Option(help="copies of each single sample")] = 1,
    language: LanguageOpt = None,
    force: Force = False,
) -> None:
    """Training samples on the plain Auto-J prompt (no criteria), pairs doubled by swapping."""
    _emit(files.distil_file(source, output, (language or Language.en).value, swap, single_copies, force))


@pipeline.command("export")
def export_cmd(
    sources: Annotated[list[Path], typer.Argument(help="distilled JSONL file(s)")],
    output: Output,
    fmt: Annotated[ExportFormatOpt, typer.Option("--format", "-f")] = ExportFormatOpt.prompt_completion,
    shuffle_seed: Annotated[int | None, typer.Option(help="seeded shuffle (none keeps order)")] = 0,
    force: Force = False,
) -> None:
    """SFT data: chat messages or prompt/completion JSONL."""
    export_format: ExportFormat = "messages" if fmt is ExportFormatOpt.messages else "prompt-completion"
    _emit(files.export_file(sources, output, export_format, shuffle_seed, force))
