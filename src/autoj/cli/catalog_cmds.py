"""`autoj judges`: the judges autoj knows by name (a table, or `--json`).

`judges` is a command group: called alone it lists the catalog; subcommands (`autoj judges show`)
are added to `judges_app` by other modules.
"""

from __future__ import annotations

import inspect
import json
from typing import Annotated

import typer
from rich.measure import Measurement
from rich.table import Table

from autoj.backends.redaction import redact
from autoj.cli.main import app
from autoj.cli.options import judge_options
from autoj.io.terminal import Console
from autoj.judges import catalog
from autoj.judges.config import JudgeConfig
from autoj.protocols import protocol_names

console = Console()

judges_app = typer.Typer(
    help="The judges autoj knows by name; `-j NAME` uses one anywhere a judge is taken.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(judges_app, name="judges")


#: `judges show` takes the judge as its argument, not as `-j`.
NameArg = Annotated[
    str, typer.Argument(metavar="NAME|FILE|SPEC", help="catalog name, judge YAML file or spec")
]


@judges_app.callback(invoke_without_command=True)
def judges_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON list of the entries")] = False,
) -> None:
    """List the known judges: protocol, default backend, model, license, context, published figures."""
    if ctx.invoked_subcommand is not None:
        return
    entries = catalog.entries()
    known = set(protocol_names())
    if as_json:
        rows = [{**entry.to_dict(), "protocol_available": entry.protocol in known} for entry in entries]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table("name", "protocol", "backend", "license", "context", "published figures", "variants")
    for column in table.columns:  # one line per figure; names and numbers never broken
        column.no_wrap = True
    backend = table.columns[2]  # a hub GGUF spec is long: folded, at a readable width
    backend.no_wrap, backend.overflow, backend.max_width = False, "fold", 48
    for entry in entries:
        table.add_row(
            entry.name,
            entry.protocol if entry.protocol in known else f"{entry.protocol} (not in this version)",
            entry.backend,
            entry.license or "-",
            f"{entry.context:,}",
            "\n".join(_figure(f) for f in entry.figures) or "-",
            ", ".join(v.kind for v in entry.variants) or "-",
        )
    # as wide as the table needs (as other tables do): a terminal's 80 columns broke every cell
    wide = console.options.update_width(1000)
    Console(width=max(console.width, Measurement.get(console, wide, table).maximum)).print(table)
    console.print(
        "Use one with -j NAME (e.g. autoj compare pairs.jsonl -o out.jsonl -j prometheus-7b-v2); "
        "`autoj judges --json` gives each entry's sources."
    )


def _figure(figure: catalog.Figure) -> str:
    return f"{figure.benchmark.removeprefix('Auto-J ')} {figure.metric} {figure.value:g}"


@judges_app.command("show")
@judge_options(judge=(NameArg, inspect.Parameter.empty))
def show_cmd(
    *,
    config: JudgeConfig,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of YAML")] = False,
) -> None:
    """Print the resolved judge config (YAML, or --json): what `-j NAME|FILE` and the flags make."""
    if as_json:
        typer.echo(redact(json.dumps(config.to_dict(), indent=2, ensure_ascii=False)))
    else:
        typer.echo(redact(config.to_yaml()), nl=False)
