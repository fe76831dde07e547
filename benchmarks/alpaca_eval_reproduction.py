"""Reproduce AlpacaEval 2's leaderboard from its 20 annotation files: ours beside the published.

    .venv/bin/python benchmarks/alpaca_eval_reproduction.py [--difficulty auto|estimate|hub|none|FILE]

Prints, per model, the published and our win_rate, standard_error, discrete_win_rate and
length-controlled win rate, then the largest raw difference, the mean and largest LC difference,
how many models are within one point, and the Spearman rank correlation of the LC columns.
Reads ../shared/data (or $AUTOJ_DATA_DIR); prints what is missing otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time

from _public_alpaca_eval import public_alpaca_eval
from scipy.stats import spearmanr

from autoj.evaluate import load_annotation_groups, score_groups

RAW = ("win_rate", "standard_error", "discrete_win_rate")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--difficulty", default="auto", help="instruction difficulty source (default auto)")
    parser.add_argument("--gamed", default=None, help="regularisation rows: a df_gamed.csv, hub, or none")
    args = parser.parse_args()
    found = public_alpaca_eval()
    if found is None:
        return 1
    published, files = found
    started = time.perf_counter()
    groups = load_annotation_groups(files, name_from="file")
    rows = score_groups(groups, difficulty=args.difficulty, gamed=args.gamed, classify=False)
    elapsed = time.perf_counter() - started
    print(f"{'model':36} " + " ".join(f"{c[:13]:>13} {'ours':>7}" for c in (*RAW, "LC")) + "    LC diff")
    raw_worst = 0.0
    lc_diffs, ours, theirs = [], [], []
    for row in rows:
        pub = published[row.model]
        cells = []
        for column in RAW:
            mine, other = getattr(row, column), float(pub[column])
            raw_worst = max(raw_worst, abs(mine - other))
            cells.append(f"{other:13.2f} {mine:7.2f}")
        lc, pub_lc = row.length_controlled_winrate, float(pub["length_controlled_winrate"])
        assert lc is not None
        lc_diffs.append(lc - pub_lc)
        ours.append(lc)
        theirs.append(pub_lc)
        cells.append(f"{pub_lc:13.2f} {lc:7.2f}")
        print(f"{row.model:36} " + " ".join(cells) + f"    {lc - pub_lc:+6.2f}")
    absolute = [abs(d) for d in lc_diffs]
    print()
    print(f"raw columns (win_rate, standard_error, discrete_win_rate): largest difference {raw_worst:.2e}")
    print(
        f"LC: mean |diff| {sum(absolute) / len(absolute):.2f}, largest {max(absolute):.2f} "
        f"({rows[absolute.index(max(absolute))].model}), within 1 point: {sum(a < 1 for a in absolute)}/"
        f"{len(absolute)}, Spearman {spearmanr(ours, theirs).statistic:.3f}"
    )
    print(f"length control: {rows[0].lc_method}")
    print(f"{len(rows)} models scored in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
