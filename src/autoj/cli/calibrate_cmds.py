"""`autoj calibrate`: what people would decide, from a judge's verdicts and a few human labels;
`autoj trust`: where the judge can be trusted, group by group."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from autoj.bench.render import ci, pct
from autoj.cli.main import app
from autoj.cli.options import (
    JsonOpt,
    LabelConventionOpt,
    LabelResponse1Opt,
    LabelResponse2Opt,
    LabelTieOpt,
)
from autoj.errors import AutojError
from autoj.io.items import FieldMap, LabelMap
from autoj.io.terminal import Console
from autoj.stats.ppi import MeanInterval
from autoj.trust.calibration import Calibration
from autoj.trust.trustmap import NOT_RELIABLE, GroupTrust


def _interval(found: MeanInterval, digits: int = 3) -> str:
    return f"{found.estimate:.{digits}f} [{found.ci_low:.{digits}f}, {found.ci_high:.{digits}f}]"


def calibration_table(found: list[Calibration], level: float) -> Table:
    """Estimate and interval per target, beside the labels alone and the judge alone."""
    pct = f"{level:.0%}"
    table = Table(title=f"what people would decide: {found[0].target.measures}; {pct} intervals")
    for name in ("target", "calibrated", "labels only", "judge only", "labelled / total", "lambda"):
        table.add_column(name, justify="left" if name == "target" else "right", no_wrap=name == "target")
    for item in found:
        data = item.to_dict()
        if item.result is None:
            table.add_row(
                item.target.name, item.reason, "-", "-", f"{data['n_labelled']} / {data['n_total']}", "-"
            )
            continue
        table.add_row(
            item.target.name,
            _interval(item.result.interval),
            _interval(item.result.labels_only),
            _interval(item.result.judge_only),
            f"{data['n_labelled']} / {data['n_total']}",
            f"{item.result.power_tuning:.2f}",
        )
    return table


def calibration_json(found: list[Calibration]) -> dict[str, object]:
    """One object for plain pairwise results; for evaluate results one per model."""
    if [item.target.name for item in found] == ["all"]:
        return found[0].to_dict()
    return {
        "measures": found[0].target.measures,
        "models": {item.target.name: item.to_dict() for item in found},
    }


@app.command()
def calibrate(
    results: Annotated[
        Path | None,
        typer.Argument(metavar="[RESULTS]", help="a results file (judge, bench pairwise or evaluate)"),
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="pairs judged elsewhere (with --predictions), labels where known")
    ] = None,
    predictions: Annotated[
        Path | None, typer.Option(help="the judge's verdicts on --data, line by line (0/1/2, A/B/tie, null)")
    ] = None,
    swapped_predictions: Annotated[
        Path | None, typer.Option(help="its verdicts with the responses swapped (swapped frame)")
    ] = None,
    prediction_field: Annotated[str, typer.Option(help="field holding a prediction")] = "output",
    labels: Annotated[
        Path | None, typer.Option("--labels", help="people's labels in a separate file, keyed by item id")
    ] = None,
    labels_id_field: Annotated[str, typer.Option(help="--labels: field of the item id")] = "id",
    labels_label_field: Annotated[str, typer.Option(help="--labels: field of the label")] = "label",
    query_field: Annotated[str, typer.Option(help="--data: field of the query")] = "prompt",
    response_1_field: Annotated[str, typer.Option(help="--data: field of response 1")] = "response 1",
    response_2_field: Annotated[str, typer.Option(help="--data: field of response 2")] = "response 2",
    label_field: Annotated[str, typer.Option(help="--data: field of the human label")] = "label",
    id_field: Annotated[str, typer.Option(help="--data: field of the item id (default: line number)")] = "id",
    label_convention: LabelConventionOpt = None,
    label_response_1: LabelResponse1Opt = None,
    label_response_2: LabelResponse2Opt = None,
    label_tie: LabelTieOpt = None,
    level: Annotated[
        float, typer.Option(min=0.5, max=0.999, help="confidence level of the intervals")
    ] = 0.95,
    as_json: JsonOpt = False,
) -> None:
    """People's preference estimated from the judge's verdicts on every item and people's labels
    on some (prediction-powered inference, PPI++): for pairwise results response 1's share, for
    evaluate results each model's win rate against the reference; never a wider interval than
    the labels alone give."""
    from autoj.bench.data import load_pairs, load_predictions
    from autoj.io.results import read_results
    from autoj.trust.calibration import calibrate as calibrated
    from autoj.trust.calibration import read_labels, target_from_predictions, targets_from_results

    label_map = LabelMap.from_options(
        label_convention.value if label_convention else None, label_response_1, label_response_2, label_tie
    )
    known = read_labels(labels, labels_id_field, labels_label_field, label_map) if labels else {}
    if (results is None) == (data is None):
        raise AutojError("give a RESULTS file, or --data PAIRS with --predictions P: one of the two")
    if results is not None:
        if predictions or swapped_predictions:
            raise AutojError("--predictions go with --data, not with a RESULTS file")
        targets = targets_from_results(list(read_results(results)), known)
    else:
        assert data is not None
        if predictions is None:
            raise AutojError("--data needs --predictions P (the judge's verdicts, line by line)")
        fields = FieldMap(
            query=query_field,
            response_1=response_1_field,
            response_2=response_2_field,
            id=id_field,
            label=label_field,
        )
        items = load_pairs(data, fields, label_map, require_labels=False)
        original = load_predictions(predictions, prediction_field, label_map.explicit)
        swapped = (
            load_predictions(swapped_predictions, prediction_field, label_map.explicit)
            if swapped_predictions
            else None
        )
        targets = [target_from_predictions(items, original, swapped, known)]
    found = [calibrated(target, level) for target in targets]
    if as_json:
        typer.echo(json.dumps(calibration_json(found), indent=2))
    else:
        Console(width=max(Console().width, 120)).print(calibration_table(found, level))
    if all(item.result is None for item in found):
        raise AutojError(f"no estimate: {found[0].reason} (label more items, in the items or with --labels)")


def trust_table(groups: list[GroupTrust], judge: str) -> Table:
    """Agreement per scenario group beside longer-wins, the groups not to trust marked."""
    table = Table(title=f"where {judge} can be trusted: agreement with people by scenario group (%)")
    for name in ("group", "n", "agreement", "95% CI", "longer-wins", "margin", "margin 95% CI", ""):
        table.add_column(name, justify="left" if name in ("group", "") else "right", no_wrap=True)
    for g in groups:
        table.add_row(
            g.group,
            str(g.n),
            pct(g.agreement),
            ci(g.agreement_ci),
            pct(g.longer_wins_agreement),
            "-" if g.margin is None else f"{100 * g.margin:+.2f}",
            ci(g.margin_ci),
            "" if g.reliable else f"[red]{NOT_RELIABLE}[/]",
            style="dim" if not g.reliable else None,
        )
    return table


@app.command()
def trust(
    results: Annotated[
        Path | None, typer.Argument(metavar="[RESULTS]", help="an `autoj bench pairwise` results file")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="labelled pairs judged elsewhere (default: Eval-P)", show_default=False),
    ] = None,
    predictions: Annotated[
        Path | None,
        typer.Option(help="the judge's verdicts on the pairs, line by line (0/1/2, A/B/tie, null)"),
    ] = None,
    swapped_predictions: Annotated[
        Path | None, typer.Option(help="its verdicts with the responses swapped (swapped frame)")
    ] = None,
    prediction_field: Annotated[str, typer.Option(help="field holding a prediction")] = "output",
    seed: Annotated[int, typer.Option(help="seed of the bootstrap intervals")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Where the judge can be trusted: its agreement with people per scenario group beside the
    longer-response-wins baseline on the same pairs; groups where it is not above that baseline
    are marked "judge not reliable here"."""
    from autoj.bench.data import load_eval_p, load_pairs, load_predictions
    from autoj.bench.grouping import taxonomy_group_of
    from autoj.bench.pairwise import classify_missing, scored_pairs
    from autoj.io.results import read_results
    from autoj.trust.trustmap import not_reliable, scored_from_results, trust_map

    if results is not None:
        if data or predictions or swapped_predictions:
            raise AutojError(
                "--data and --predictions score verdicts made elsewhere: not with a RESULTS file"
            )
        pairs = scored_from_results(list(read_results(results)))
        judge = str(results)
        if not pairs:
            raise AutojError(
                f"{results}: no labelled pairwise results; give an `autoj bench pairwise` results file"
            )
    else:
        if predictions is None or swapped_predictions is None:
            raise AutojError("give a RESULTS file, or --predictions P --swapped-predictions S (both orders)")
        items = classify_missing(load_pairs(data) if data is not None else load_eval_p())
        pairs = scored_pairs(
            items,
            load_predictions(predictions, prediction_field),
            load_predictions(swapped_predictions, prediction_field),
        )
        judge = f"predictions {predictions.name}"
    groups = trust_map(pairs, taxonomy_group_of(), seed=seed)
    if as_json:
        payload = {
            "judge": judge,
            "groups": {g.group: g.to_dict() for g in groups},
            "not_reliable_groups": not_reliable(groups),
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    Console(width=max(Console().width, 150)).print(trust_table(groups, judge))
