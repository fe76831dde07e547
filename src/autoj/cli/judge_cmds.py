"""`autoj compare`, `autoj rate`, `autoj prompt` and `autoj backends`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from autoj.backends.registry import backend_entries
from autoj.cli.main import app
from autoj.cli.options import (
    DEFAULT_FIELDS,
    ConversationFieldOpt,
    JsonOpt,
    LabelConventionOpt,
    LabelResponse1Opt,
    LabelResponse2Opt,
    LabelTieOpt,
    Language,
    LanguageOpt,
    LimitOpt,
    OutputOpt,
    OverwriteOpt,
    ReferenceAnswerFieldOpt,
    RubricFieldOpt,
    RubricOpt,
    judge_options,
)
from autoj.errors import AutojError
from autoj.io.items import FieldMap, LabelMap, checked_items
from autoj.io.outputs import check_output
from autoj.io.results import Result
from autoj.io.terminal import Console
from autoj.judges.config import JudgeConfig
from autoj.protocols import JudgeProtocol, get_protocol, protocols_using
from autoj.protocols.base import OPTIONAL_INPUTS
from autoj.protocols.rubrics import to_rubric
from autoj.run.judge import Judge
from autoj.run.runner import RunSummary, Tally, run_to_file
from autoj.stats.figures import name_of
from autoj.types import Item, Message, PairItem, Rubric, SingleItem, check_history, messages_from

if TYPE_CHECKING:
    from autoj.cli.group_views import GroupedFigures
    from autoj.trust.calibration import Calibration

console = Console()
err_console = Console(stderr=True)

INPUT_HELP = "JSONL, JSON, CSV, TSV or Parquet (each may be .gz), or an autoj results file"


class OnInvalid(str, Enum):
    fail = "fail"
    skip = "skip"


GroupByOpt = Annotated[
    str | None,
    typer.Option(
        "--group-by",
        help="an input field to group the figures by, with its raw values (e.g. your own category column)",
    ),
]
OnInvalidOpt = Annotated[OnInvalid, typer.Option(help="fail (before any model call) or skip invalid records")]
AllowEmptyOpt = Annotated[
    bool, typer.Option("--allow-empty", help="accept empty responses (a model that answered nothing)")
]


def _calibrated_json(calibrated: list[Calibration]) -> dict[str, object]:
    from autoj.cli.calibrate_cmds import calibration_json  # scipy, only with --human-labels

    return calibration_json(calibrated)


def _calibrated_table(calibrated: list[Calibration]) -> Table:
    from autoj.cli.calibrate_cmds import calibration_table  # scipy, only with --human-labels
    from autoj.trust.calibration import LEVEL

    return calibration_table(calibrated, LEVEL)


def _print_summary(
    summary: RunSummary,
    as_json: bool,
    groups: GroupedFigures | None = None,
    calibrated: list[Calibration] | None = None,
) -> None:
    """The run's figures and what its judgments say; loud lines for a degenerate judge and for
    items that got no judgment (the command then exits 1). With human labels, what people would
    decide (`calibrated`) too."""
    tally = summary.tally
    if as_json:
        extra = {"calibrated": _calibrated_json(calibrated)} if calibrated else {}
        console.print_json(json.dumps({**summary.to_dict(), **(groups.to_json() if groups else {}), **extra}))
    else:
        err_console.print(
            f"[bold]{summary.judged}[/] judged"
            + (f" ({summary.rejudged} again: their text changed)" if summary.rejudged else "")
            + f", {summary.already_done} already in {summary.output}, "
            f"{summary.failures} failed ({summary.parse_failures} unparseable) in "
            f"{summary.elapsed_s:.1f}s: {summary.judgments_per_min:.1f} judgments/min, "
            f"{summary.tokens_per_s:.1f} generated tokens/s"
            + (f"; {summary.cache_hits} generations from the cache" if summary.cache_hits else ""),
            soft_wrap=True,
        )
        for line in _judgment_lines(tally):
            err_console.print(line, markup=False, highlight=False, soft_wrap=True)
        if groups is not None:
            groups.show(console)
        if calibrated:
            err_console.print(_calibrated_table(calibrated))
    for warning in [*tally.warnings, *([summary.hint] if summary.hint else [])]:
        err_console.print(f"[bold red]WARNING: {escape(warning)}[/]", soft_wrap=True)
    if summary.backend_errors:
        reasons = "; ".join(f"{count} x {reason}" for reason, count in summary.failure_reasons.items())
        err_console.print(
            f"[bold red]{summary.backend_errors} item(s) got no judgment[/] (run again to retry them): "
            + escape(reasons),
            soft_wrap=True,
        )


def _judgment_lines(tally: Tally) -> list[str]:
    """Verdict or rating counts, and the pairwise figures (named as in autoj.stats.figures)."""
    lines = []
    if tally.verdicts:
        counts = ", ".join(
            f"{v} {tally.verdicts[v]}" for v in ("response_1", "response_2", "tie") if v in tally.verdicts
        )
        lines.append(
            f"verdicts: {counts}" + (" (an order flip is a tie)" if tally.figures.both_orders else "")
        )
    figures = tally.figures
    shown = [
        (key, value, of)
        for key, value, of in (
            ("agreement", figures.agreement, f"{figures.labelled} labelled pairs"),
            ("consistency", figures.consistency, f"{figures.both_orders} pairs in both orders"),
            ("tie_rate", figures.tie_rate, f"{figures.judgments} judgments"),
        )
        if value is not None
    ]
    if shown:
        lines.append("; ".join(f"{name_of(key)} {value:.1%} of {of}" for key, value, of in shown))
    if tally.ratings:
        ordered = sorted(tally.ratings.items(), key=lambda kv: float(kv[0]))
        total = sum(tally.ratings.values())
        mean = sum(float(r) * n for r, n in ordered) / total
        lines.append("ratings: " + ", ".join(f"{r}: {n}" for r, n in ordered) + f" (mean {mean:.2f})")
    return lines


def _show_one(result: Result) -> None:
    """A single inline judgment, readably."""
    console.rule(f"[bold]{result.provenance.get('judge', '')} · {result.provenance.get('protocol', '')}")
    console.print(result.judgment.raw.strip() or "(no output)", markup=False, highlight=False)
    if result.swapped is not None:
        console.rule("swapped order")
        console.print(result.swapped.raw.strip() or "(no output)", markup=False, highlight=False)
    console.rule()
    if result.status != "ok":
        reasons = [j.reason for j in (result.judgment, result.swapped) if j is not None and j.reason]
        console.print(f"[red]{result.status}[/]: {'; '.join(reasons)}")
    elif result.kind == "pairwise":
        verdict = result.verdict.value if result.verdict else "-"
        extra = "" if result.consistent is None else f" (consistent across orders: {result.consistent})"
        console.print(f"[bold green]verdict: {verdict}[/]{extra}")
    else:
        console.print(f"[bold green]rating: {result.rating:g}[/]")


#: The flag that names each optional judge input's field.
_INPUT_FIELD_FLAGS = {
    "reference_answer": "--reference-answer-field",
    "rubric": "--rubric-field",
    "conversation": "--conversation-field",
}


def _run_rubric(value: str | None, protocol: JudgeProtocol) -> Rubric | None:
    """`--rubric`, read once; a protocol that cannot use a rubric refuses it before anything runs."""
    if value is None:
        return None
    if "rubric" not in protocol.inputs:
        raise AutojError(
            f"--rubric: the {protocol.name} protocol cannot use a rubric; pick one that does "
            f"(--protocol {', '.join(protocols_using('rubric'))}) or drop --rubric"
        )
    return to_rubric(value, "--rubric")


def _check_usable(items: Sequence[Item], protocol: JudgeProtocol, source: Path, fields: FieldMap) -> None:
    """Items carrying an input the protocol cannot use stop the run before it starts, naming the
    field and its flag: the input would otherwise be dropped from every prompt."""
    for name in OPTIONAL_INPUTS:
        carrying = [item for item in items if getattr(item, name)]
        if not carrying or name in protocol.inputs:
            continue
        raise AutojError(
            f"{source}: {len(carrying)} of {len(items)} item(s) carry a {name.replace('_', ' ')} "
            f"(field {getattr(fields, name)!r}, first item {carrying[0].id!r}), which the "
            f"{protocol.name} protocol cannot use: pick a protocol that does "
            f"(--protocol {', '.join(protocols_using(name))}), or drop the field "
            f"(or name another with {_INPUT_FIELD_FLAGS[name]})"
        )


def _with_rubric(items: list[Item], rubric: Rubric | None, source: Path, fields: FieldMap) -> list[Item]:
    """Every item with the run's `--rubric`; an item with a rubric of its own is a conflict."""
    if rubric is None:
        return items
    own = next((item for item in items if item.rubric is not None), None)
    if own is not None:
        raise AutojError(
            f"{source}: item {own.id!r} has its own rubric (field {fields.rubric!r}) and --rubric gives "
            "one for every item: drop one of them"
        )
    return [replace(item, rubric=rubric) for item in items]


def usable_items(
    items: Sequence[Item], protocol: JudgeProtocol, source: Path, fields: FieldMap, rubric: str | None
) -> list[Item]:
    """The items as `rate` and `compare` judge them: refused where the protocol cannot use an
    input they carry, each with the run's `--rubric`; for commands that judge files the same way."""
    run_rubric = _run_rubric(rubric, protocol)
    _check_usable(items, protocol, source, fields)
    return _with_rubric(list(items), run_rubric, source, fields)


def _judge_file(
    kind: str,
    input_path: Path,
    output: Path | None,
    fields: FieldMap,
    on_invalid: OnInvalid,
    judge: Judge,
    overwrite: bool,
    limit: int | None,
    as_json: bool,
    allow_empty: bool,
    labels: LabelMap | None = None,
    rubric: str | None = None,
    group_by: str | None = None,
    human_labels: Path | None = None,
) -> None:
    if output is None:
        raise AutojError("name an output file with -o OUT.jsonl (results stream there as they finish)")
    check_output(output, [input_path])  # before anything is read or loaded
    run_rubric = _run_rubric(rubric, judge.protocol)
    items, problems = checked_items(
        input_path,
        "pairwise" if kind == "pairwise" else "single",
        fields,
        on_invalid.value,
        labels=labels,
        allow_empty=allow_empty,
        scenario_check=judge.protocol.scenario_problem,
    )
    for problem in problems:
        err_console.print(f"[yellow]skipped[/] {problem}", markup=True, highlight=False)
    selected: list[Item] = list(items[:limit] if limit is not None else items)
    _check_usable(selected, judge.protocol, input_path, fields)
    selected = _with_rubric(selected, run_rubric, input_path, fields)
    with judge:
        summary = judge.run(
            run_to_file(judge.engine(), selected, output, overwrite=overwrite, inputs=[input_path])
        )
    grouped = None
    if group_by:
        from autoj.cli.group_views import grouped_figures  # the analysis code (scipy) only with --group-by

        grouped = grouped_figures(output, {item.id for item in selected}, group_by)
    calibrated = None
    if human_labels is not None:
        from autoj.trust.calibration import calibrate_file

        calibrated = calibrate_file(output, human_labels, labels or LabelMap())
    _print_summary(summary, as_json, grouped, calibrated)
    if not summary.complete:
        raise typer.Exit(1)


@app.command()
@judge_options()
def compare(
    input_path: Annotated[Path | None, typer.Argument(metavar="INPUT", help=INPUT_HELP)] = None,
    output: OutputOpt = None,
    *,
    config: JudgeConfig,
    query: Annotated[str | None, typer.Option(help="inline: the user's query")] = None,
    response_1: Annotated[str | None, typer.Option("--response-1", help="inline: response 1")] = None,
    response_2: Annotated[str | None, typer.Option("--response-2", help="inline: response 2")] = None,
    query_field: Annotated[str, typer.Option(help="input field of the query")] = "prompt",
    response_1_field: Annotated[str, typer.Option(help="input field of response 1")] = "response 1",
    response_2_field: Annotated[str, typer.Option(help="input field of response 2")] = "response 2",
    id_field: Annotated[str, typer.Option(help="input field of the item id")] = "id",
    scenario_field: Annotated[str, typer.Option(help="input field of the scenario")] = "scenario",
    label_field: Annotated[str, typer.Option(help="input field of a human label")] = "label",
    reference_answer_field: ReferenceAnswerFieldOpt = DEFAULT_FIELDS.reference_answer,
    rubric_field: RubricFieldOpt = DEFAULT_FIELDS.rubric,
    conversation_field: ConversationFieldOpt = DEFAULT_FIELDS.conversation,
    rubric: RubricOpt = None,
    label_convention: LabelConventionOpt = None,
    label_response_1: LabelResponse1Opt = None,
    label_response_2: LabelResponse2Opt = None,
    label_tie: LabelTieOpt = None,
    on_invalid: OnInvalidOpt = OnInvalid.fail,
    allow_empty: AllowEmptyOpt = False,
    overwrite: OverwriteOpt = False,
    limit: LimitOpt = None,
    group_by: GroupByOpt = None,
    human_labels: Annotated[
        Path | None,
        typer.Option(
            help="people's labels of some items (fields id and label, ids as the input's): also estimate "
            "what people would decide on all of them, with a 95% interval (as `autoj calibrate`)"
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compare two responses per item: which is better, or a tie, with the judge's reasons."""
    j = Judge(config)
    if query is not None or response_1 is not None or response_2 is not None:
        if input_path is not None or query is None or response_1 is None or response_2 is None:
            raise AutojError("inline use needs all of --query, --response-1, --response-2 and no INPUT")
        _show_one(j.compare(query, response_1, response_2, rubric=_run_rubric(rubric, j.protocol)))
        j.close()
        return
    if input_path is None:
        raise AutojError("give an INPUT file, or --query, --response-1 and --response-2")
    fields = FieldMap(
        query=query_field,
        response_1=response_1_field,
        response_2=response_2_field,
        id=id_field,
        scenario=scenario_field,
        label=label_field,
        reference_answer=reference_answer_field,
        rubric=rubric_field,
        conversation=conversation_field,
    )
    labels = LabelMap.from_options(
        label_convention.value if label_convention else None, label_response_1, label_response_2, label_tie
    )
    _judge_file(
        "pairwise",
        input_path,
        output,
        fields,
        on_invalid,
        j,
        overwrite,
        limit,
        as_json,
        allow_empty,
        labels,
        rubric,
        group_by,
        human_labels,
    )


@app.command()
@judge_options(without=("both_orders",))
def rate(
    input_path: Annotated[Path | None, typer.Argument(metavar="INPUT", help=INPUT_HELP)] = None,
    output: OutputOpt = None,
    *,
    config: JudgeConfig,
    query: Annotated[str | None, typer.Option(help="inline: the user's query")] = None,
    response: Annotated[str | None, typer.Option(help="inline: the response to rate")] = None,
    query_field: Annotated[str, typer.Option(help="input field of the query")] = "prompt",
    response_field: Annotated[str, typer.Option(help="input field of the response")] = "response",
    id_field: Annotated[str, typer.Option(help="input field of the item id")] = "id",
    scenario_field: Annotated[str, typer.Option(help="input field of the scenario")] = "scenario",
    reference_field: Annotated[
        str,
        typer.Option(
            "--reference-field",
            "--reference-score-field",
            help="input field of a known score of the response (not a reference answer): ratings are "
            "correlated with it",
        ),
    ] = "score",
    reference_answer_field: ReferenceAnswerFieldOpt = DEFAULT_FIELDS.reference_answer,
    rubric_field: RubricFieldOpt = DEFAULT_FIELDS.rubric,
    conversation_field: ConversationFieldOpt = DEFAULT_FIELDS.conversation,
    rubric: RubricOpt = None,
    on_invalid: OnInvalidOpt = OnInvalid.fail,
    allow_empty: AllowEmptyOpt = False,
    overwrite: OverwriteOpt = False,
    limit: LimitOpt = None,
    group_by: GroupByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Critique one response per item and rate it 1-10."""
    j = Judge(config)
    if query is not None or response is not None:
        if input_path is not None or query is None or response is None:
            raise AutojError("inline use needs both --query and --response and no INPUT")
        _show_one(j.rate(query, response, rubric=_run_rubric(rubric, j.protocol)))
        j.close()
        return
    if input_path is None:
        raise AutojError("give an INPUT file, or --query and --response")
    fields = FieldMap(
        query=query_field,
        response=response_field,
        id=id_field,
        scenario=scenario_field,
        reference_score=reference_field,
        reference_answer=reference_answer_field,
        rubric=rubric_field,
        conversation=conversation_field,
    )
    _judge_file(
        "single",
        input_path,
        output,
        fields,
        on_invalid,
        j,
        overwrite,
        limit,
        as_json,
        allow_empty,
        rubric=rubric,
        group_by=group_by,
    )


class Task(str, Enum):
    pairwise = "pairwise"
    single = "single"


@app.command()
def prompt(
    task: Annotated[Task, typer.Argument(help="pairwise or single")],
    query: Annotated[str, typer.Option(help="the user's query")],
    response: Annotated[str, typer.Option("--response", "--response-1", help="the (first) response")],
    response_2: Annotated[str | None, typer.Option("--response-2", help="the second response")] = None,
    protocol: Annotated[str | None, typer.Option(help="protocol; default Auto-J in --language")] = None,
    language: LanguageOpt = None,
    reference: Annotated[
        str | None, typer.Option("--reference", help="a reference answer (for judges that use one)")
    ] = None,
    rubric: RubricOpt = None,
    conversation: Annotated[
        str | None,
        typer.Option(
            help="earlier turns before --query: a JSON list of {role, content}, or a file holding one"
        ),
    ] = None,
) -> None:
    """Print the exact prompt a judge receives (raw text, or chat messages as JSON)."""
    name = protocol or ("autoj-zh" if language is Language.zh else "autoj")
    proto = get_protocol(name)
    extra: dict[str, Any] = {}
    if reference is not None:
        extra["reference_answer"] = reference
    if rubric is not None:
        extra["rubric"] = to_rubric(rubric, "--rubric")
    if conversation is not None:
        extra["conversation"] = _turns(conversation)
    item: Item
    if task is Task.pairwise:
        if response_2 is None:
            raise AutojError("a pairwise prompt needs --response-2")
        item = PairItem(query, response, response_2, **extra)
    else:
        item = SingleItem(query, response, **extra)
    built = proto.prompt(item)
    if built.text is not None:
        typer.echo(built.text)
    else:
        typer.echo(json.dumps(built.to_dict()["messages"], ensure_ascii=False, indent=2))


def _turns(value: str) -> tuple[Message, ...]:
    """--conversation: JSON text or a file holding it; earlier turns, user first."""
    path = Path(value)
    text = (
        path.read_text(encoding="utf-8") if not value.lstrip().startswith("[") and path.is_file() else value
    )
    try:
        turns = messages_from(text)
        check_history(turns)
    except ValueError as exc:
        raise AutojError(f"--conversation: {exc}") from None
    return turns


@app.command()
def backends() -> None:
    """List the judge backends and whether each one's dependencies are installed."""
    table = Table("backend", "installed", "install with", "what")
    for entry in backend_entries():
        installed = entry.installed()
        hint = "" if installed or not entry.extra else f"pip install 'autoj[{entry.extra}]'"
        table.add_row(entry.name, "yes" if installed else "[red]no[/]", hint, entry.description)
    console.print(table)
