"""`autoj scenarios`, `autoj criteria SCENARIO` and `autoj classify INPUT -o OUT`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from autoj.cli.main import app
from autoj.cli.options import LimitOpt, judge_options
from autoj.errors import AutojError, RunFailure
from autoj.io.outputs import check_output
from autoj.io.readers import Records
from autoj.io.terminal import Console
from autoj.judges.config import JudgeConfig

console = Console()
QUERY_FIELDS = ("query", "prompt", "instruction")


@app.command("scenarios")
def scenarios_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """List the 58 scenarios with their groups and descriptions."""
    from autoj.scenarios import SCENARIOS

    if as_json:
        rows = [{"name": s.name, "group": s.group, "description": s.description} for s in SCENARIOS.values()]
        console.print_json(json.dumps(rows))
        return
    table = Table("scenario", "group", "description")
    for s in SCENARIOS.values():
        table.add_row(s.name, s.group, s.description)
    console.print(table)


@app.command("criteria")
def criteria_cmd(
    scenario: Annotated[str, typer.Argument(help="scenario name (`autoj scenarios` lists them)")],
    authors_dir: Annotated[
        Path | None,
        typer.Option(help="read the Auto-J authors' criteria directory (basics/, specials/) instead"),
    ] = None,
) -> None:
    """Print a scenario's resolved criteria, heaviest first."""
    from autoj.scenarios import format_criteria, load_authors_criteria

    source = load_authors_criteria(authors_dir) if authors_dir else None
    typer.echo(format_criteria(scenario, source))


#: classify's judge is for --mode llm only, and may be named `--backend` too.
ClassifierJudgeOpt = Annotated[
    str | None,
    typer.Option(
        "--judge",
        "-j",
        "--backend",
        help="for --mode llm: a backend spec (e.g. openai:MODEL@URL), judge YAML file or catalog name",
        show_default="none",
    ),
]


@app.command("classify")
@judge_options(only=("backend_option",), judge=(ClassifierJudgeOpt, None))
def classify_cmd(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="JSONL, JSON or CSV file")],
    output: Annotated[Path, typer.Option("-o", "--output", help="JSONL file to write")],
    query_field: Annotated[
        str | None,
        typer.Option(help="field with the query (default: query, prompt or instruction+input)"),
    ] = None,
    mode: Annotated[
        str,
        typer.Option(
            help="`encoder` (shipped fine-tuned MiniLM + TF-IDF), `linear` (shipped TF-IDF alone, "
            "faster) or `llm`"
        ),
    ] = "encoder",
    *,
    config: JudgeConfig | None,
    limit: LimitOpt = None,
) -> None:
    """Label each record's query with a scenario, its group and a confidence."""
    check_output(output, [input_path])  # the input is never written over
    records, queries = _read_queries(input_path, query_field)
    if limit is not None:
        records, queries = records[:limit], queries[:limit]
    predictions = _predict(queries, mode, config)
    counts: dict[str, int] = {}
    failed = 0
    with output.open("w", encoding="utf-8") as handle:
        for record, prediction in zip(records, predictions, strict=True):
            fields = _fields(prediction)
            failed += "scenario_error" in fields
            record = {**record, **fields}
            key = "failed" if "scenario_error" in fields else str(record.get("scenario"))
            counts[key] = counts.get(key, 0) + 1
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    top = ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:5])
    console.print(f"{len(records)} queries -> {output} ({top})")
    if failed:  # a run whose items failed exits non-zero; each failed line says why
        raise RunFailure(
            f"{failed} of {len(records)} queries got no scenario (see scenario_error in {output}); "
            "run again once the classifier's backend answers"
        )


def _read_queries(path: Path, query_field: str | None) -> tuple[list[dict[str, Any]], list[str]]:
    found: list[dict[str, Any]] = []
    queries: list[str] = []
    records = Records(path)
    for line, record in records:
        query = _query_of(record, query_field)
        if query is None:
            wanted = query_field or " / ".join(QUERY_FIELDS)
            records.problem(line, wanted, "no query text")
            continue
        found.append(record)
        queries.append(query)
    records.check(hint="pick the query's field with --query-field")
    return found, queries


def _query_of(record: dict[str, Any], query_field: str | None) -> str | None:
    """The query text; the authors' data splits it into instruction + input."""
    for name in [query_field] if query_field else QUERY_FIELDS:
        value = record.get(name)
        if isinstance(value, str) and value.strip():
            if name == "instruction" and isinstance(record.get("input"), str):
                return f"{value} {record['input']}"
            return value
    return None


def _predict(queries: list[str], mode: str, config: JudgeConfig | None) -> list[Any]:
    if mode in ("encoder", "linear"):
        from autoj.scenarios import Classifier

        return list(Classifier(kind="encoder" if mode == "encoder" else "tfidf").predict(queries))
    if mode == "llm":
        if config is None:
            raise AutojError(
                "--mode llm needs --judge/--backend SPEC (e.g. vllm:GAIR/autoj-scenario-classifier)"
            )
        from autoj.backends import create_backend
        from autoj.scenarios._llm import LLMClassifier

        return list(LLMClassifier(create_backend(config.judge, **config.options)).predict(queries))
    raise AutojError(f"unknown --mode {mode!r}: use encoder, linear or llm")


def _fields(prediction: Any) -> dict[str, Any]:
    from autoj.scenarios import ScenarioPrediction

    if isinstance(prediction, ScenarioPrediction):
        confidence = None if prediction.confidence is None else round(prediction.confidence, 4)
        return {
            "scenario": prediction.scenario,
            "scenario_group": prediction.group,
            "scenario_confidence": confidence,
        }
    return {
        "scenario_error": prediction.reason,
        "scenario_status": prediction.status,
        "scenario_raw": prediction.raw,
    }
