"""What a model-evaluation report shows: leaderboard rows and the judged items behind them.

Inputs are `autoj evaluate` results files (every model's items, told apart by their `model`
field) and leaderboard CSVs. Rows come from the board when one is given, else they are scored
from the results, as `autoj evaluate` scores them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from autoj.errors import AutojError
from autoj.evaluate.annotations import score_groups
from autoj.evaluate.decisions import attach_ranking, paired_table, rank_board
from autoj.evaluate.leaderboard import LeaderboardRow, read_board
from autoj.evaluate.reliability import reliability
from autoj.evaluate.run import comparisons_of, rating_rows
from autoj.io.results import MAX_LINE_BYTES, Result, read_results
from autoj.stats.paired import PairedDifference
from autoj.types import PairItem

BOARD_SUFFIXES = (".csv",)


@dataclass
class Evaluation:
    rows: list[LeaderboardRow]
    results: list[Result] = field(default_factory=list)
    sources: list[Path] = field(default_factory=list)
    paired: list[PairedDifference] = field(default_factory=list)

    @property
    def mode(self) -> str:
        return "rate" if any(r.evaluation == "rate" for r in self.rows) else "pairwise"


def _first_record(path: Path) -> dict[str, object] | None:
    """The first line's JSON object, read bounded; None for anything else (invalid bytes included:
    the results reader then names the file and line)."""
    with path.open("rb") as handle:
        for raw in iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""):
            if raw.strip():
                try:
                    record = json.loads(raw)
                except ValueError:  # not JSON, or not UTF-8
                    return None
                return record if isinstance(record, dict) else None
    return None


def is_evaluation_input(path: str | Path) -> bool:
    """A leaderboard CSV, or a results file written by `autoj evaluate` (items name their model)."""
    path = Path(path)
    if path.suffix.lower() in BOARD_SUFFIXES:
        return True
    if not path.is_file():
        return False
    record = _first_record(path)
    item = record.get("item") if record else None
    meta = item.get("meta") if isinstance(item, dict) else None
    return isinstance(meta, dict) and "model" in meta and "key" in meta


def _with_reliability(
    rows: dict[str, LeaderboardRow], results: Sequence[Result]
) -> dict[str, LeaderboardRow]:
    """Rows that carry no reliability (scored from results, or a board written without one) get
    the judge's, computed from the results: a report of a degenerate judge always says so."""
    pairs = [r for r in results if isinstance(r.item, PairItem)]
    if not pairs or any(row.reliability for row in rows.values()):
        return rows
    judged = reliability(str(pairs[0].provenance.get("judge") or "unknown"), pairs).to_dict()
    return {model: replace(row, reliability=judged) for model, row in rows.items()}


def load_evaluation(paths: Sequence[str | Path]) -> Evaluation:
    """Rows from the boards given (merged by model, later files win), else scored from results."""
    boards = [Path(p) for p in paths if Path(p).suffix.lower() in BOARD_SUFFIXES]
    files = [Path(p) for p in paths if Path(p).suffix.lower() not in BOARD_SUFFIXES]
    for path in [*boards, *files]:
        if not path.is_file():
            raise AutojError(f"file not found: {path}")
    results = [r for path in files for r in read_results(path)]
    rows: dict[str, LeaderboardRow] = {}
    for board in boards:
        rows.update({row.model: row for row in read_board(board)})
    if not rows and results:
        pairs = [r for r in results if isinstance(r.item, PairItem)]
        judge = str(results[0].provenance.get("judge") or "unknown")
        if pairs:
            scored = score_groups(
                comparisons_of(pairs),
                difficulty="estimate",
                classify=False,
                evaluation="pairwise",
                judge=judge,
            )
        else:
            scored = rating_rows(results, judge)
        rows = {row.model: row for row in scored}
    if not rows:
        raise AutojError("nothing to report: give `autoj evaluate` results or a leaderboard CSV")
    rows = _with_reliability(rows, results)
    ordered = sorted(rows.values(), key=lambda r: r.sort_key)
    groups = comparisons_of([r for r in results if isinstance(r.item, PairItem)])
    if groups and not any(row.bt_score is not None for row in ordered):
        ranking = rank_board(groups)
        if ranking is not None:
            attach_ranking(ordered, ranking)
    return Evaluation(ordered, results, [*boards, *files], paired_table(groups) if groups else [])
