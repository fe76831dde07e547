"""`autoj judges diff A B`: what changes when one judge replaces another."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Group
from rich.table import Table

from autoj.bench.render import ci, pct
from autoj.cli.catalog_cmds import judges_app
from autoj.cli.options import JsonOpt
from autoj.io.terminal import Console
from autoj.trust.diff import JudgesDiff
from autoj.types import PairItem

#: How much of a critique the terminal shows (the JSON has them whole).
CRITIQUE_CHARS = 300


def _clip(text: str, limit: int = CRITIQUE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def diff_tables(found: JudgesDiff) -> Group:
    """The summary, the per-model shifts and the items the judges disagree on most."""
    summary = Table(title=f"judges diff: A = {found.a}, B = {found.b}", show_header=False)
    summary.add_column("figure")
    summary.add_column("value", justify="right")
    summary.add_row("shared " + ("models" if found.verdict_agreement is None else "items"), str(found.shared))
    summary.add_row(
        "Kendall's tau of the model orders", "-" if found.kendall_tau is None else f"{found.kendall_tau:.3f}"
    )
    if found.both_parsed:
        summary.add_row(
            f"verdict agreement ({found.both_parsed} items both parsed)",
            f"{pct(found.verdict_agreement)} {ci(found.verdict_agreement_ci)}",
        )
        summary.add_row("Cohen's kappa", "-" if found.kappa is None else f"{found.kappa:.3f}")
    shifts = Table(title="each figure under A and B (%), B - A with its 95% interval")
    for name in ("model", "A", "B", "shift", "95% CI"):
        shifts.add_column(name, justify="left" if name == "model" else "right")
    for s in found.shifts:
        interval = "-" if s.shift is None else f"[{s.shift.ci_low:+.2f}, {s.shift.ci_high:+.2f}]"
        shifts.add_row(s.model, f"{s.before:.2f}", f"{s.after:.2f}", f"{s.after - s.before:+.2f}", interval)
    parts: list[Table] = [summary, shifts]
    if found.disagreements:
        worst = Table(title="where they disagree most", show_lines=True)
        for name in ("id", "query", "A", "B"):
            worst.add_column(name, overflow="fold")
        for d in found.disagreements:
            worst.add_row(
                d.id,
                _clip(d.a.query, 120),
                f"{d.a.verdict.value if d.a.verdict else 'failed'}\n{_clip(' | '.join(d.a.critiques))}",
                f"{d.b.verdict.value if d.b.verdict else 'failed'}\n{_clip(' | '.join(d.b.critiques))}",
            )
        parts.append(worst)
    return Group(*parts)


@judges_app.command("diff")
def diff_cmd(
    a: Annotated[
        Path, typer.Argument(metavar="A", help="a board CSV, a results file, or a predictions file")
    ],
    b: Annotated[Path, typer.Argument(metavar="B", help="the same kind of file from another judge")],
    data: Annotated[
        Path | None,
        typer.Option(
            help="the pairs that predictions files line up with (default: Eval-P)", show_default=False
        ),
    ] = None,
    prediction_field: Annotated[str, typer.Option(help="field holding a prediction")] = "output",
    top: Annotated[int, typer.Option(min=0, help="how many of the most disputed items to show")] = 5,
    seed: Annotated[int, typer.Option(help="seed of the bootstrap interval")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Two judges on the same items: Kendall's tau of the model orders, each model's shift with an
    interval, verdict agreement and Cohen's kappa, and the items they disagree on most."""
    from autoj.bench.data import load_eval_p, load_pairs
    from autoj.trust.diff import judges_diff, load_side

    def pairs() -> list[PairItem]:
        return load_pairs(data) if data is not None else load_eval_p()

    first, second = (load_side(path, pairs, prediction_field) for path in (a, b))
    found = judges_diff(first, second, top=top, seed=seed)
    if as_json:
        typer.echo(json.dumps(found.to_dict(), indent=2, ensure_ascii=False))
        return
    Console(width=max(Console().width, 140)).print(diff_tables(found))
