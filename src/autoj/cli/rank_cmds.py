"""`autoj rank`: order N candidate responses per query, with the evidence for the order.

The judgments (every pair in both orders, or every candidate's rating) stream to a resumable
results file next to the output (`OUT` -> `OUT.judgments.jsonl`, or `--judgments`), with the run's
judge setup recorded like any `compare` run; the rankings are then built from it into OUT, one line
per query. Re-running resumes the judgments and rebuilds the rankings.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from autoj.cli.main import app
from autoj.cli.options import (
    JsonOpt,
    LimitOpt,
    OutputOpt,
    OverwriteOpt,
    judge_options,
)
from autoj.errors import AutojError, InputError, RunFailure
from autoj.io.outputs import check_output, replace_file
from autoj.io.rank_queries import RankFields, RankQuery, load_rank_queries
from autoj.io.results import Result, read_results
from autoj.io.terminal import Console
from autoj.judges.config import JudgeConfig
from autoj.run.judge import Judge
from autoj.run.ranking import Method, Ranking, pairs_of, rank_items, ranking_of
from autoj.run.runner import RunSummary, run_to_file
from autoj.types import Item

console = Console()
err_console = Console(stderr=True)

#: Rankings shown on the terminal; the rest are in the output file.
SHOWN = 20


class RankMethod(str, Enum):
    pairwise = "pairwise"
    rate = "rate"


def judgments_path(output: Path) -> Path:
    """Where the judgments behind `output`'s rankings go by default."""
    name = output.name
    stem = name[: -len(".jsonl")] if name.endswith(".jsonl") else name
    return output.with_name(f"{stem}.judgments.jsonl")


def _item_prefix(query: RankQuery) -> str:
    return f"{query.id}/"


def _evidence(ranked: Ranking) -> list[dict[str, Any]]:
    """Per judged item: what the judge said, in short (the full text is in the judgments file)."""
    if ranked.method == "rate":
        return [
            {"candidate": k, "id": r.id, "status": r.status, "rating": r.rating}
            for k, r in enumerate(ranked.results)
        ]
    rows = []
    for (i, j), result in zip(pairs_of(len(ranked.scores)), ranked.results, strict=True):
        mapped_back = result.swapped_verdict
        rows.append(
            {
                "pair": [i, j],
                "id": result.id,
                "outcome": ranked.matrix[i][j] if ranked.matrix else None,
                "verdict": result.judgment.verdict.value if result.judgment.verdict else None,
                "swapped_verdict_mapped_back": mapped_back.value if mapped_back else None,
                "status": result.status,
            }
        )
    return rows


def ranking_record(query: RankQuery, ranked: Ranking, judge: Judge) -> dict[str, Any]:
    """One output line: the order (indices and names), scores, and the evidence."""
    data = ranked.to_dict()
    return {
        "id": query.id,
        "query": query.query,
        "candidates": list(query.names),
        **data,
        "ranked": [query.names[k] for k in ranked.order],
        "best_name": None if ranked.best is None else query.names[ranked.best],
        "evidence": _evidence(ranked),
        "judge": judge.spec,
        "protocol": judge.protocol.id,
    }


def _write_rankings(path: Path, records: list[dict[str, Any]]) -> None:
    """Replace `path` by the rankings in one step, so a reader never sees half a file."""
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    replace_file(path, lambda out: out.write(text))


def _first_record(path: Path) -> tuple[int, Any] | None:
    """The first non-blank line of an existing file, decoded (None when there is none)."""
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                try:
                    return number, json.loads(raw)
                except (UnicodeDecodeError, json.JSONDecodeError):
                    return number, None
    return None


def _check_rankings_output(output: Path) -> None:
    """-o is replaced on every run: only a rankings file (or an empty or new one) may be."""
    first = _first_record(output)
    if first is not None and not (isinstance(first[1], dict) and {"ranking", "evidence"} <= first[1].keys()):
        raise AutojError(
            f"-o {output}:{first[0]} is not a rankings file (rank replaces its -o whole): refusing to "
            "replace it; choose another -o"
        )


def _check_judgments_file(judgments: Path, queries: list[RankQuery]) -> None:
    """The judgments file holds this ranking's judgments only (ids `QUERY/...`), never another
    run's results that happen to sit under its name."""
    if not judgments.is_file():
        return
    prefixes = {_item_prefix(q) for q in queries}
    for result in read_results(judgments):
        head, slash, _ = result.id.rpartition("/")
        if not slash or f"{head}/" not in prefixes:
            raise AutojError(
                f"--judgments {judgments} holds results that are not this ranking's (id {result.id!r}): "
                "name another file with --judgments"
            )


def _results_for(path: Path, ids: set[str]) -> dict[str, Result]:
    """The first result of each wanted id in the judgments file."""
    found: dict[str, Result] = {}
    for result in read_results(path):
        if result.id in ids and result.id not in found:
            found[result.id] = result
    return found


def _show(records: list[dict[str, Any]], summary: RunSummary, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps({"rankings": records, "judgments": summary.to_dict()}))
        return
    table = Table("id", "ranking, best first (score)", "failed")
    for record in records[:SHOWN]:
        scores = record["scores"]
        order = " > ".join(
            f"{record['candidates'][k]} ({'-' if scores[k] is None else f'{scores[k]:g}'})"
            for k in record["ranking"]
        )
        table.add_row(escape(record["id"]), escape(order), str(record["failed"]))
    console.print(table)
    if len(records) > SHOWN:
        console.print(f"... and {len(records) - SHOWN} more")
    err_console.print(
        f"{len(records)} queries ranked; {summary.judged} judged now, {summary.already_done} already in "
        f"{summary.output}, in {summary.elapsed_s:.1f}s"
        + (f"; {summary.cache_hits} generations from the cache" if summary.cache_hits else ""),
        soft_wrap=True,
        highlight=False,
    )
    for warning in summary.tally.warnings:
        err_console.print(f"[bold red]WARNING: {escape(warning)}[/]", soft_wrap=True)
    if summary.backend_errors:
        reasons = "; ".join(f"{count} x {reason}" for reason, count in summary.failure_reasons.items())
        err_console.print(
            f"[bold red]{summary.backend_errors} judgment(s) failed[/] (run again to retry them): "
            + escape(reasons),
            soft_wrap=True,
        )


@app.command()
@judge_options(without=("both_orders",))
def rank(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help="one record per query: JSONL, JSON, CSV, TSV, Parquet")
    ],
    output: OutputOpt = None,
    method: Annotated[
        RankMethod,
        typer.Option(
            help="pairwise: every pair in both orders, a disagreement is a tie; rate: each candidate alone"
        ),
    ] = RankMethod.pairwise,
    judgments: Annotated[
        Path | None,
        typer.Option(
            help="results file of the judgments behind the rankings (resumable)",
            show_default="OUT.judgments.jsonl",
        ),
    ] = None,
    *,
    config: JudgeConfig,
    query_field: Annotated[str, typer.Option(help="input field of the query")] = "prompt",
    candidates_field: Annotated[
        str, typer.Option(help="input field of the list of candidates")
    ] = "candidates",
    candidate_text_field: Annotated[
        str, typer.Option(help="text field of a candidate given as an object")
    ] = "response",
    candidate_name_field: Annotated[
        str, typer.Option(help="name field of a candidate given as an object (default name: its index)")
    ] = "name",
    id_field: Annotated[str, typer.Option(help="input field of the query id")] = "id",
    overwrite: OverwriteOpt = False,
    limit: LimitOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Order N candidate responses per query, best first, with the evidence for the order.

    pairwise: every pair judged in both orders (a verdict that flips with the order is a tie); a
    candidate scores 1 per win and 1/2 per tie; equal scores keep the input order; the pair matrix
    is the evidence. rate: each candidate rated alone, best rating first (Best-of-N).
    """
    if output is None:
        raise AutojError("name an output file with -o OUT.jsonl (one ranking per query)")
    judgments = judgments or judgments_path(output)
    check_output(output, [input_path, judgments])
    check_output(judgments, [input_path, output], flag="--judgments")
    _check_rankings_output(output)
    fields = RankFields(
        query=query_field,
        candidates=candidates_field,
        id=id_field,
        text=candidate_text_field,
        name=candidate_name_field,
    )
    queries, problems = load_rank_queries(input_path, fields)
    if problems:
        raise InputError(problems, hint="nothing was judged; fix the records or map field names")
    if not overwrite:
        _check_judgments_file(judgments, queries)
    if limit is not None:
        queries = queries[:limit]
    chosen: Method = "pairwise" if method is RankMethod.pairwise else "rate"
    per_query = [rank_items(chosen, q.query, q.candidates, _item_prefix(q)) for q in queries]
    items: list[Item] = [item for group in per_query for item in group]
    with Judge(config) as j:
        summary = j.run(
            run_to_file(
                j.engine(both_orders=True), items, judgments, overwrite=overwrite, inputs=[input_path, output]
            )
        )
    results = _results_for(judgments, {item.id for item in items})
    records = []
    for query, group in zip(queries, per_query, strict=True):
        missing = [item.id for item in group if item.id not in results]
        if missing:
            raise RunFailure(f"{judgments} lacks judgments {missing[:3]} of query {query.id!r}: run again")
        ranked = ranking_of(chosen, len(query.candidates), [results[item.id] for item in group])
        records.append(ranking_record(query, ranked, j))
    _write_rankings(output, records)
    _show(records, summary, as_json)
    if not summary.complete:
        raise typer.Exit(1)
