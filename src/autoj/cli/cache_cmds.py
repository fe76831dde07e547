"""`autoj cache stats` and `autoj cache clear`: look at and empty the judgment cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from autoj.cache import JudgmentCache, default_cache_path
from autoj.cli.main import app

console = Console()
cache_app = typer.Typer(
    help="The judgment cache: finished generations reused by every run.", no_args_is_help=True
)
app.add_typer(cache_app, name="cache")

PathOpt = Annotated[
    Path | None, typer.Option("--path", help="cache file (default $AUTOJ_CACHE or ~/.cache/autoj)")
]


@cache_app.command()
def stats(
    path: PathOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as JSON")] = False,
) -> None:
    """How many generations the cache holds, per model, and its size on disk."""
    with JudgmentCache(path or default_cache_path()) as cache:
        figures = cache.stats()
    if as_json:
        console.print_json(json.dumps(figures.to_dict()))
        return
    console.print(f"{figures.path}: {figures.entries} generations, {figures.size_bytes / 1e6:.1f} MB")
    if figures.by_model:
        table = Table("backend:model", "generations")
        for model, count in figures.by_model.items():
            table.add_row(model, str(count))
        console.print(table)


@cache_app.command()
def clear(
    path: PathOpt = None,
    model: Annotated[str | None, typer.Option(help="only this model's entries (as in `stats`)")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False,
) -> None:
    """Delete cached generations (all of them, or one model's)."""
    target = path or default_cache_path()
    if not yes:
        what = f"{model}'s entries" if model else "every entry"
        typer.confirm(f"delete {what} in {target}?", abort=True)
    with JudgmentCache(target) as cache:
        deleted = cache.clear(model)
    console.print(f"deleted {deleted} generations from {target}")
