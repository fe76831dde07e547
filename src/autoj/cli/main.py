"""Entry point of the `autoj` command: assembles the subcommands and turns user errors into messages."""

from __future__ import annotations

import sys

import click
import typer

from autoj.errors import AutojError

app = typer.Typer(
    name="autoj",
    help="Generative LLM judges: compare two responses or critique and rate one.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    # Each subcommand module adds its commands to `app`; import order is the help order.
    from autoj.cli import (
        bench_cmds,  # noqa: F401
        cache_cmds,  # noqa: F401
        catalog_cmds,  # noqa: F401
        judge_cmds,  # noqa: F401
        pipeline_cmds,  # noqa: F401
        report_cmds,  # noqa: F401
        scenario_cmds,  # noqa: F401
        serve_cmds,  # noqa: F401
        train_cmds,  # noqa: F401
    )


def main() -> None:
    """Run the CLI; a user mistake prints one clear message and exits 2, never a stack trace."""
    _register()
    try:
        code = app(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except AutojError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(2)
    except typer.Abort:
        typer.secho("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.secho("interrupted: finished results are kept; run again to resume", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
