"""AlpacaEval 2's published leaderboard and its 20 public annotation sets, as the benchmarks that
compare with them find them (../shared/data, or $AUTOJ_DATA_DIR)."""

from __future__ import annotations

import csv
from pathlib import Path

from autoj.data.datadir import data_path, missing_data_message

LEADERBOARD = "alpaca_eval/leaderboards/data_AlpacaEval_2__weighted_alpaca_eval_gpt4_turbo_leaderboard.csv"
ANNOTATIONS = "alpaca_eval/annotations"


def public_alpaca_eval() -> tuple[dict[str, dict[str, str]], list[Path]] | None:
    """The published rows by model and the annotation files, in name order; None (the missing
    file named on the terminal) where the data is absent."""
    board, folder = data_path(LEADERBOARD), data_path(ANNOTATIONS)
    if board is None or folder is None:
        print(missing_data_message(LEADERBOARD if board is None else ANNOTATIONS))
        return None
    with board.open(newline="", encoding="utf-8") as handle:
        published = {row[""]: row for row in csv.DictReader(handle)}
    return published, sorted(folder.glob("*.json.gz"))
