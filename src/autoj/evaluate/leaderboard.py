"""Leaderboard rows: AlpacaEval's columns per model, plus who judged, against what, at what cost.

A board file (CSV) is built up by many runs: `update_board` adds or replaces rows by model and
refuses rows judged by another judge or against another reference unless told to mix them, since
win rates against different references or from different judges are not comparable.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from autoj.backends.redaction import redact
from autoj.errors import AutojError
from autoj.evaluate.comparisons import Comparison
from autoj.evaluate.difficulty import LengthControlSetup
from autoj.io.outputs import held_for_update, replace_file
from autoj.stats.lengthcontrol import length_controlled
from autoj.stats.memo import Memo
from autoj.stats.winrate import head_to_head

#: AlpacaEval's leaderboard columns, in its order.
ALPACA_COLUMNS = (
    "win_rate",
    "standard_error",
    "n_wins",
    "n_wins_base",
    "n_draws",
    "n_total",
    "discrete_win_rate",
    "avg_length",
    "length_controlled_winrate",
    "lc_standard_error",
)
JSON_COLUMNS = ("judge_config", "scenario_groups", "reliability", "category_scores")


@dataclass
class LeaderboardRow:
    """One model's row. Percentages are 0-100; `avg_length` is in characters, as AlpacaEval's.

    `benchmark` names the benchmark whose scorer made the row; `score` is its headline figure
    (Arena-Hard: the win probability against the baseline, 0-100, with `score_ci_low/high`;
    MT-Bench: the mean 1-10 grade, with `score_turn_1/2`); `category_scores` holds the mean
    score per category (MT-Bench) or per scenario (autoj-eval).
    """

    model: str
    win_rate: float | None = None
    standard_error: float | None = None
    n_wins: int = 0
    n_wins_base: int = 0
    n_draws: int = 0
    n_total: int = 0
    discrete_win_rate: float | None = None
    avg_length: int = 0
    length_controlled_winrate: float | None = None
    lc_standard_error: float | None = None
    evaluation: str = "pairwise"  # pairwise | rate | annotations
    reference: str = ""
    judge: str = ""
    n_unjudged: int = 0
    mean_rating: float | None = None
    rating_ci_low: float | None = None
    rating_ci_high: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    elapsed_s: float = 0.0
    cost: float | None = None
    lc_method: str = ""
    bt_score: float | None = None
    bt_ci_low: float | None = None
    bt_ci_high: float | None = None
    bt_style_score: float | None = None
    bt_style_ci_low: float | None = None
    bt_style_ci_high: float | None = None
    benchmark: str = ""
    score: float | None = None
    score_ci_low: float | None = None
    score_ci_high: float | None = None
    score_turn_1: float | None = None
    score_turn_2: float | None = None
    updated: str = ""
    judge_config: dict[str, Any] = field(default_factory=dict)
    scenario_groups: dict[str, Any] = field(default_factory=dict)
    group_field: str = ""  # the user's column `scenario_groups` is by; empty: Auto-J's groups
    reliability: dict[str, Any] = field(default_factory=dict)
    category_scores: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_csv(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in self.to_dict().items():
            if name in JSON_COLUMNS:
                out[name] = json.dumps(value, sort_keys=True, ensure_ascii=False) if value else ""
            else:
                out[name] = "" if value is None else str(value)
        return out

    @classmethod
    def from_csv(cls, row: Mapping[str, str], where: str) -> LeaderboardRow:
        """A row read back from a board file; AlpacaEval's own files (model in an unnamed first
        column) read too."""
        values: dict[str, Any] = {}
        model = row.get("model") or row.get("") or ""
        if not model:
            raise AutojError(f"{where}: a leaderboard row without a model name")
        for spec in fields(cls):
            raw = row.get(spec.name)
            if spec.name == "model" or raw in (None, ""):
                continue
            try:
                values[spec.name] = _parse(spec.name, str(spec.type), raw)
            except ValueError:
                raise AutojError(f"{where} column {spec.name!r}: cannot read {raw!r}") from None
        return cls(model=model, **values)

    @property
    def judge_identity(self) -> str:
        """What makes two rows' judges the same: the engine setup without the spec as written
        (backend identity, protocol, orders, decoding), else the judge's name."""
        setup = self.judge_config.get("setup")
        if isinstance(setup, dict):
            return json.dumps({k: v for k, v in setup.items() if k != "judge"}, sort_keys=True)
        return self.judge

    @property
    def sort_key(self) -> float:
        for value in (self.score, self.length_controlled_winrate, self.win_rate, self.mean_rating):
            if value is not None:
                return -value
        return 0.0


def now() -> str:
    """When a row was scored (UTC, to the second)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _parse(name: str, kind: str, raw: str) -> Any:
    if name in JSON_COLUMNS:
        return json.loads(raw)
    if kind.startswith("int"):
        return int(float(raw))
    if kind.startswith("float"):
        return float(raw)
    return raw


def score_comparisons(
    comparisons: Sequence[Comparison],
    setup: LengthControlSetup | None,
    memo: Memo | None = None,
    **extra: Any,
) -> LeaderboardRow:
    """The leaderboard row of one model's comparisons: raw win rate, counts and (with a setup)
    the length-controlled win rate (its fit read back from `memo` when made before)."""
    if not comparisons:
        raise AutojError("no comparisons to score")
    raw = head_to_head([c.preference for c in comparisons])
    row = LeaderboardRow(
        model=comparisons[0].model,
        reference=comparisons[0].reference,
        avg_length=int(sum(len(c.model_output) for c in comparisons) / len(comparisons)),
        n_unjudged=sum(c.preference is None for c in comparisons),
        updated=now(),
        **raw.to_dict(),
        **extra,
    )
    prices = [c.price for c in comparisons if c.price is not None]
    if prices:
        row.cost = round(sum(prices), 6)
    if setup is not None and setup.unavailable is not None:
        row.lc_method = setup.source
    elif setup is not None and raw.n_total:
        lc = length_controlled(comparisons, setup.difficulty, setup.gamed_for(comparisons), memo)
        row.length_controlled_winrate = lc.winrate
        row.lc_standard_error = lc.standard_error
        row.lc_method = setup.source if lc.unavailable is None else f"n/a: {lc.unavailable}; {setup.source}"
    return row


def read_board(path: str | Path) -> list[LeaderboardRow]:
    """The rows of a board file (empty when the file does not exist yet, or is empty)."""
    path = Path(path)
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            LeaderboardRow.from_csv(r, f"{path}:{n}") for n, r in enumerate(csv.DictReader(handle), start=2)
        ]


def write_board(path: str | Path, rows: Iterable[LeaderboardRow]) -> None:
    """Write the rows, best first, replacing the file in one step (a crash leaves the old one; a
    link stays a link)."""
    ordered = sorted(rows, key=lambda r: r.sort_key)
    names = [f.name for f in fields(LeaderboardRow)]

    def write(out: IO[bytes]) -> None:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        writer = csv.DictWriter(text, fieldnames=names)
        writer.writeheader()
        for row in ordered:
            writer.writerow({k: redact(v) for k, v in row.to_csv().items()})
        text.flush()
        text.detach()

    replace_file(path, write, flag="--leaderboard")


def mixing_problems(existing: Sequence[LeaderboardRow], new: Sequence[LeaderboardRow]) -> list[str]:
    """Why the new rows do not belong on the board: another judge or another reference."""
    problems = []
    for old in existing:
        for row in new:
            if old.judge_identity != row.judge_identity:
                problems.append(f"{old.model!r} was judged by {old.judge!r}, {row.model!r} by {row.judge!r}")
            if old.reference != row.reference:
                problems.append(
                    f"{old.model!r} is against {old.reference!r}, {row.model!r} against {row.reference!r}"
                )
            if old.benchmark != row.benchmark:
                problems.append(
                    f"{old.model!r} is on benchmark {old.benchmark or '(none)'!r}, {row.model!r} on "
                    f"{row.benchmark or '(none)'!r}"
                )
            if old.evaluation != row.evaluation:
                problems.append(
                    f"{old.model!r} is a {old.evaluation} row, {row.model!r} a {row.evaluation} row"
                )
    return sorted(set(problems))


def update_board(
    path: str | Path, new: Sequence[LeaderboardRow], allow_mixed: bool = False
) -> list[LeaderboardRow]:
    """Add or replace the models' rows in the board file; returns the whole board.

    Read, change and write happen under the board's lock, so runs updating one board at once
    each add their rows (none is lost to another's write).
    """
    with held_for_update(path, "--leaderboard") as target:
        existing = read_board(target)
        replaced = {r.model for r in new}
        kept = [r for r in existing if r.model not in replaced]
        problems = mixing_problems(kept, new)
        if problems and not allow_mixed:
            shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
            raise AutojError(
                f"{path}: these rows are not comparable with the board's ({shown}); use another board "
                "file, or --allow-mixed to keep them together anyway"
            )
        board = kept + list(new)
        write_board(target, board)
    return sorted(board, key=lambda r: r.sort_key)
