"""`autoj bias`: a judge's position, length and style biases in any pairwise results; `autoj probe`:
how often changes that leave quality alone flip its verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from autoj.cli.main import app
from autoj.cli.options import JsonOpt, LimitOpt, OverwriteOpt, judge_options
from autoj.errors import AutojError
from autoj.io.items import FieldMap
from autoj.io.outputs import check_output
from autoj.io.terminal import Console
from autoj.judges.config import JudgeConfig
from autoj.trust.selfpref import SelfPreference


def bias_table(data: dict[str, Any], title: str) -> Table:
    """The panel: the judge's figures beside people's where labels exist."""
    from autoj.trust.bias import panel_lines

    table = Table(title=title)
    for name in ("figure", "judge", "people"):
        table.add_column(name, justify="left" if name == "figure" else "right")
    for line in panel_lines(data):
        table.add_row(*line)
    return table


@app.command()
def bias(
    results: Annotated[
        Path | None,
        typer.Argument(metavar="[RESULTS]", help="pairwise results (judge, bench pairwise, evaluate)"),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="the pairs that --predictions line up with (default: Eval-P)", show_default=False),
    ] = None,
    predictions: Annotated[
        Path | None, typer.Option(help="verdicts made elsewhere, line by line (0/1/2, A/B/tie, null)")
    ] = None,
    swapped_predictions: Annotated[
        Path | None, typer.Option(help="the same judge's verdicts with the responses swapped (swapped frame)")
    ] = None,
    prediction_field: Annotated[str, typer.Option(help="field holding a prediction")] = "output",
    board: Annotated[
        list[Path] | None,
        typer.Option(
            help="boards of this judge and of other judges over the same models (repeat the flag): "
            "adds self-preference"
        ),
    ] = None,
    board_judge: Annotated[
        str | None,
        typer.Option(help="this judge's name on --board", show_default="the results' judge"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Position ("Response 1" share, order flips), length and style (markdown) biases of a judge's
    verdicts, each with its interval and beside people's where the pairs are labelled."""
    from autoj.bench.data import load_eval_p, load_pairs, load_predictions
    from autoj.io.results import read_results
    from autoj.trust.bias import panel_of_predictions, panel_of_results

    judge_on_board = board_judge
    if (results is None) == (predictions is None):
        raise AutojError("give a RESULTS file, or --predictions P [--swapped-predictions S]: one of the two")
    if results is not None:
        if data or swapped_predictions:
            raise AutojError(
                "--data and --swapped-predictions go with --predictions, not with a RESULTS file"
            )
        judged = list(read_results(results))
        panel = panel_of_results(judged)
        if panel is None:
            raise AutojError(f"{results}: no pairwise results; the bias panel reads pairwise verdicts")
        name = str(results)
        judge_on_board = judge_on_board or str(judged[0].provenance.get("judge") or "")
    else:
        assert predictions is not None
        items = load_pairs(data, require_labels=False) if data is not None else load_eval_p()
        original = load_predictions(predictions, prediction_field)
        swapped = load_predictions(swapped_predictions, prediction_field) if swapped_predictions else None
        for flag, found in (("--predictions", original), ("--swapped-predictions", swapped)):
            if found is not None and len(found) != len(items):
                raise AutojError(
                    f"{flag} has {len(found)} verdicts for {len(items)} pairs: they must line up"
                )
        panel = panel_of_predictions(items, original, swapped)
        name = f"predictions {predictions.name}"
    preference = _self_preference(board, judge_on_board) if board else None
    extra = {"self_preference": preference.to_dict() if preference else None} if board else {}
    if as_json:
        typer.echo(json.dumps({"judge": name, **panel.to_dict(), **extra}, indent=2))
        return
    table = bias_table(panel.to_dict(), f"biases of {name} ({panel.n} pairs)")
    if board:
        table.add_row(
            "self-preference: extra win-rate points for its own family", _preference_text(preference), ""
        )
    Console(width=max(Console().width, 120)).print(table)


def _self_preference(boards: list[Path], judge: str | None) -> SelfPreference | None:
    """Self-preference from every board's rows together (a board holds one row per model)."""
    from autoj.evaluate.leaderboard import read_board
    from autoj.trust.selfpref import self_preference

    for board in boards:
        if not board.is_file():
            raise AutojError(f"--board {board}: file not found")
    if not judge:
        raise AutojError("--board needs this judge's name on the boards: give --board-judge NAME")
    rows = [row for board in boards for row in read_board(board)]
    if judge not in {row.judge for row in rows}:
        raise AutojError(f"no --board row is judged by {judge!r}: name this judge with --board-judge")
    return self_preference(rows, judge)


def _preference_text(found: SelfPreference | None) -> str:
    if found is None:
        return "- (no model of its family judged by another judge)"
    if found.estimate is None:
        return "- (rows without standard errors)"
    e = found.estimate
    family = f"{found.family}: {len(found.own_family)} model(s)"
    return f"{e.estimate:+.1f} [{e.ci_low:+.1f}, {e.ci_high:+.1f}] ({family})"


@app.command()
@judge_options(without=("both_orders",))
def probe(
    data: Annotated[
        Path, typer.Argument(metavar="DATA", help="pairs to probe (query, response 1, response 2)")
    ],
    *,
    config: JudgeConfig,
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="results JSONL (the pairs and their copies); resumed when it exists"
        ),
    ] = Path("probe-results.jsonl"),
    overwrite: OverwriteOpt = False,
    limit: LimitOpt = None,
    seed: Annotated[int, typer.Option(help="seed of the --limit sample")] = 0,
    query_field: Annotated[str, typer.Option(help="input field of the query")] = "prompt",
    response_1_field: Annotated[str, typer.Option(help="input field of response 1")] = "response 1",
    response_2_field: Annotated[str, typer.Option(help="input field of response 2")] = "response 2",
    id_field: Annotated[str, typer.Option(help="input field of the item id (default: line number)")] = "id",
    as_json: JsonOpt = False,
) -> None:
    """Judge counterfactual copies of each pair (the two swapped, the loser padded with filler, the
    winner's markdown stripped) and report how often each flips the verdict."""
    from autoj.bench.data import load_pairs
    from autoj.bench.sampling import stratified_sample
    from autoj.trust.probe import run_probe

    fields = FieldMap(
        query=query_field, response_1=response_1_field, response_2=response_2_field, id=id_field
    )
    items = load_pairs(data, fields, require_labels=False)
    chosen = stratified_sample(items, lambda item: item.scenario or "", limit=limit, seed=seed)
    path = check_output(output, [data])
    report = run_probe(chosen, config, path, overwrite=overwrite)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    table = Table(title=f"verdict flips of {report.judge} on {report.pairs} pairs (results in {path})")
    for name in ("probe", "flipped", "95% CI", "pairs probed"):
        table.add_column(name, justify="left" if name == "probe" else "right")
    for name, share in report.flips.items():
        interval = "-" if share.ci is None else f"[{100 * share.ci.low:.1f}, {100 * share.ci.high:.1f}]"
        value = "-" if share.value is None else f"{100 * share.value:.1f}%"
        table.add_row(PROBE_NAMES[name], value, interval, str(share.n))
    Console().print(table)


#: How each probe reads in the table.
PROBE_NAMES = {
    "swapped": "the two responses swapped",
    "padded": "the non-preferred response padded with filler",
    "plain": "the preferred response's markdown stripped",
}
