"""Seeded, scenario-stratified subsets, so a CPU run of a weak model finishes in minutes."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def stratified_sample(
    items: Sequence[T],
    stratum: Callable[[T], str],
    *,
    limit: int | None = None,
    per_stratum: int | None = None,
    seed: int = 0,
) -> list[T]:
    """A reproducible subset: up to `per_stratum` items of each stratum, then at most `limit`.

    `limit` alone is spread over the strata round-robin (in a seeded order), so a small limit
    still covers many scenarios. The result keeps the input order, so ids and files line up.
    """
    if limit is None and per_stratum is None:
        return list(items)
    if (limit is not None and limit < 0) or (per_stratum is not None and per_stratum < 0):
        raise ValueError("limit and per-scenario counts must not be negative")
    rng = random.Random(seed)
    groups: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        groups[stratum(item)].append(index)
    queues = []
    for name in sorted(groups):
        indices = groups[name][:]
        rng.shuffle(indices)
        if per_stratum is not None:
            indices = indices[:per_stratum]
        queues.append(indices)
    rng.shuffle(queues)
    chosen: list[int] = []
    depth = 0
    while any(depth < len(q) for q in queues):
        for queue in queues:
            if depth < len(queue):
                chosen.append(queue[depth])
        depth += 1
    if limit is not None:
        chosen = chosen[:limit]
    return [items[i] for i in sorted(chosen)]
