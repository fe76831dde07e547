"""`autoj bench ...`: measure a judge on Eval-P, Eval-C, ratings and system ranking."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import RenderableType

from autoj.cli.judge_cmds import usable_items
from autoj.cli.main import app
from autoj.cli.options import (
    DEFAULT_FIELDS,
    OPTIONAL_JUDGE,
    JsonOpt,
    LabelConventionOpt,
    LabelResponse1Opt,
    LabelResponse2Opt,
    LabelTieOpt,
    Language,
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
from autoj.io.terminal import Console
from autoj.judges.config import JudgeConfig
from autoj.run.judge import Judge
from autoj.types import SingleItem

bench = typer.Typer(
    help="Benchmark a judge the way the Auto-J paper does, on released data or your own labels.",
    no_args_is_help=True,
)
app.add_typer(bench, name="bench")


def _emit(as_json: bool, payload: dict[str, Any], renderable: RenderableType) -> None:
    """Print the JSON summary or the rich tables."""
    if as_json:
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    else:
        Console().print(renderable)


@bench.command("pairwise")
@judge_options(without=("both_orders",), judge=OPTIONAL_JUDGE, keep=("language",))
def pairwise_cmd(
    predictions: Path | None = typer.Option(
        None, help="score predictions made elsewhere (original order; 0/1/2, A/B/tie, null)"
    ),
    swapped_predictions: Path | None = typer.Option(
        None, help="the same judge's predictions with the responses swapped (swapped frame)"
    ),
    prediction_field: str = typer.Option("output", help="field holding a prediction"),
    data: Path | None = typer.Option(None, help="labelled pairs (default: Eval-P in --language)"),
    *,
    config: JudgeConfig | None,
    language: Language | None,
    output: OutputOpt = Path("bench-pairwise.jsonl"),
    overwrite: OverwriteOpt = False,
    limit: LimitOpt = None,
    per_scenario: int | None = typer.Option(None, min=0, help="at most N pairs per scenario (seeded)"),
    seed: int = typer.Option(0, help="seed of the sample and the bootstrap"),
    query_field: str = typer.Option("prompt", help="input field of the query"),
    response_1_field: str = typer.Option("response 1", help="input field of response 1"),
    response_2_field: str = typer.Option("response 2", help="input field of response 2"),
    label_field: str = typer.Option("label", help="input field of the human label"),
    scenario_field: str = typer.Option("scenario", help="input field of the scenario"),
    id_field: str = typer.Option("id", help="input field of the item id"),
    label_convention: LabelConventionOpt = None,
    label_response_1: LabelResponse1Opt = None,
    label_response_2: LabelResponse2Opt = None,
    label_tie: LabelTieOpt = None,
    scenarios: bool = typer.Option(False, help="also print the per-scenario table"),
    as_json: JsonOpt = False,
) -> None:
    """Agreement with human labels in both orders, beside the longer-response-wins baseline.

    --limit draws a seeded sample spread over scenarios.
    """
    from autoj.bench.data import load_eval_p, load_pairs, load_predictions
    from autoj.bench.pairwise import bench_pairwise, score_predictions
    from autoj.bench.render import pairwise_tables

    labels = LabelMap.from_options(
        label_convention.value if label_convention else None, label_response_1, label_response_2, label_tie
    )
    if data is None:
        items = load_eval_p(config.language if config else (language or Language.en).value)
    else:
        fields = FieldMap(
            query=query_field,
            response_1=response_1_field,
            response_2=response_2_field,
            id=id_field,
            scenario=scenario_field,
            label=label_field,
        )
        items = load_pairs(data, fields, labels)
    if predictions is not None or swapped_predictions is not None:
        if predictions is None or swapped_predictions is None:
            raise AutojError("give both --predictions and --swapped-predictions")
        if config is not None:
            raise AutojError("--judge runs a judge; --predictions scores given ones: pick one")
        report = score_predictions(
            items,
            load_predictions(predictions, prediction_field, labels.explicit),
            load_predictions(swapped_predictions, prediction_field, labels.explicit),
            seed=seed,
            meta={"judge": f"predictions {predictions.name}", "items": len(items)},
        )
    else:
        if config is None:
            raise AutojError("give --judge to run a judge, or --predictions to score some")
        report = bench_pairwise(
            items,
            config,
            _output(output, [data]),
            limit=limit,
            per_scenario=per_scenario,
            seed=seed,
            overwrite=overwrite,
        )
    _emit(as_json, report.to_dict(), pairwise_tables(report, scenarios))


@bench.command("critique")
@judge_options(without=("protocol", "both_orders"), judge=OPTIONAL_JUDGE)
def critique_cmd(
    *,
    config: JudgeConfig | None,
    comparison: Path | None = typer.Option(
        None, help="a released-format comparison file (first line A:/B:/C:, meta.exchange)"
    ),
    critic_a: str = typer.Option("autoj", help="autoj, chatgpt (released) or a judge"),
    critic_b: str = typer.Option("chatgpt", help="autoj, chatgpt (released) or a judge"),
    data: Path | None = typer.Option(None, help="a data directory holding Eval-C"),
    output: OutputOpt = Path("bench-critique.jsonl"),
    overwrite: OverwriteOpt = False,
    limit: LimitOpt = None,
    per_scenario: int | None = typer.Option(None, min=0, help="at most N items per scenario (seeded)"),
    seed: int = typer.Option(0, help="seed of the sample"),
    as_json: JsonOpt = False,
) -> None:
    """Which critic's critiques a judge prefers on Eval-C: win / tie / lose per group.

    Without --judge, scores GPT-4's released comparison; --limit draws a seeded sample.
    """
    from autoj.bench.critique import bench_critique, load_eval_c, released_gpt4_report
    from autoj.bench.render import win_tie_lose_table

    if config is None:
        report = released_gpt4_report(comparison)
    else:
        report = bench_critique(
            load_eval_c(config.language, data),
            config,
            _output(output),
            critic_a=critic_a,
            critic_b=critic_b,
            limit=limit,
            per_scenario=per_scenario,
            seed=seed,
            overwrite=overwrite,
        )
    title = f"{report.critic_a} vs {report.critic_b}, judged by {report.meta.get('judge')}"
    _emit(as_json, report.to_dict(), win_tie_lose_table(title, report.overall, report.groups))


@bench.command("ratings")
@judge_options(without=("both_orders",))
def ratings_cmd(
    data: Path = typer.Option(..., help="query + response + reference score per line"),
    *,
    config: JudgeConfig,
    query_field: str = typer.Option("prompt", help="input field of the query"),
    response_field: str = typer.Option("response", help="input field of the response"),
    reference_field: str = typer.Option("score", help="field holding the reference score"),
    scenario_field: str = typer.Option("scenario", help="input field of the scenario"),
    id_field: str = typer.Option("id", help="input field of the item id"),
    reference_answer_field: ReferenceAnswerFieldOpt = DEFAULT_FIELDS.reference_answer,
    rubric_field: RubricFieldOpt = DEFAULT_FIELDS.rubric,
    rubric: RubricOpt = None,
    output: OutputOpt = Path("bench-ratings.jsonl"),
    overwrite: OverwriteOpt = False,
    limit: LimitOpt = None,
    per_scenario: int | None = typer.Option(None, min=0, help="at most N items per scenario (seeded)"),
    seed: int = typer.Option(0, help="seed of the sample"),
    as_json: JsonOpt = False,
) -> None:
    """Pearson / Spearman / Kendall of the judge's ratings with reference scores; Best-of-N.

    --limit draws a seeded sample spread over scenarios.
    """
    from rich.console import Group

    from autoj.bench.ratings import bench_ratings
    from autoj.bench.render import best_of_n_table, correlation_table

    fields = FieldMap(
        query=query_field,
        response=response_field,
        reference_score=reference_field,
        scenario=scenario_field,
        id=id_field,
        reference_answer=reference_answer_field,
        rubric=rubric_field,
    )
    target = _output(output, [data])
    judge = Judge(config)
    items, _ = checked_items(data, "single", fields)
    usable = usable_items(items, judge.protocol, data, fields, rubric)
    singles = [i for i in usable if isinstance(i, SingleItem)]
    report = bench_ratings(
        singles,
        judge,
        target,
        limit=limit,
        per_scenario=per_scenario,
        seed=seed,
        overwrite=overwrite,
    )
    tables = Group(
        correlation_table(
            f"Ratings by {report.meta['judge']} vs {reference_field} "
            f"({report.parse_failures} parse failures)",
            {"all items": report.correlations},
        ),
        best_of_n_table(report.best_of_n),
    )
    _emit(as_json, report.to_dict(), tables)


@bench.command("ranking")
@judge_options(without=("both_orders",))
def ranking_cmd(
    *,
    config: JudgeConfig,
    reference: str = typer.Option(
        "alpacaeval-1", help="systems to rate: alpacaeval-1 (26), arena-elo (38) or both"
    ),
    instructions: int = typer.Option(10, min=1, help="AlpacaEval instructions per system (seeded)"),
    output: OutputOpt = Path("bench-ranking.jsonl"),
    overwrite: OverwriteOpt = False,
    seed: int = typer.Option(0, help="seed of the instruction sample"),
    as_json: JsonOpt = False,
) -> None:
    """Correlate systems' mean ratings with AlpacaEval 1 win rates and Chatbot Arena Elo.

    Every system is rated on the same --instructions (a sample size per system, not --limit:
    the correlation needs each system on the same instructions).
    """
    from autoj.bench.ranking import bench_ranking
    from autoj.bench.render import correlation_table

    report = bench_ranking(
        config,
        _output(output),
        reference=reference,
        instructions=instructions,
        seed=seed,
        overwrite=overwrite,
    )
    title = (
        f"System ranking by {report.meta['judge']}: {report.meta['systems']} systems x "
        f"{report.meta['instructions']} instructions, {report.meta['elapsed_s']} s"
    )
    _emit(as_json, report.to_dict(), correlation_table(title, report.correlations))


def _output(output: Path | None, inputs: list[Path | None] | None = None) -> Path:
    """The per-item results file, checked: a regular file or a new path, and none of `inputs`."""
    if output is None:
        raise AutojError("name the per-item results file with -o OUT.jsonl")
    return check_output(output, [path for path in inputs or [] if path is not None])


@bench.command("classifier")
def classifier_cmd(
    data: Path | None = typer.Option(
        None, help="labelled queries (category, instruction, input); default: the authors' test set"
    ),
    kind: str = typer.Option("encoder", help="shipped model: `encoder` or `tfidf`"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    """Score a shipped scenario classifier: accuracy and macro-F1, overall and per group."""
    from rich.table import Table

    from autoj.scenarios import Classifier, evaluate_classifier

    report = evaluate_classifier(data, Classifier(kind=kind).predict)
    table = Table(
        "group",
        "n",
        "accuracy",
        "macro-F1",
        title=f"Scenario classifier, {kind} ({report.overall.n} queries, {report.seconds:.2f} s; "
        "the authors' 13B: 72.55 / 74.12)",
    )
    for name, scores in [*report.groups.items(), ("overall", report.overall)]:
        table.add_row(name, str(scores.n), f"{scores.accuracy:.2f}", f"{scores.macro_f1:.2f}")
    _emit(as_json, report.to_dict(), table)
