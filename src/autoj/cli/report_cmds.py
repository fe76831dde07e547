"""`autoj report`: an HTML report from results files (needs the `report` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from autoj.cli.main import app
from autoj.io.outputs import check_page_output


@app.command()
def report(
    results: Annotated[
        list[Path],
        typer.Argument(
            metavar="RESULTS...",
            help="results JSONL files (one per judge), or `autoj evaluate` results / leaderboard CSVs",
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="the HTML file to write")] = Path(
        "report.html"
    ),
    title: Annotated[str, typer.Option(help="page title")] = "autoj report",
) -> None:
    """A self-contained HTML report with plots and an item browser: of judge results (several files
    compare judges), or of a model evaluation (`autoj evaluate` results and/or a leaderboard)."""
    from autoj.report import load_runs, render
    from autoj.report.evaluation import is_evaluation_input, load_evaluation
    from autoj.report.evaluation_page import render_evaluation

    check_page_output(output, results)  # never over a results file (or any input)
    if any(is_evaluation_input(path) for path in results):
        evaluation = load_evaluation(results)
        page, count = render_evaluation(evaluation, title), len(evaluation.results)
    else:
        runs = load_runs(results)
        page, count = render(runs, title), sum(r.items for r in runs)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page, encoding="utf-8")
    typer.echo(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB, {count} items)")
