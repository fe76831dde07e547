"""Length-controlled win rate of each public AlpacaEval 2 model evaluated alone, against the published.

    PYTHONPATH=src .venv/bin/python benchmarks/lc_single_model.py [--difficulty auto|shipped|estimate]

Each of the 20 public annotation sets is scored on its own (`score_groups` with that one model, as
`autoj evaluate --annotations ONE_FILE` does), so the instruction difficulty cannot come from the
other models: by default it is the shipped AlpacaEval 2 difficulty (or the hub's when reachable).
Prints, per model, the published LC, ours alone and the difference, then the mean and largest
absolute difference and the Spearman rank correlation. Reads ../shared/data (or $AUTOJ_DATA_DIR).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _public_alpaca_eval import public_alpaca_eval
from scipy.stats import spearmanr

from autoj.evaluate import load_annotation_groups, score_groups


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--difficulty", default="auto", help="instruction difficulty source (default auto)")
    args = parser.parse_args()
    found = public_alpaca_eval()
    if found is None:
        return 1
    rows, files = found
    published = {model: float(row["length_controlled_winrate"]) for model, row in rows.items()}
    started = time.perf_counter()
    groups = load_annotation_groups(files, name_from="file")
    print(f"{'model':36} {'published LC':>12} {'alone':>8} {'diff':>7}")
    ours, theirs, method = [], [], ""
    for model in sorted(groups, key=lambda m: -published[m]):
        row = score_groups({model: groups[model]}, difficulty=args.difficulty, classify=False)[0]
        method = row.lc_method
        if row.length_controlled_winrate is None:
            print(f"{model:36} {published[model]:12.2f} {'n/a':>8}  ({row.lc_method})")
            continue
        ours.append(row.length_controlled_winrate)
        theirs.append(published[model])
        print(f"{model:36} {published[model]:12.2f} {ours[-1]:8.2f} {ours[-1] - theirs[-1]:+7.2f}")
    gaps = np.abs(np.array(ours) - np.array(theirs))
    print()
    if len(gaps):
        print(
            f"{len(gaps)} models alone: mean |diff| {gaps.mean():.2f}, largest {gaps.max():.2f}, "
            f"within 1 point {int((gaps < 1).sum())}/{len(gaps)}, "
            f"Spearman {spearmanr(ours, theirs).statistic:.3f}"
        )
    print(f"length control: {method}")
    print(f"{len(groups)} models scored one at a time in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
