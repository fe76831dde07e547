"""Entry point of the `autoj` command: assembles the subcommands and turns every user error into
one line (exit 2 for a usage mistake, 1 for a run that failed), never a stack trace.

Typer (from 0.29, pinned in pyproject) raises its own vendored click exceptions, not `click`'s,
so those are the ones caught here.
"""

from __future__ import annotations

import importlib
import sqlite3
import sys
from collections.abc import Sequence
from typing import Annotated, NoReturn

import typer
import typer.rich_utils
from typer._click.exceptions import NoArgsIsHelpError, UsageError

from autoj.backends.redaction import install_log_redaction, redact
from autoj.errors import AutojError
from autoj.io.readers import tsv_quotes
from autoj.io.terminal import output_width, terminal_safe
from autoj.version import __version__

app = typer.Typer(
    name="autoj",
    help="Generative LLM judges: compare two responses or critique and rate one.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"autoj {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", is_eager=True, callback=_show_version, help="print the version and exit"
        ),
    ] = False,
    quoted_tsv: Annotated[
        bool,
        typer.Option(
            "--tsv-quotes",
            help="read TSV inputs' double quotes as CSV does (a quoted field may hold tabs and line "
            'breaks, "" is one quote); without it a TSV\'s quotes are text. Given before the command: '
            "autoj --tsv-quotes compare ...",
        ),
    ] = False,
) -> None:
    """Generative LLM judges: compare two responses or critique and rate one."""
    if quoted_tsv:  # for every file the command reads, until it ends
        ctx.with_resource(tsv_quotes())


#: The modules that add each top-level command or group to `app`, in help order (the `judges`
#: group gets `diff` from a second module). tests/test_cli_registry.py checks it against the app.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "bench": ("bench_cmds",),
    "bias": ("bias_cmds",),
    "probe": ("bias_cmds",),
    "cache": ("cache_cmds",),
    "calibrate": ("calibrate_cmds",),
    "trust": ("calibrate_cmds",),
    "judges": ("catalog_cmds", "judges_diff_cmds"),
    "evaluate": ("evaluate_cmds",),
    "export": ("export_cmds",),
    "generate": ("generate_cmds",),
    "compare": ("judge_cmds",),
    "rate": ("judge_cmds",),
    "prompt": ("judge_cmds",),
    "backends": ("judge_cmds",),
    "pipeline": ("pipeline_cmds",),
    "plan": ("plan_cmds",),
    "rank": ("rank_cmds",),
    "report": ("report_cmds",),
    "scenarios": ("scenario_cmds",),
    "criteria": ("scenario_cmds",),
    "classify": ("scenario_cmds",),
    "serve": ("serve_cmds",),
    "train": ("train_cmds",),
}
ALL_MODULES: tuple[str, ...] = tuple(dict.fromkeys(m for ms in COMMAND_MODULES.values() for m in ms))


def _register(argv: Sequence[str] = ()) -> None:
    """Add the commands to `app`: only the module of the command named in `argv`, so a command
    starts without importing every other command's code (about 2 s of scipy and the analysis
    packages); every module for help, no command or a name that is not one."""
    name = next((arg for arg in argv if not arg.startswith("-")), None)
    for module in COMMAND_MODULES.get(name or "", ALL_MODULES):
        importlib.import_module(f"autoj.cli.{module}")


def _fail(message: str, code: int) -> NoReturn:
    """One line on stderr (newlines in a message are kept only for lists of bad records)."""
    typer.secho(f"error: {terminal_safe(redact(message))}", fg=typer.colors.RED, err=True)
    sys.exit(code)


def usage_message(exc: UsageError) -> str:
    """`autoj compare: No such option: --bogus (see autoj compare --help)`."""
    message = " ".join(exc.format_message().split())  # click lists choices on several lines
    if exc.ctx is None:
        return message
    path = exc.ctx.command_path
    return f"{path}: {message} (see '{path} --help')"


def os_error_message(exc: OSError) -> str:
    """`PATH: reason` for a failed file operation, whichever file it was."""
    names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
    reason = exc.strerror or str(exc)
    return f"{' -> '.join(names)}: {reason}" if names else reason


def main() -> None:
    """Run the CLI; every mistake ends in one clear message and a truthful exit code."""
    if typer.rich_utils.MAX_WIDTH is None:  # help laid out for the terminal, or wide for a pipe
        typer.rich_utils.MAX_WIDTH = output_width()
    _register(sys.argv[1:])
    install_log_redaction()
    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UsageError as exc:
        _fail(usage_message(exc), exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except AutojError as exc:
        _fail(str(exc), exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.secho("interrupted: finished results are kept; run again to resume", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(141)  # the reader of our output went away (`| head`): nothing to report
    except OSError as exc:
        _fail(os_error_message(exc), 1)
    except sqlite3.Error as exc:
        _fail(f"database error: {exc}", 1)
    except UnicodeDecodeError as exc:  # a reader that did not name its file; still one line
        _fail(f"a file is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})", 1)
    sys.exit(code if isinstance(code, int) else 0)
