"""`autoj cache stats` and `autoj cache clear`: look at and empty the judgment cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from autoj.cli.main import app
from autoj.errors import AutojError
from autoj.io.outputs import is_sqlite
from autoj.io.terminal import Console
from autoj.run.cache import ENV_VAR, JudgmentCache, default_cache_path

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
    """How many generations the cache holds, per model, and its size on disk; checks the file.

    SQLite's integrity check runs first: a damaged file is reported (exit 1) with what is wrong,
    and runs would carry on without it.
    """
    with JudgmentCache(path or default_cache_path(), quiet=True) as cache:
        health = cache.check()
        if not health.ok:
            typer.secho(
                f"error: the judgment cache {health.path} is damaged ({health.detail}): runs carry "
                "on without it; `autoj cache clear` starts a new one",
                fg=typer.colors.RED,
                err=True,
            )
            raise typer.Exit(1)
        figures = cache.stats()
    if as_json:
        console.print_json(json.dumps({**figures.to_dict(), "integrity": health.detail}))
        return
    console.print(
        f"{figures.path}: {figures.entries} generations, {figures.size_bytes / 1e6:.1f} MB, integrity ok"
    )
    if figures.by_model:
        table = Table("backend:model", "generations")
        for model, count in figures.by_model.items():
            table.add_row(model, str(count))
        console.print(table)


# Names a damaged cache file may have: only such a file, or one SQLite's header marks, is deleted.
_CACHE_SUFFIXES = (".sqlite", ".sqlite3", ".db")


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
    try:
        with JudgmentCache(target, strict=True) as cache:
            deleted = cache.clear(model)
    except AutojError:
        if model is not None or not target.exists():
            raise
        if target.stat().st_size and not is_sqlite(target) and target.suffix.lower() not in _CACHE_SUFFIXES:
            # a file of records named as the cache by mistake (AUTOJ_CACHE=data.jsonl): never deleted
            raise AutojError(
                f"{target} is not a judgment cache (not an SQLite database, nor named like one): it "
                f"was left as it is; point --path or ${ENV_VAR} at the cache file"
            ) from None
        # A damaged file cannot be emptied by SQL; clearing everything means starting a new one.
        for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
        console.print(f"removed the damaged cache file {target}; the next run starts a new one")
        return
    console.print(f"deleted {deleted} generations from {target}")
