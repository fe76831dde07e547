"""`autoj export`: a results file as a flat CSV, for a spreadsheet or another tool."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from autoj.cli.main import app
from autoj.cli.options import OverwriteOpt
from autoj.errors import AutojError
from autoj.io.frames import results_frame
from autoj.io.outputs import check_output, replace_file

if TYPE_CHECKING:
    import pandas as pd


def _cell(value: Any) -> Any:
    """Lists and objects as JSON, so a spreadsheet cell reads back as what the results file held."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame (its columns in `results_frame`'s order) with every cell a scalar."""
    return frame.map(_cell)


@app.command()
def export(
    results: Annotated[Path, typer.Argument(metavar="RESULTS", help="a results file (.jsonl)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="the CSV file to write")],
    overwrite: OverwriteOpt = False,
) -> None:
    """Write a results file as a flat CSV, the columns of `autoj.results_frame`: id, model, scenario,
    verdict or rating, the swapped order's verdict, consistency, label, lengths, critique and texts
    first, then every other field (nested names joined with dots), provenance last."""
    check_output(output, [results])
    if output.exists() and not overwrite:
        raise AutojError(f"-o {output} exists: pass --overwrite to replace it, or name a new file")
    frame = results_frame(results)
    if frame.empty:
        raise AutojError(f"{results}: holds no results; nothing to export")
    table = export_frame(frame)

    def write(out: IO[bytes]) -> None:
        table.to_csv(out, index=False, encoding="utf-8")

    replace_file(output, write)
    typer.echo(f"{len(table)} results, {len(table.columns)} columns -> {output}")
