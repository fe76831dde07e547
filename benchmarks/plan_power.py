"""The spread of paired differences on AlpacaEval 2's 20 public models, and what it means for size.

    PYTHONPATH=src .venv/bin/python benchmarks/plan_power.py

For every pair of the 20 public annotation sets (GPT-4 Turbo judge, 805 instructions): the
standard deviation of the per-instruction difference of their preferences, in win-rate points.
Prints its median (the default spread of `autoj plan`, `autoj.stats.power.DEFAULT_SD`), its 10th
and 90th percentiles, then the instructions needed for a 2- and a 5-point gap at 80% power and the
smallest gap 805 instructions detect. Reads ../shared/data (or $AUTOJ_DATA_DIR).
"""

from __future__ import annotations

import sys

import numpy as np

from autoj.data.datadir import data_path, missing_data_message
from autoj.evaluate.plan import load_comparisons, observed_spread
from autoj.stats.power import DEFAULT_SD, instructions_needed, smallest_gap

ANNOTATIONS = "alpaca_eval/annotations"


def main() -> int:
    folder = data_path(ANNOTATIONS)
    if folder is None:
        print(missing_data_message(ANNOTATIONS))
        return 1
    groups = load_comparisons(sorted(folder.glob("*.json.gz")))
    spread, n = observed_spread(groups)
    models = list(groups)
    sds = []
    for i, first in enumerate(models):
        wins_a = {c.key: c.preference for c in groups[first] if c.preference is not None}
        for second in models[i + 1 :]:
            wins_b = {c.key: c.preference for c in groups[second] if c.preference is not None}
            shared = [k for k in wins_a if k in wins_b]
            sds.append(float(np.std([100 * (wins_a[k] - wins_b[k]) for k in shared], ddof=1)))
    low, high = np.percentile(sds, [10, 90])
    print(f"{len(sds)} pairs of {len(models)} models on {n} instructions")
    print(
        f"sd of per-instruction differences: median {spread.sd:.1f} points (10th-90th {low:.1f}-{high:.1f})"
    )
    print(f"shipped default (autoj.stats.power.DEFAULT_SD): {DEFAULT_SD}")
    for gap in (2.0, 5.0):
        print(
            f"  {gap:g}-point gap: {instructions_needed(gap, spread.sd)} instructions (80% power, level 0.05)"
        )
    print(f"  805 instructions detect {smallest_gap(805, spread.sd):.2f} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
