"""The pairwise benchmark: score released predictions, or judge labelled pairs in both orders."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from autoj.backends.base import Backend
from autoj.bench.grouping import UNKNOWN, GroupOf, taxonomy_group_of
from autoj.bench.pairwise_report import PairwiseReport, ScoredPair, pairwise_report
from autoj.bench.runner import judge_name, run_items
from autoj.bench.sampling import stratified_sample
from autoj.errors import AutojError
from autoj.io.results import Result
from autoj.judges.config import JudgeConfig
from autoj.run.judge import Judge
from autoj.scenarios import classify_query
from autoj.stats.metrics import Prediction
from autoj.types import PairItem


def scored_pairs(
    items: Sequence[PairItem],
    original: Sequence[Prediction],
    swapped: Sequence[Prediction],
) -> list[ScoredPair]:
    """Line up labelled items with both orders' predictions (swapped ones in the swapped frame).

    Lengths are counted in characters: the longer-wins baseline reproduces the published 52.6
    on Eval-P in characters.
    """
    if not len(items) == len(original) == len(swapped):
        raise AutojError(
            f"predictions do not line up with the items: {len(items)} items, "
            f"{len(original)} original-order and {len(swapped)} swapped-order predictions"
        )
    pairs = []
    for item, first, second in zip(items, original, swapped, strict=True):
        if item.label is None:
            raise AutojError(f"item {item.id!r} has no human label to score against")
        pairs.append(
            ScoredPair(
                label=item.label,
                original=first,
                swapped=second,
                length_1=len(item.response_1),
                length_2=len(item.response_2),
                id=item.id,
                scenario=item.scenario,
            )
        )
    return pairs


def score_predictions(
    items: Sequence[PairItem],
    original: Sequence[Prediction],
    swapped: Sequence[Prediction],
    *,
    group_of: GroupOf | None = None,
    seed: int = 0,
    meta: dict[str, Any] | None = None,
) -> PairwiseReport:
    """The full pairwise report for predictions made elsewhere (e.g. Auto-J's released ones)."""
    return pairwise_report(
        scored_pairs(items, original, swapped),
        group_of or taxonomy_group_of(),
        seed=seed,
        meta=meta,
    )


def scenario_of(item: PairItem) -> str:
    return item.scenario or UNKNOWN


def results_to_predictions(
    items: Sequence[PairItem], results: Sequence[Result]
) -> tuple[list[Prediction], list[Prediction]]:
    """Both orders' verdicts for `items` from engine results (matched by id)."""
    by_id = {r.id: r for r in results}
    missing = [i.id for i in items if i.id not in by_id]
    if missing:
        raise AutojError(f"{len(missing)} item(s) have no result yet, e.g. {missing[:3]}")
    original: list[Prediction] = []
    swapped: list[Prediction] = []
    for item in items:
        result = by_id[item.id]
        original.append(result.judgment.verdict)
        swapped.append(result.swapped.verdict if result.swapped is not None else None)
    return original, swapped


def bench_pairwise(
    items: Sequence[PairItem],
    judge: JudgeConfig | str | Backend,
    output: str | Path,
    *,
    protocol: str | None = None,
    limit: int | None = None,
    per_scenario: int | None = None,
    seed: int = 0,
    classify: bool = True,
    overwrite: bool = False,
) -> PairwiseReport:
    """Judge labelled pairs in both orders with `judge` (a config, spec, file or catalog name, or
    a Backend; `protocol` overrides its protocol) and report against the human labels.

    Per-item results stream to `output`; a re-run skips the items already there. Items without
    a scenario are classified with autoj.scenarios' shipped classifier when `classify`.
    """
    if classify:
        items = classify_missing(items)
    chosen = stratified_sample(items, scenario_of, limit=limit, per_stratum=per_scenario, seed=seed)
    started = time.perf_counter()
    with Judge(judge, protocol=protocol, both_orders=True) as j:
        results = j.run(run_items(j.engine(), chosen, output, overwrite))
        protocol_id = j.protocol.id
        config = j.config.to_record()
    elapsed = time.perf_counter() - started
    original, swapped = results_to_predictions(chosen, results)
    return score_predictions(
        chosen,
        original,
        swapped,
        seed=seed,
        meta={
            "judge": judge_name(judge),
            "judge_config": config,
            "protocol": protocol_id,
            "items": len(chosen),
            "seed": seed,
            "limit": limit,
            "per_scenario": per_scenario,
            "results": str(output),
            "elapsed_s": round(elapsed, 2),
        },
    )


def classify_missing(items: Sequence[PairItem]) -> list[PairItem]:
    """Fill in missing scenarios with autoj.scenarios' shipped classifier."""
    if all(i.scenario for i in items):
        return list(items)
    return [i if i.scenario else replace(i, scenario=classify_query(i.query)) for i in items]
