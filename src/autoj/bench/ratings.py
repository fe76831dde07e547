"""Ratings benchmark: rate responses with the single protocol, correlate with reference scores,
and pick the best of N candidates per query."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from autoj.backends.base import Backend
from autoj.bench.runner import judge_name, run_items
from autoj.bench.sampling import stratified_sample
from autoj.errors import AutojError
from autoj.judges.config import JudgeConfig
from autoj.run.judge import Judge
from autoj.stats.correlation import BestOfN, Candidate, Correlations, best_of_n, correlations
from autoj.types import SingleItem

#: Item meta field holding a log-probability score used to break rating ties in Best-of-N.
LOGPROB_FIELD = "logprob"


@dataclass(frozen=True)
class RatingsReport:
    """Correlation of the judge's ratings with reference scores, and Best-of-N by query."""

    correlations: Correlations
    best_of_n: BestOfN
    parse_failures: int
    items: int
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "correlations": asdict(self.correlations),
            "best_of_n": asdict(self.best_of_n),
            "parse_failures": self.parse_failures,
            "items": self.items,
            "meta": self.meta,
        }


def ratings_report(
    items: Sequence[SingleItem],
    ratings: Sequence[float | None],
    logprobs: Sequence[float | None] | None = None,
    meta: dict[str, Any] | None = None,
) -> RatingsReport:
    """Score ratings (None = parse failure) against the items' reference scores.

    Items with the same query are the N candidates of one Best-of-N group.
    """
    if len(items) != len(ratings):
        raise AutojError(f"{len(ratings)} ratings for {len(items)} items")
    scores = logprobs if logprobs is not None else [None] * len(items)
    references = [i.reference_score for i in items]
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for item, rating, score in zip(items, ratings, scores, strict=True):
        if item.reference_score is not None:
            groups[item.query].append(Candidate(rating, item.reference_score, score))
    return RatingsReport(
        correlations=correlations(list(ratings), references),
        best_of_n=best_of_n([g for g in groups.values() if len(g) > 1]),
        parse_failures=sum(r is None for r in ratings),
        items=len(items),
        meta=dict(meta or {}),
    )


def _logprob(item: SingleItem) -> float | None:
    value = item.meta.get(LOGPROB_FIELD)
    return float(value) if isinstance(value, int | float) else None


def bench_ratings(
    items: Sequence[SingleItem],
    judge: Judge | JudgeConfig | str | Backend,
    output: str | Path,
    *,
    protocol: str | None = None,
    limit: int | None = None,
    per_scenario: int | None = None,
    seed: int = 0,
    overwrite: bool = False,
) -> RatingsReport:
    """Rate the items with `judge` (a ready Judge, which the run closes, or a config, spec, file or
    catalog name, or a Backend; `protocol` overrides its protocol); results stream to `output`,
    resumable; then report.

    Rating ties in Best-of-N are broken by an item's `meta["logprob"]` where every tied
    candidate has one, else by the candidates' order.
    """
    chosen = stratified_sample(
        items, lambda i: i.scenario or "", limit=limit, per_stratum=per_scenario, seed=seed
    )
    if isinstance(judge, Judge) and protocol is not None:
        raise AutojError("a ready Judge has its protocol: give it there, not as `protocol`")
    started = time.perf_counter()
    with judge if isinstance(judge, Judge) else Judge(judge, protocol=protocol) as j:
        results = j.run(run_items(j.engine(), chosen, output, overwrite))
        config = j.config.to_record()
    by_id = {r.id: r for r in results}
    return ratings_report(
        chosen,
        [by_id[i.id].rating for i in chosen],
        [_logprob(i) for i in chosen],
        meta={
            "judge": judge_name(j.config if isinstance(judge, Judge) else judge),
            "judge_config": config,
            "items": len(chosen),
            "seed": seed,
            "results": str(output),
            "elapsed_s": round(time.perf_counter() - started, 2),
        },
    )
