"""`autoj bench ...`: measure a judge on Eval-P, Eval-C, ratings and system ranking."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console, RenderableType

from autoj.cli.main import app
from autoj.errors import AutojError

bench = typer.Typer(
    help="Benchmark a judge the way the Auto-J paper does, on released data or your own labels.",
    no_args_is_help=True,
)
app.add_typer(bench, name="bench")

JUDGE_HELP = "judge spec: llamacpp, llamacpp:PATH.gguf, openai:MODEL@URL, vllm:MODEL, hf:MODEL, fake"


def _emit(as_json: bool, payload: dict[str, Any], renderable: RenderableType) -> None:
    """Print the JSON summary or the rich tables."""
    if as_json:
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    else:
        Console().print(renderable)


def _label_map(response_1: str | None, response_2: str | None, tie: str | None) -> dict[str, Any]:
    from autoj.types import Verdict

    mapping: dict[str, Any] = {}
    for spelling, verdict in (
        (response_1, Verdict.RESPONSE_1),
        (response_2, Verdict.RESPONSE_2),
        (tie, Verdict.TIE),
    ):
        if spelling is not None:
            mapping[spelling.strip().lower()] = verdict
    return mapping


@bench.command("pairwise")
def pairwise_cmd(
    predictions: Path | None = typer.Option(
        None, help="score predictions made elsewhere (original order; 0/1/2, A/B/tie, null)"
    ),
    swapped_predictions: Path | None = typer.Option(
        None, help="the same judge's predictions with the responses swapped (swapped frame)"
    ),
    prediction_field: str = typer.Option("output", help="field holding a prediction"),
    data: Path | None = typer.Option(None, help="labelled pairs (default: Eval-P from the dataset registry)"),
    language: str = typer.Option("en", help="Eval-P language when --data is not given: en, zh"),
    judge: str | None = typer.Option(None, help=JUDGE_HELP),
    protocol: str | None = typer.Option(None, help="judge protocol (default: by judge)"),
    output: Path = typer.Option(Path("bench-pairwise.jsonl"), help="per-item results (resumed)"),
    overwrite: bool = typer.Option(False, help="start the results file over"),
    limit: int | None = typer.Option(None, help="at most N pairs (seeded, spread over scenarios)"),
    per_scenario: int | None = typer.Option(None, help="at most N pairs per scenario (seeded)"),
    seed: int = typer.Option(0, help="seed of the sample and the bootstrap"),
    concurrency: int | None = typer.Option(None, help="items in flight"),
    max_new_tokens: int = typer.Option(1024, help="most new tokens per judgment"),
    query_field: str = typer.Option("prompt"),
    response_1_field: str = typer.Option("response 1"),
    response_2_field: str = typer.Option("response 2"),
    label_field: str = typer.Option("label"),
    scenario_field: str = typer.Option("scenario"),
    id_field: str = typer.Option("id"),
    label_response_1: str | None = typer.Option(None, help="label value meaning Response 1 wins"),
    label_response_2: str | None = typer.Option(None, help="label value meaning Response 2 wins"),
    label_tie: str | None = typer.Option(None, help="label value meaning a tie"),
    scenarios: bool = typer.Option(False, help="also print the per-scenario table"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    """Agreement with human labels in both orders, beside the longer-response-wins baseline."""
    from autoj.bench.data import load_eval_p, load_pairs, load_predictions
    from autoj.bench.pairwise import bench_pairwise, score_predictions
    from autoj.bench.render import pairwise_tables
    from autoj.inputs import FieldMap

    labels = _label_map(label_response_1, label_response_2, label_tie)
    if data is None:
        items = load_eval_p(language)
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
        if judge is not None:
            raise AutojError("--judge runs a judge; --predictions scores given ones: pick one")
        report = score_predictions(
            items,
            load_predictions(predictions, prediction_field, labels),
            load_predictions(swapped_predictions, prediction_field, labels),
            seed=seed,
            meta={"judge": f"predictions {predictions.name}", "items": len(items)},
        )
    else:
        if judge is None:
            raise AutojError("give --judge SPEC to run a judge, or --predictions to score some")
        report = bench_pairwise(
            items,
            judge,
            output,
            protocol=protocol,
            limit=limit,
            per_scenario=per_scenario,
            seed=seed,
            overwrite=overwrite,
            concurrency=concurrency,
            max_new_tokens=max_new_tokens,
        )
    _emit(as_json, report.to_dict(), pairwise_tables(report, scenarios))


@bench.command("critique")
def critique_cmd(
    judge: str | None = typer.Option(
        None,
        help=f"the comparing judge; without it, score GPT-4's released comparison. {JUDGE_HELP}",
    ),
    comparison: Path | None = typer.Option(
        None, help="a released-format comparison file (first line A:/B:/C:, meta.exchange)"
    ),
    critic_a: str = typer.Option("autoj", help="autoj, chatgpt (released) or a judge spec"),
    critic_b: str = typer.Option("chatgpt", help="autoj, chatgpt (released) or a judge spec"),
    language: str = typer.Option("en", help="Eval-C language: en, zh"),
    data: Path | None = typer.Option(None, help="a data directory holding Eval-C"),
    output: Path = typer.Option(Path("bench-critique.jsonl"), help="per-item results (resumed)"),
    overwrite: bool = typer.Option(False, help="start the results files over"),
    limit: int | None = typer.Option(None, help="at most N items (seeded, spread over scenarios)"),
    per_scenario: int | None = typer.Option(None, help="at most N items per scenario (seeded)"),
    seed: int = typer.Option(0, help="seed of the sample"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    """Which critic's critiques a judge prefers on Eval-C: win / tie / lose per group."""
    from autoj.bench.critique import bench_critique, load_eval_c, released_gpt4_report
    from autoj.bench.render import win_tie_lose_table

    if judge is None:
        report = released_gpt4_report(comparison)
    else:
        report = bench_critique(
            load_eval_c(language, data),
            judge,
            output,
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
def ratings_cmd(
    data: Path = typer.Option(..., help="query + response + reference score per line"),
    judge: str = typer.Option(..., help=JUDGE_HELP),
    protocol: str | None = typer.Option(None, help="judge protocol (default: by judge)"),
    query_field: str = typer.Option("prompt"),
    response_field: str = typer.Option("response"),
    reference_field: str = typer.Option("score", help="field holding the reference score"),
    scenario_field: str = typer.Option("scenario"),
    id_field: str = typer.Option("id"),
    output: Path = typer.Option(Path("bench-ratings.jsonl"), help="per-item results (resumed)"),
    overwrite: bool = typer.Option(False, help="start the results file over"),
    limit: int | None = typer.Option(None, help="at most N items (seeded, spread over scenarios)"),
    per_scenario: int | None = typer.Option(None, help="at most N items per scenario (seeded)"),
    seed: int = typer.Option(0, help="seed of the sample"),
    concurrency: int | None = typer.Option(None, help="items in flight"),
    max_new_tokens: int = typer.Option(1024, help="most new tokens per judgment"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    """Pearson / Spearman / Kendall of the judge's ratings with reference scores; Best-of-N."""
    from rich.console import Group

    from autoj.bench.ratings import bench_ratings
    from autoj.bench.render import best_of_n_table, correlation_table
    from autoj.inputs import FieldMap, checked_items
    from autoj.types import SingleItem

    fields = FieldMap(
        query=query_field,
        response=response_field,
        reference=reference_field,
        scenario=scenario_field,
        id=id_field,
    )
    items, _ = checked_items(data, "single", fields)
    singles = [i for i in items if isinstance(i, SingleItem)]
    report = bench_ratings(
        singles,
        judge,
        output,
        protocol=protocol,
        limit=limit,
        per_scenario=per_scenario,
        seed=seed,
        overwrite=overwrite,
        concurrency=concurrency,
        max_new_tokens=max_new_tokens,
    )
    tables = Group(
        correlation_table(
            f"Ratings by {judge} vs {reference_field} ({report.parse_failures} parse failures)",
            {"all items": report.correlations},
        ),
        best_of_n_table(report.best_of_n),
    )
    _emit(as_json, report.to_dict(), tables)


@bench.command("ranking")
def ranking_cmd(
    judge: str = typer.Option(..., help=JUDGE_HELP),
    reference: str = typer.Option(
        "alpacaeval-1", help="systems to rate: alpacaeval-1 (26), arena-elo (38) or both"
    ),
    instructions: int = typer.Option(10, help="AlpacaEval instructions per system (seeded)"),
    output: Path = typer.Option(Path("bench-ranking.jsonl"), help="per-item results (resumed)"),
    overwrite: bool = typer.Option(False, help="start the results file over"),
    seed: int = typer.Option(0, help="seed of the instruction sample"),
    concurrency: int | None = typer.Option(None, help="items in flight"),
    max_new_tokens: int = typer.Option(1024, help="most new tokens per judgment"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    """Correlate systems' mean ratings with AlpacaEval 1 win rates and Chatbot Arena Elo."""
    from autoj.bench.ranking import bench_ranking
    from autoj.bench.render import correlation_table

    report = bench_ranking(
        judge,
        output,
        reference=reference,
        instructions=instructions,
        seed=seed,
        overwrite=overwrite,
        concurrency=concurrency,
        max_new_tokens=max_new_tokens,
    )
    title = (
        f"System ranking by {judge}: {report.meta['systems']} systems x "
        f"{report.meta['instructions']} instructions, {report.meta['elapsed_s']} s"
    )
    _emit(as_json, report.to_dict(), correlation_table(title, report.correlations))


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
