"""The pipeline's stages as file-to-file steps: what the CLI commands and scripts call.

Each step reads JSONL, writes JSONL atomically and records a report beside its output; an
identical re-run (same input bytes, same settings) returns that report without redoing work.
The teacher step resumes through its results file instead (see `teacher_run`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from autoj.backends.redaction import redact
from autoj.io.labels import LabelMap
from autoj.io.outputs import check_output
from autoj.io.results import read_results
from autoj.judges.config import JudgeConfig
from autoj.pipeline.balance import balance
from autoj.pipeline.classify import classify
from autoj.pipeline.distill import TrainingSample, distil
from autoj.pipeline.export import ExportFormat, export_rows
from autoj.pipeline.filter import filter_results
from autoj.pipeline.ingest import OnInvalid, ingest
from autoj.pipeline.records import read_jsonl, read_samples, write_jsonl, write_samples
from autoj.pipeline.scenario_support import Predict
from autoj.pipeline.sources import SourceFields
from autoj.pipeline.stage import fingerprint, record_stage, stored_report
from autoj.pipeline.teacher import TeacherProtocol, estimate_tokens, teacher_judge
from autoj.pipeline.teacher_run import run_teacher

Report = dict[str, Any]


def _cached_stage(
    stage: str,
    inputs: list[Path],
    output: Path,
    params: Mapping[str, Any],
    work: Callable[[], Report],
    force: bool,
) -> Report:
    check_output(output, inputs)  # a stage never writes over what it reads
    print_ = fingerprint(stage, inputs, params)
    if not force:
        stored = stored_report(output, print_)
        if stored is not None:
            return {**stored, "up_to_date": True}
    report = work()
    record_stage(output, stage, print_, report)
    return {**report, "up_to_date": False}


def ingest_file(
    source: Path,
    output: Path,
    fmt: str,
    fields: SourceFields | None = None,
    name: str | None = None,
    seed: int = 0,
    limit: int | None = None,
    on_invalid: OnInvalid = "fail",
    force: bool = False,
    labels: LabelMap | None = None,
) -> Report:
    fields = fields or SourceFields()
    labels = labels or LabelMap()
    params = {
        "format": fmt,
        "fields": vars(fields),
        "name": name,
        "seed": seed,
        "limit": limit,
        "on_invalid": on_invalid,
        **({"labels": labels.to_dict()} if labels.chosen else {}),
    }

    def work() -> Report:
        samples, report = ingest(source, fmt, fields, name, seed, limit, on_invalid, labels)
        write_samples(output, samples)
        return report.to_dict()

    return _cached_stage("ingest", [source], output, params, work, force)


def classify_file(
    source: Path,
    output: Path,
    predict: Predict | None = None,
    classifier_name: str | None = None,
    fallback: str | None = None,
    reclassify: bool = False,
    force: bool = False,
) -> Report:
    params = {
        "classifier": classifier_name if predict else None,
        "fallback": fallback,
        "reclassify": reclassify,
    }

    def work() -> Report:
        samples, report = classify(read_samples(source), predict, fallback, reclassify)
        write_samples(output, samples)
        return report.to_dict()

    return _cached_stage("classify", [source], output, params, work, force)


def balance_file(
    source: Path, output: Path, cap: int = 100, seed: int = 0, total: int | None = None, force: bool = False
) -> Report:
    def work() -> Report:
        samples, report = balance(read_samples(source), cap, seed, total)
        write_samples(output, samples)
        return report.to_dict()

    return _cached_stage("balance", [source], output, {"cap": cap, "seed": seed, "total": total}, work, force)


def filter_file(
    source: Path,
    output: Path,
    require_label: bool = True,
    samples: Path | None = None,
    force: bool = False,
) -> Report:
    """Keep the teacher results fit for training; the output is a results file too.

    A teacher file resumed across runs can hold results for samples an earlier balance picked;
    `samples` (the balanced file) restricts the filter to the current ones.
    """
    inputs = [source] if samples is None else [source, samples]

    def work() -> Report:
        wanted = None if samples is None else {s.id for s in read_samples(samples)}
        results = (r for r in read_results(source) if wanted is None or r.id in wanted)
        kept, report = filter_results(results, require_label)
        write_jsonl(output, (r.to_dict() for r in kept))
        return report.to_dict()

    return _cached_stage("filter", inputs, output, {"require_label": require_label}, work, force)


def distil_file(
    source: Path,
    output: Path,
    language: str = "en",
    swap: bool = True,
    single_copies: int = 1,
    force: bool = False,
) -> Report:
    params = {"language": language, "swap": swap, "single_copies": single_copies}

    def work() -> Report:
        samples, report = distil(read_results(source), language, swap, single_copies)
        write_jsonl(output, (s.to_dict() for s in samples))
        return report.to_dict()

    return _cached_stage("distill", [source], output, params, work, force)


def read_training_samples(path: Path) -> list[TrainingSample]:
    return [TrainingSample.from_dict(data) for _, data in read_jsonl(path)]


def export_file(
    sources: list[Path], output: Path, fmt: ExportFormat, shuffle_seed: int | None = 0, force: bool = False
) -> Report:
    """One SFT file from one or more distilled files (e.g. pairs and singles)."""

    def work() -> Report:
        samples = [s for path in sources for s in read_training_samples(path)]
        rows = export_rows(samples, fmt, shuffle_seed)
        write_jsonl(output, rows)
        kinds: dict[str, int] = {}
        for s in samples:
            kinds[s.kind] = kinds.get(s.kind, 0) + 1
        return {"stage": "export", "format": fmt, "rows": len(rows), "by_kind": kinds}

    return _cached_stage(
        "export", sources, output, {"format": fmt, "shuffle_seed": shuffle_seed}, work, force
    )


def dumps(report: Mapping[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False)


def teacher_file(
    source: Path,
    output: Path,
    judge: JudgeConfig | str,
    dry_run: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
) -> Report:
    """Teacher judgments for every sample of `source` (resuming `output`) by `judge` (a config,
    spec, judge file or catalog name; in its language); a dry run only estimates."""
    check_output(output, [source])
    config = JudgeConfig.load(judge)
    samples = read_samples(source)
    if dry_run:
        estimate = estimate_tokens(TeacherProtocol(config.language), samples, config.params.max_new_tokens)
        judge = redact(config.judge)
        return {"stage": "teacher", "dry_run": True, "judge": judge, "before": estimate.to_dict()}
    with teacher_judge(config) as teacher:
        report = run_teacher(teacher, samples, output, overwrite, progress)
    setup = {k: v for k, v in config.to_dict().items() if k != "source"}
    record_stage(output, "teacher", fingerprint("teacher", [source], {"judge": setup}), report)
    return report
