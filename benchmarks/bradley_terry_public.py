"""Bradley-Terry ranking of AlpacaEval 2's 20 public models beside the published board.

    PYTHONPATH=src .venv/bin/python benchmarks/bradley_terry_public.py [--rounds 100]

All 20 annotation sets against gpt4_1106_preview as one board (`autoj.evaluate.decisions.rank_board`):
per model the BT score with its 95% bootstrap interval, raw and style-controlled (Arena-Hard's
length and markdown controls), beside the published win rate and LC win rate. Prints the Spearman
correlation of each score with each published column, and the separability of both rankings.
Reads ../shared/data (or $AUTOJ_DATA_DIR).
"""

from __future__ import annotations

import argparse
import sys
import time

from _public_alpaca_eval import public_alpaca_eval
from scipy.stats import spearmanr

from autoj.evaluate import load_annotation_groups
from autoj.evaluate.decisions import rank_board


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100, help="bootstrap rounds (default 100)")
    args = parser.parse_args()
    found = public_alpaca_eval()
    if found is None:
        return 1
    published, files = found
    started = time.perf_counter()
    groups = load_annotation_groups(files, name_from="file")
    ranking = rank_board(groups, rounds=args.rounds, seed=0)
    assert ranking is not None and ranking.style is not None
    elapsed = time.perf_counter() - started
    styled = ranking.style.by_model()
    print(f"{'model':36} {'win rate':>8} {'LC':>6} {'BT':>6} {'95% CI':>13} {'BT style':>8} {'95% CI':>13}")
    rows = [s for s in ranking.raw.strengths if s.model != ranking.raw.reference]
    for s in rows:
        t = styled[s.model]
        pub = published[s.model]
        print(
            f"{s.model:36} {float(pub['win_rate']):8.2f} {float(pub['length_controlled_winrate']):6.2f} "
            f"{s.score:6.2f} {s.ci_low:6.2f}-{s.ci_high:6.2f} {t.score:8.2f} {t.ci_low:6.2f}-{t.ci_high:6.2f}"
        )
    print()
    for name, scores in (
        ("BT", {s.model: s.score for s in rows}),
        ("BT style", {m: styled[m].score for m in styled}),
    ):
        for column in ("win_rate", "length_controlled_winrate"):
            models = [s.model for s in rows]
            rho = spearmanr(
                [scores[m] for m in models], [float(published[m][column]) for m in models]
            ).statistic
            print(f"Spearman {name} vs published {column}: {rho:.3f}")
    print(
        "separability (pairs of the 20 with non-overlapping 95% intervals): "
        f"raw {ranking.raw.separability:.3f}, "
        f"style-controlled {ranking.style.separability:.3f}"
    )
    print(f"style weights: {', '.join(f'{k} {v:.3f}' for k, v in ranking.style.style_weights.items())}")
    print(f"{args.rounds} bootstrap rounds, seed 0, both rankings in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
