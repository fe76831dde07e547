"""The spread that sizes an evaluation: per-instruction differences between models in results
files (`autoj evaluate` results or alpaca_eval annotations), for `autoj plan`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import combinations
from pathlib import Path

import numpy as np

from autoj.errors import AutojError
from autoj.evaluate.comparisons import Comparison, by_model, read_annotations
from autoj.evaluate.decisions import win_of
from autoj.evaluate.run import comparisons_of
from autoj.io.results import read_results
from autoj.stats.power import Spread, spread_of
from autoj.types import PairItem


def load_comparisons(paths: Sequence[Path]) -> dict[str, list[Comparison]]:
    """Every model's comparisons: `.jsonl` files are `autoj evaluate` results, others alpaca_eval
    annotation files."""

    groups: dict[str, list[Comparison]] = {}
    for path in paths:
        if path.name.endswith(".jsonl"):
            results = [
                r for r in read_results(path) if isinstance(r.item, PairItem) and "model" in r.item.meta
            ]
            if not results:
                raise AutojError(
                    f"{path}: no pairwise `autoj evaluate` results in it (a rate run has no gap)"
                )
            found = comparisons_of(results)
        else:
            found = by_model(read_annotations(path))
        for model, comparisons in found.items():
            groups.setdefault(model, []).extend(comparisons)
    return groups


def _wins(comparisons: Sequence[Comparison]) -> dict[str, float]:
    return {c.key: 100.0 * w for c in comparisons if (w := win_of(c.preference)) is not None}


def observed_spread(groups: Mapping[str, Sequence[Comparison]]) -> tuple[Spread, int]:
    """The spread of per-instruction differences and the number of instructions judged.

    With two or more models: the median over their pairs' standard deviations on shared
    instructions. With one: its own spread times sqrt(2), the difference of two independent
    models like it (an upper bound: real checkpoints share what is easy and hard).
    """
    wins = {m: _wins(cs) for m, cs in groups.items()}
    wins = {m: w for m, w in wins.items() if len(w) > 1}
    if not wins:
        raise AutojError("the results hold no model with two or more judged instructions")
    if len(wins) == 1:
        ((model, values),) = wins.items()
        sd = math.sqrt(2.0) * float(np.std(list(values.values()), ddof=1))
        return Spread(sd, f"{model} alone: sqrt(2) x its spread (two independent models like it)"), len(
            values
        )
    differences = []
    shared_counts = []
    for first, second in combinations(wins, 2):
        shared = [k for k in wins[first] if k in wins[second]]
        differences.append(np.array([wins[first][k] - wins[second][k] for k in shared]))
        shared_counts.append(len(shared))
    pairs = len(differences)
    source = f"median over {pairs} pair{'s' if pairs > 1 else ''} of {len(wins)} models' paired differences"
    return Spread(spread_of(differences), source), int(np.median(shared_counts))
