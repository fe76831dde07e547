"""`autoj plan`: how many instructions a comparison needs, and the smallest gap a run detects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from autoj.cli.main import app
from autoj.cli.options import JsonOpt
from autoj.errors import AutojError
from autoj.io.terminal import Console
from autoj.stats.power import ALPHA, DEFAULT_SD, POWER, Spread, instructions_needed, smallest_gap

#: AlpacaEval's instruction count: the run size shown when none is given.
DEFAULT_INSTRUCTIONS = 805


@app.command()
def plan(
    difference: Annotated[
        list[float] | None,
        typer.Option("--difference", "-d", help="win-rate gap(s) to detect, in points (repeatable)"),
    ] = None,
    results: Annotated[
        list[Path] | None,
        typer.Option(
            "--from",
            help="results that show the paired spread: `autoj evaluate` results (.jsonl) or "
            "alpaca_eval annotation files (repeatable)",
        ),
    ] = None,
    instructions: Annotated[
        int | None,
        typer.Option(min=2, help="a run's size: the smallest gap it detects (default: the results' size)"),
    ] = None,
    sd: Annotated[
        float | None,
        typer.Option(min=0.01, help="the spread of per-instruction differences in points, if known"),
    ] = None,
    power_target: Annotated[float, typer.Option("--power", min=0.05, max=0.999)] = POWER,
    alpha: Annotated[float, typer.Option("--alpha", min=1e-6, max=0.5, help="two-sided level")] = ALPHA,
    as_json: JsonOpt = False,
) -> None:
    """Instructions needed to detect a win-rate gap between two models judged on the same
    instructions (paired test), from the spread a results file shows or a stated default."""
    gaps = difference or [2.0, 5.0]
    if any(g <= 0 for g in gaps):
        raise AutojError("--difference: a gap is a positive number of win-rate points, e.g. --difference 2")
    if sd is not None and results:
        raise AutojError("give --sd or --from, not both")
    run_size: int | None = None
    if sd is not None:
        spread = Spread(sd, "given with --sd")
    elif results:
        from autoj.evaluate.plan import load_comparisons, observed_spread

        spread, run_size = observed_spread(load_comparisons(results))
        spread = Spread(spread.sd, f"{spread.source}, from {', '.join(map(str, results))}")
    else:
        spread = Spread(
            DEFAULT_SD,
            "default: the median over the pairs of AlpacaEval 2's 20 public models (GPT-4 Turbo judge); "
            "pass --from RESULTS for your judge's",
        )
    size = instructions or run_size or DEFAULT_INSTRUCTIONS
    needed = [
        {"difference": g, "instructions": instructions_needed(g, spread.sd, power_target, alpha)}
        for g in gaps
    ]
    detectable = smallest_gap(size, spread.sd, power_target, alpha)
    if as_json:
        document = {
            "sd": spread.sd,
            "sd_source": spread.source,
            "power": power_target,
            "alpha": alpha,
            "needed": needed,
            "run_instructions": size,
            "smallest_detectable_gap": detectable,
        }
        typer.echo(json.dumps(document, indent=2))
        return
    console = Console(width=max(Console().width, 120))
    table = Table(title=f"instructions needed ({power_target:.0%} power, two-sided level {alpha:g}, paired)")
    table.add_column("win-rate gap (points)", justify="right")
    table.add_column("instructions", justify="right")
    for row in needed:
        table.add_row(f"{row['difference']:g}", str(row["instructions"]))
    console.print(table)
    console.print(
        f"with {size} instructions the smallest detectable gap is {detectable:.2f} points\n"
        f"spread of per-instruction differences: {spread.sd:.1f} points ({spread.source})"
    )
