"""`autoj report`: an HTML report from results files (needs the `report` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from autoj.cli.main import app
from autoj.outputs import check_page_output


@app.command()
def report(
    results: Annotated[
        list[Path], typer.Argument(metavar="RESULTS...", help="results JSONL files, one per judge")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="the HTML file to write")] = Path(
        "report.html"
    ),
    title: Annotated[str, typer.Option(help="page title")] = "autoj report",
) -> None:
    """A self-contained HTML report with plots and an item browser; several files compare judges."""
    from autoj.report import load_runs, render

    check_page_output(output, results)  # never over a results file (or any input)
    runs = load_runs(results)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(runs, title), encoding="utf-8")
    typer.echo(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB, {sum(r.items for r in runs)} items)")
