"""The judge's reliability beside its verdicts: can the board's win rates be trusted?

Three sources, shown together: this evaluation's own both-order verdicts (consistency, which
position wins, how often the longer output wins), the judge's `autoj bench pairwise` results on
human-labelled pairs when given (agreement, beside the longer-response-wins baseline on the same
pairs), and the catalog's published figures for a judge it knows. Warnings say when the judge
answers by position, and when its verdicts follow length more than people's do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from autoj.bench.data import load_eval_p
from autoj.bench.grouping import taxonomy_group_of
from autoj.bench.pairwise import results_to_predictions, score_predictions
from autoj.data.registry import DatasetError
from autoj.errors import AutojError
from autoj.io.results import Result, read_results
from autoj.judges import catalog
from autoj.judges.config import JudgeConfig
from autoj.stats.figures import outcomes_of, pair_figures
from autoj.stats.metrics import length_bias
from autoj.trust.bias import panel_of_results
from autoj.trust.trustmap import NOT_RELIABLE, not_reliable, scored_from_results, trust_map
from autoj.types import PairItem

#: Below this share of both-order agreement, or above this share for one position, a judge's
#: verdicts say where a response was shown, not which is better.
DEGENERATE_CONSISTENCY = 0.10
DEGENERATE_POSITION = 0.95
#: How far (in share of non-tie verdicts) a judge may favour longer outputs beyond people.
LENGTH_MARGIN = 0.05

DEGENERATE_WARNING = "this judge answers by position; its verdicts carry no information"


@dataclass(frozen=True)
class Reliability:
    """Figures in [0, 1] (None = nothing to count) and the warnings they call for."""

    judge: str
    n: int = 0
    consistency: float | None = None
    response_1_share: float | None = None
    prefers_longer: float | None = None
    human_prefers_longer: float | None = None
    bench: dict[str, Any] = field(default_factory=dict)
    bias: dict[str, Any] = field(default_factory=dict)
    catalog: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_figures(results: Sequence[Result]) -> tuple[int, float | None, float | None, float | None]:
    """(pairs, consistency, Response 1 share, longer-wins share of the non-tie final verdicts) of
    pairwise results; the first two as `autoj.stats.figures` defines them."""
    pairs = [r for r in results if isinstance(r.item, PairItem)]
    figures = pair_figures(outcomes_of(pairs))
    lengths = [
        (len(r.item.response_1), len(r.item.response_2)) for r in pairs if isinstance(r.item, PairItem)
    ]
    longer = length_bias(lengths, [None] * len(pairs), [r.verdict for r in pairs]).judge_prefers_longer
    return len(pairs), figures.consistency, figures.response_1_share, longer


def check_bench_setup(path: str | Path, setup: Mapping[str, Any]) -> None:
    """Refuse a `--judge-bench` file made by another judge setup than `setup` (this run's): its
    figures are not this judge's reliability. Checked before anything is judged."""
    other = next((r for r in read_results(path) if _judge_of(r.setup) != _judge_of(setup)), None)
    if other is not None:
        raise AutojError(
            f"--judge-bench {path}: made by another judge setup ({other.setup.get('judge')}, "
            f"{other.setup.get('protocol')}) than this run's ({setup.get('judge')}, "
            f"{setup.get('protocol')}): "
            "its figures are not this judge's reliability; give this judge's `autoj bench pairwise` results"
        )


def bench_figures(path: str | Path) -> dict[str, Any]:
    """Agreement and biases from an `autoj bench pairwise` results file (labelled pairs, both
    orders), with the longer-response-wins baseline on the same pairs."""

    results = [r for r in read_results(path) if isinstance(r.item, PairItem) and r.item.label is not None]
    if not results:
        raise AutojError(f"{path}: no labelled pairwise results; give an `autoj bench pairwise` results file")
    items = [r.item for r in results if isinstance(r.item, PairItem)]
    original, swapped = results_to_predictions(items, results)
    report = score_predictions(items, original, swapped)
    judge, baseline = report.judge.overall, report.baseline.overall
    groups = trust_map(scored_from_results(results), taxonomy_group_of())
    return {
        "file": str(path),
        "pairs": judge.n,
        "agreement": judge.agreement,
        "consistency": judge.consistency,
        "response_1_share": judge.response_1_share,
        "judge_prefers_longer": judge.length_bias.judge_prefers_longer,
        "human_prefers_longer": judge.length_bias.human_prefers_longer,
        "longer_wins_agreement": baseline.agreement,
        "groups": {g.group: g.to_dict() for g in groups},
        "not_reliable_groups": not_reliable(groups),
    }


def not_reliable_groups(data: Mapping[str, Any]) -> list[str]:
    """The scenario groups a reliability record (`Reliability.to_dict()`, as rows keep it) marks
    "judge not reliable here"; none without a benchmark."""
    bench = data.get("bench") or {}
    return list(bench.get("not_reliable_groups") or [])


def catalog_figures(config: JudgeConfig) -> list[dict[str, Any]]:
    """Published figures of the catalog entry this judge is (by name, else by backend spec)."""

    name = config.source.removeprefix("catalog:") if config.source.startswith("catalog:") else None
    entry = catalog.get_entry(name) if name else None
    if entry is None:
        entry = next((e for e in catalog.entries() if e.config_fields().get("judge") == config.judge), None)
    if entry is None:
        return []
    return [{"judge": entry.name, **figure.to_dict()} for figure in entry.figures]


def warnings_for(
    consistency: float | None,
    response_1_share: float | None,
    prefers_longer: float | None,
    human_longer: float | None,
) -> list[str]:
    found = []
    one_side = (
        response_1_share is not None and max(response_1_share, 1 - response_1_share) > DEGENERATE_POSITION
    )
    if (consistency is not None and consistency < DEGENERATE_CONSISTENCY) or one_side:
        found.append(DEGENERATE_WARNING)
    if (
        prefers_longer is not None
        and human_longer is not None
        and prefers_longer > human_longer + LENGTH_MARGIN
    ):
        found.append(
            "its verdicts track length more than humans do: the longer output wins "
            f"{prefers_longer:.0%} of its decided pairs, against {human_longer:.0%} for people"
        )
    return found


@cache
def human_prefers_longer() -> float | None:
    """How often people prefer the longer response on Eval-P's decided (non-tie) pairs, the
    human yardstick for a judge's length preference; None when the data is not at hand."""

    try:
        items = load_eval_p()
    except DatasetError:
        return None
    lengths = [(len(item.response_1), len(item.response_2)) for item in items]
    return length_bias(lengths, [item.label for item in items], [None] * len(items)).human_prefers_longer


def _judge_of(setup: Mapping[str, Any]) -> dict[str, Any]:
    """What decides a judgment in a setup; the order count and the spec as written do not."""
    return {k: v for k, v in setup.items() if k not in ("both_orders", "judge")}


def reliability(
    name: str, results: Sequence[Result], config: JudgeConfig | None = None, bench: str | Path | None = None
) -> Reliability:
    """Everything known about this judge's reliability, with the warnings it calls for: from this
    run's verdicts (length against people on Eval-P), and from its benchmark when given."""
    n, consistency, first, longer = run_figures(results)
    bench_data = bench_figures(bench) if bench is not None else {}
    human = bench_data.get("human_prefers_longer") or human_prefers_longer()
    warnings = warnings_for(consistency, first, longer, human)
    if bench_data:
        found = warnings_for(
            bench_data["consistency"],
            bench_data["response_1_share"],
            bench_data["judge_prefers_longer"],
            bench_data["human_prefers_longer"],
        )
        warnings += [w for w in found if w not in warnings]
        if bench_data["not_reliable_groups"]:
            warnings.append(
                f"{NOT_RELIABLE} ({', '.join(bench_data['not_reliable_groups'])}): on its benchmark the "
                "judge agrees with people no more often than the longer response does; those groups' "
                "figures are left out of the headline"
            )
    return Reliability(
        judge=name,
        n=n,
        consistency=consistency,
        response_1_share=first,
        prefers_longer=longer,
        human_prefers_longer=human,
        bench=bench_data,
        bias=panel.to_dict() if (panel := panel_of_results(results)) is not None else {},
        catalog=catalog_figures(config) if config is not None else [],
        warnings=warnings,
    )
