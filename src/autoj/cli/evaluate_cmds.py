"""`autoj evaluate`: win rates of models against a reference, on a leaderboard."""

from __future__ import annotations

import json
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from autoj.cli.decision_views import show_decisions
from autoj.cli.main import app
from autoj.cli.options import JsonOpt, LimitOpt, OverwriteOpt, judge_options
from autoj.errors import AutojError
from autoj.evaluate.comparisons import Comparison
from autoj.evaluate.decisions import decide
from autoj.evaluate.leaderboard import LeaderboardRow, update_board
from autoj.evaluate.outputs import OutputFields
from autoj.io.outputs import check_distinct, check_output
from autoj.io.terminal import Console
from autoj.judges.config import JudgeConfig
from autoj.run.cache import figure_memo
from autoj.run.generation import DEFAULT_PARAMS
from autoj.stats.figures import name_of

if TYPE_CHECKING:
    from autoj.evaluate.run import EvaluationRun
    from autoj.trust.calibration import Calibration

err_console = Console(stderr=True)


class Mode(str, Enum):
    pairwise = "pairwise"
    rate = "rate"


class NameFrom(str, Enum):
    generator = "generator"
    file = "file"


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _na_or(row: LeaderboardRow, value: float | None) -> str:
    """An LC figure, or "n/a" where it could not be estimated (the reason is printed below)."""
    return "n/a" if value is None and row.lc_method.startswith("n/a") else _fmt(value)


def _table(rows: list[LeaderboardRow], title: str) -> Table:
    table = Table(title=title)
    rate = any(r.evaluation == "rate" for r in rows)
    columns = (
        ["model", "mean rating", "95% CI", "n"]
        if rate
        else ["model", "win rate", "± se", "LC win rate", "± se", "discrete", "wins", "draws", "n", "avg len"]
    )
    for name in columns:
        if name == "model":
            table.add_column(name, no_wrap=True)
        else:
            table.add_column(name, justify="right")
    for r in rows:
        if rate:
            interval = f"{_fmt(r.rating_ci_low)}-{_fmt(r.rating_ci_high)}"
            table.add_row(r.model, _fmt(r.mean_rating), interval, str(r.n_total))
        else:
            table.add_row(
                r.model,
                _fmt(r.win_rate),
                _fmt(r.standard_error),
                _na_or(r, r.length_controlled_winrate),
                _na_or(r, r.lc_standard_error),
                _fmt(r.discrete_win_rate),
                str(r.n_wins),
                str(r.n_draws),
                str(r.n_total),
                str(r.avg_length),
            )
    return table


def _groups_table(rows: list[LeaderboardRow]) -> Table | None:
    """Win rate per scenario group; groups where the judge's benchmark says it is not reliable come
    last, dimmed and marked."""
    from autoj.evaluate.reliability import not_reliable_groups
    from autoj.trust.trustmap import NOT_RELIABLE

    doubtful = set(not_reliable_groups(rows[0].reliability)) if rows else set()
    groups = sorted({g for r in rows for g in r.scenario_groups}, key=lambda g: (g in doubtful, g))
    if not groups:
        return None
    by = next((r.group_field for r in rows if r.group_field), "")
    table = Table(title=f"win rate by {by or 'scenario group'} (n)")
    table.add_column("model", no_wrap=True)
    for group in groups:
        header = f"{group}\n({NOT_RELIABLE})" if group in doubtful else group
        table.add_column(header, justify="right", style="dim" if group in doubtful else None)
    for r in rows:
        cells = []
        for group in groups:
            g = r.scenario_groups.get(group)
            cells.append("-" if not g or g.get("win_rate") is None else f"{g['win_rate']:.1f} ({g['n']})")
        table.add_row(r.model, *cells)
    return table


def _pct(value: object) -> str:
    return "-" if not isinstance(value, int | float) else f"{100 * value:.1f}%"


def _reliability_line(data: dict[str, object]) -> str:
    """The judge's figures in one line: this run's, then its benchmark's and the catalog's."""
    parts = [f"judge {data['judge']}"]
    if data.get("n"):
        parts[0] += (
            f": {name_of('consistency')} {_pct(data['consistency'])}, "
            f"{name_of('response_1_share')} {_pct(data['response_1_share'])}, longer output wins "
            f"{_pct(data['prefers_longer'])} of decided pairs (people on Eval-P: "
            f"{_pct(data.get('human_prefers_longer'))}; this run, {data['n']} pairs)"
        )
    bench = data.get("bench")
    if isinstance(bench, dict) and bench:
        parts.append(
            f"Eval-P ({bench['pairs']} pairs): agreement {_pct(bench['agreement'])} vs longer-wins "
            f"{_pct(bench['longer_wins_agreement'])}, consistency {_pct(bench['consistency'])}, "
            f"{name_of('response_1_share')} {_pct(bench['response_1_share'])}, prefers longer "
            f"{_pct(bench['judge_prefers_longer'])} vs humans {_pct(bench['human_prefers_longer'])}"
        )
    figures = data.get("catalog")
    if isinstance(figures, list) and figures:
        parts.append(
            "published: " + ", ".join(f"{f['benchmark']} {f['metric']} {f['value']}" for f in figures)
        )
    return "; ".join(parts)


@app.command()
@judge_options(keep=("both_orders",))
def evaluate(
    outputs: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="OUTPUTS...",
            help="model outputs: alpaca_eval JSON (.json.gz too) or any table; with --benchmark also "
            "Arena-Hard and FastChat model_answer files",
        ),
    ] = None,
    benchmark: Annotated[
        str | None,
        typer.Option(
            "--benchmark",
            "-b",
            help="judge on a benchmark (alpaca_eval, arena-hard, mt-bench, autoj-eval) or a FILE of "
            "instructions, its authors' way",
            show_default="none",
        ),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            help="with --benchmark: a model under test (backend spec, repeatable) that first answers "
            "the instructions (see `autoj generate`)",
            show_default="none",
        ),
    ] = None,
    name: Annotated[
        list[str] | None,
        typer.Option(
            "--name",
            help="a model's name (repeatable): for the --model specs, then the OUTPUTS files, in order; "
            "for files whose generator names collide",
            show_default="the generator's",
        ),
    ] = None,
    outputs_dir: Annotated[
        Path | None,
        typer.Option(help="where --model answers are kept (resumed)", show_default="RESULTS-outputs/"),
    ] = None,
    system_prompt: Annotated[
        str | None, typer.Option(help="--model: a system message before every instruction")
    ] = None,
    model_max_new_tokens: Annotated[
        int, typer.Option(min=1, help="--model: most new tokens per answer")
    ] = DEFAULT_PARAMS.max_new_tokens,
    model_option: Annotated[
        list[str] | None,
        typer.Option(help="--model: KEY=VALUE for the models' backends, repeatable", show_default="none"),
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option(
            "--reference",
            "-r",
            help="the reference model's outputs (pairwise mode): a file, or a registered model's name "
            "(gpt4_1106_preview, ...; see autoj.data.benchmarks.reference_names)",
        ),
    ] = None,
    annotations: Annotated[
        bool,
        typer.Option(
            "--annotations", help="the files are alpaca_eval annotations made elsewhere: score them"
        ),
    ] = False,
    name_from: Annotated[
        NameFrom,
        typer.Option(help="annotations: name models by generator_2 or by file name (NAME.ANNOTATOR.json)"),
    ] = NameFrom.generator,
    mode: Annotated[
        Mode, typer.Option(help="pairwise against the reference, or rate each output alone")
    ] = Mode.pairwise,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="results JSONL (all models; resumed when it exists)")
    ] = Path("evaluate-results.jsonl"),
    leaderboard: Annotated[
        Path | None,
        typer.Option("--leaderboard", help="a board CSV to add these rows to (or update them in)"),
    ] = None,
    allow_mixed: Annotated[
        bool, typer.Option("--allow-mixed", help="let the board hold rows of other judges or references")
    ] = False,
    intersection: Annotated[
        bool,
        typer.Option("--intersection", help="judge the instructions all files share, despite mismatches"),
    ] = False,
    limit: LimitOpt = None,
    seed: Annotated[
        int, typer.Option(help="seed of the --limit sample, the bootstraps and the p-values")
    ] = 0,
    paired: Annotated[
        bool,
        typer.Option(
            "--paired",
            help="compare every pair of models on their shared instructions (difference, 95% CI, p-value)",
        ),
    ] = False,
    ranking: Annotated[
        bool, typer.Option("--ranking/--no-ranking", help="Bradley-Terry scores with intervals on every row")
    ] = True,
    bootstrap_rounds: Annotated[int, typer.Option(min=10, help="bootstrap rounds of the ranking")] = 100,
    instruction_field: Annotated[str, typer.Option(help="field of the instruction")] = "instruction",
    output_field: Annotated[str, typer.Option(help="field of the model's output")] = "output",
    generator_field: Annotated[str, typer.Option(help="field naming the model")] = "generator",
    id_field: Annotated[
        str | None, typer.Option(help="join on this id field instead of the instruction text")
    ] = None,
    scenario_field: Annotated[
        str, typer.Option(help="field of the scenario, when the data has one")
    ] = "scenario",
    classify: Annotated[
        bool, typer.Option("--scenarios/--no-scenarios", help="classify instructions without a scenario")
    ] = True,
    group_by: Annotated[
        str | None,
        typer.Option(
            "--group-by",
            help="group win rates by this field's raw values (your own category column) instead of "
            "Auto-J's 8 scenario groups",
        ),
    ] = None,
    instruction_difficulty: Annotated[
        str,
        typer.Option(
            help="LC difficulty term: auto, hub, shipped (AlpacaEval 2's, made from its 20 public models), "
            "estimate, none, or a CSV "
            "(index or instruction, instruction_difficulty)",
            show_default="auto for annotations, estimate for judged runs",
        ),
    ] = "",
    gamed_annotations: Annotated[
        str | None,
        typer.Option(
            help="LC regularisation rows: AlpacaEval's df_gamed.csv, hub, or none (default: synthetic)"
        ),
    ] = None,
    judge_bench: Annotated[
        Path | None,
        typer.Option(help="the judge's `autoj bench pairwise` results: show its Eval-P agreement and biases"),
    ] = None,
    human_labels: Annotated[
        Path | None,
        typer.Option(
            help="people's labels of some judged pairs (fields id and label; ids as in the results file, "
            "A = the reference's output, B = the model's): each model's win rate as people would "
            "decide it, with a 95% interval (as `autoj calibrate`)"
        ),
    ] = None,
    *,
    config: JudgeConfig,
    both_orders: bool | None,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Win rates of models against a reference's outputs (both orders, ties half a win), the
    length-controlled win rate and a scenario profile; a benchmark's own board for models under
    test (--benchmark, --model) or their answer files; or score alpaca_eval annotations."""
    inputs = [*(outputs or []), *([reference] if reference else [])]
    if paired and mode is Mode.rate and not annotations:
        raise typer.BadParameter(
            "pairs compare pairwise judgments; a --mode rate run has none", param_hint="--paired"
        )
    if leaderboard is not None:
        _check_board(leaderboard, inputs)
        if not annotations:
            check_distinct({"-o": output, "--leaderboard": leaderboard})
    summary: dict[str, object] = {}
    groups: dict[str, list[Comparison]] = {}
    if group_by is not None:
        scenario_field, classify = group_by, False  # the user's column, as it is
    calibrated: list[Calibration] = []
    if human_labels is not None and (annotations or mode is not Mode.pairwise):
        raise AutojError(
            "--human-labels calibrates pairwise judging runs: not with --annotations or --mode rate"
        )
    if benchmark is None and (model or outputs_dir or system_prompt):
        raise AutojError("--model (and its options) need --benchmark NAME|FILE: the instructions to answer")
    if benchmark is not None:
        from autoj.cli.evaluate_models import evaluate_on_benchmark
        from autoj.evaluate.run import comparisons_of

        if annotations or group_by is not None or human_labels is not None:
            raise AutojError(
                "--benchmark scores its own way: it takes no --annotations, --group-by or --human-labels"
            )
        run = evaluate_on_benchmark(
            benchmark,
            model or [],
            outputs or [],
            name or [],
            config,
            output,
            reference=str(reference) if reference else None,
            both_orders=both_orders,
            outputs_dir=outputs_dir,
            limit=limit,
            system_prompt=system_prompt,
            max_new_tokens=model_max_new_tokens,
            model_options=model_option or [],
            overwrite=overwrite,
            classify=classify,
            bench=judge_bench,
            quiet=as_json,
        )
        rows, summary = run.rows, run.summary
        if summary.get("scoring") == "winrate":
            groups = comparisons_of(run.results)
    elif annotations:
        rows, groups = _score_annotations(
            outputs,
            reference,
            name_from,
            difficulty=instruction_difficulty or "auto",
            gamed=gamed_annotations,
            classify=classify,
            group_field=group_by,
        )
    else:
        if both_orders is None and mode is Mode.pairwise:
            config = config.with_changes(both_orders=True)  # pairwise evaluation: both orders
        check_output(output, [*inputs, *([leaderboard] if leaderboard else [])])
        run = _judge_outputs(
            outputs,
            reference,
            config,
            output,
            mode,
            OutputFields(instruction_field, output_field, generator_field, id_field, scenario_field),
            limit=limit,
            seed=seed,
            intersection=intersection,
            overwrite=overwrite,
            difficulty=instruction_difficulty or "estimate",
            gamed=gamed_annotations,
            classify=classify,
            bench=judge_bench,
            group_field=group_by,
            names=name or [],
        )
        rows, summary = run.rows, run.summary
        if human_labels is not None:
            from autoj.io.labels import LabelMap
            from autoj.trust.calibration import calibrate_file

            calibrated = calibrate_file(output, human_labels, LabelMap())
        if mode is Mode.pairwise:
            from autoj.evaluate.run import comparisons_of

            groups = comparisons_of(run.results)
    with figure_memo(config.cache) as memo:
        decided = decide(
            groups, rows, paired=paired, ranking=ranking, rounds=bootstrap_rounds, seed=seed, memo=memo
        )
    board = update_board(leaderboard, rows, allow_mixed=allow_mixed) if leaderboard is not None else rows
    if as_json:
        document = {"leaderboard": [r.to_dict() for r in board], "run": summary, **decided.to_json()}
        if calibrated:
            from autoj.cli.calibrate_cmds import calibration_json

            document["calibrated"] = calibration_json(calibrated)
        typer.echo(json.dumps(document, indent=2, default=str))
    else:
        _show(board, rows, summary, leaderboard)
        show_decisions(decided, rows)
        if calibrated:
            from autoj.cli.calibrate_cmds import calibration_table
            from autoj.trust.calibration import LEVEL

            err_console.print(calibration_table(calibrated, LEVEL))


def _check_board(board: Path, inputs: list[Path]) -> None:
    """A board is a CSV that is none of the inputs."""
    if board.suffix.lower() != ".csv":
        raise AutojError(f"--leaderboard {board}: a board is a .csv file; name one")
    check_output(board, inputs, flag="--leaderboard")  # never over an input


def _score_annotations(
    files: list[Path] | None,
    reference: Path | None,
    name_from: NameFrom,
    *,
    difficulty: str,
    gamed: str | None,
    classify: bool,
    group_field: str | None,
) -> tuple[list[LeaderboardRow], dict[str, list[Comparison]]]:
    """Annotations mode: score judgments made elsewhere, one row per model."""
    from autoj.evaluate import annotations as scoring

    if not files or reference:
        raise AutojError(
            "--annotations FILE... scores judgments made elsewhere: give the files, no --reference"
        )
    groups = scoring.load_annotation_groups(
        files, name_from=name_from.value, group_field=group_field or "scenario"
    )
    rows = scoring.score_groups(
        groups, difficulty=difficulty, gamed=gamed, classify=classify, group_field=group_field
    )
    return rows, groups


def _judge_outputs(
    files: list[Path] | None,
    reference: Path | None,
    config: JudgeConfig,
    output: Path,
    mode: Mode,
    fields: OutputFields,
    *,
    limit: int | None,
    seed: int,
    intersection: bool,
    overwrite: bool,
    difficulty: str,
    gamed: str | None,
    classify: bool,
    bench: Path | None,
    group_field: str | None,
    names: list[str],
) -> EvaluationRun:
    """Judging mode: load every model's outputs (and the reference's) and judge them; `names`
    rename the files' models in order (for generators whose names collide)."""
    from autoj.data.benchmarks import reference_file
    from autoj.evaluate.outputs import load_outputs
    from autoj.evaluate.run import evaluate_outputs

    if not files:
        raise AutojError("give model OUTPUTS files (and --reference), or --annotations FILE...")
    if mode is Mode.pairwise and reference is None:
        raise AutojError(
            "pairwise evaluation needs --reference REF (the baseline's outputs), or use --mode rate"
        )
    if len(names) > len(files):
        raise AutojError(f"--name given {len(names)} times for {len(files)} OUTPUTS files: one name per file")
    models = [load_outputs(path, fields) for path in files]
    models = [replace(m, model=n) for m, n in zip(models, names, strict=False)] + models[len(names) :]
    called = [m.model for m in models]
    if len(set(called)) != len(called):
        raise AutojError(
            f"two OUTPUTS files name the same model ({', '.join(called)}): give each model once, or "
            "name them apart with --name NAME per file"
        )
    base = load_outputs(reference_file(reference), fields) if reference is not None else None
    return evaluate_outputs(
        models,
        config,
        output,
        reference=base,
        mode=mode.value,
        limit=limit,
        seed=seed,
        intersection=intersection,
        overwrite=overwrite,
        difficulty=difficulty,
        gamed=gamed,
        classify=classify,
        bench=bench,
        group_field=group_field,
    )


def _show(
    board: list[LeaderboardRow], rows: list[LeaderboardRow], summary: dict[str, object], path: Path | None
) -> None:
    """The board as tables on stdout; the judge's reliability, warnings and run figures on stderr."""
    console = Console(width=max(Console().width, 140))
    title = f"leaderboard{f' ({path})' if path else ''}: judge {board[0].judge}"
    if board[0].reference:
        title += f", reference {board[0].reference}"
    console.print(_table(board, title))
    groups_table = _groups_table(board)
    if groups_table is not None:
        console.print(groups_table)
    if rows and rows[0].reliability:
        err_console.print(_reliability_line(rows[0].reliability))
    warnings = summary.get("warnings")
    for warning in warnings if isinstance(warnings, list) else []:
        err_console.print(f"[bold red]warning:[/] {warning}")
    if rows and rows[0].lc_method:
        err_console.print(f"length control: {rows[0].lc_method}")
    if summary:
        err_console.print(
            f"{summary['items']} items ({summary['already_done']} already done), {summary['generations']} "
            f"generations in {summary['wall_s']} s ({summary['judgments_per_min']} judgments/min); "
            f"results in {summary['results']}"
        )
