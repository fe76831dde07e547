"""Stage 3, balance: at most `cap` samples per scenario and kind, chosen with a seeded RNG.

The paper keeps at most 100 per scenario so that a few frequent scenarios (chit-chat, coding)
do not drown the rare ones. `total` optionally takes an even, seeded subsample of what remains,
round-robin over scenarios, for small trial runs.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autoj.types import Item, PairItem

PAPER_CAP = 100


@dataclass
class BalanceReport:
    cap: int
    seed: int
    before: Counter[str] = field(default_factory=Counter)
    after: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": "balance",
            "cap": self.cap,
            "seed": self.seed,
            "before": sum(self.before.values()),
            "after": sum(self.after.values()),
            "scenarios_before": len(self.before),
            "scenarios_after": len(self.after),
            "largest_before": dict(self.before.most_common(5)),
            "largest_after": dict(self.after.most_common(5)),
            "distribution": {k: [self.before[k], self.after.get(k, 0)] for k, _ in self.before.most_common()},
        }


def _kind(sample: Item) -> str:
    return "pairwise" if isinstance(sample, PairItem) else "single"


def balance(
    samples: Sequence[Item], cap: int = PAPER_CAP, seed: int = 0, total: int | None = None
) -> tuple[list[Item], BalanceReport]:
    """Samples capped per (kind, scenario); output keeps the input order, so runs diff cleanly."""
    if cap < 1:
        raise ValueError("cap must be at least 1")
    rng = random.Random(seed)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for n, sample in enumerate(samples):
        groups[(_kind(sample), sample.scenario or "unclassified")].append(n)
    chosen: dict[tuple[str, str], list[int]] = {}
    for key in sorted(groups):
        members = groups[key]
        picked = members if len(members) <= cap else rng.sample(members, cap)
        chosen[key] = rng.sample(picked, len(picked))  # a seeded order for the round-robin below
    keep = set(_round_robin(chosen, total)) if total is not None else {n for v in chosen.values() for n in v}
    report = BalanceReport(cap=cap, seed=seed)
    out: list[Item] = []
    for n, sample in enumerate(samples):
        label = f"{_kind(sample)}/{sample.scenario or 'unclassified'}"
        report.before[label] += 1
        if n in keep:
            report.after[label] += 1
            out.append(sample)
    return out, report


def _round_robin(groups: dict[tuple[str, str], list[int]], total: int) -> list[int]:
    """Up to `total` indices, taking one from each group in turn so every scenario is represented."""
    queues = {key: list(members) for key, members in groups.items()}
    taken: list[int] = []
    while len(taken) < total and any(queues.values()):
        for key in sorted(queues):
            if queues[key] and len(taken) < total:
                taken.append(queues[key].pop(0))
    return taken
