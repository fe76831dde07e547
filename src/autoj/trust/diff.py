"""Changing judges: how far two judges' figures and verdicts differ on the same items.

Two boards (leaderboard CSVs) give the model orders and each model's shift (from the rows'
standard errors). Two results files over the same items give more: verdict agreement and Cohen's
kappa on the shared items, each model's shift from paired per-item differences, and the items
where the judges disagree most, with both critiques. A predictions file (Auto-J's released form,
one verdict per line) counts as a results file over the labelled pairs it lines up with.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scipy.stats import kendalltau

from autoj.bench.data import load_predictions
from autoj.errors import AutojError
from autoj.evaluate.leaderboard import read_board
from autoj.io.results import read_results
from autoj.stats.metrics import Interval, bootstrap_ci, cohen_kappa, share_of
from autoj.stats.ppi import MeanInterval, TooFewLabels
from autoj.stats.shift import independent_shift, paired_shift
from autoj.trust.calibration import judge_value
from autoj.types import PairItem, Verdict

#: The figure a plain pairwise file is summarised by (evaluate results: each model's win rate).
RESPONSE_1_SHARE = "response 1 share"


@dataclass(frozen=True)
class Judged:
    """One item as one judge saw it: its verdict, value for response 1 (orders averaged), critiques."""

    id: str
    verdict: Verdict | None
    value: float
    group: str
    query: str = ""
    critiques: tuple[str, ...] = ()


@dataclass(frozen=True)
class Side:
    """What one file says: a board's rows, or judged items by id."""

    name: str
    rows: dict[str, tuple[float, float | None]] = field(default_factory=dict)  # model -> (win %, se)
    items: dict[str, Judged] = field(default_factory=dict)

    @property
    def is_board(self) -> bool:
        return not self.items


def _first_record(path: Path) -> dict[str, Any] | None:
    with path.open("rb") as handle:
        for raw in handle:
            if raw.strip():
                try:
                    record = json.loads(raw)
                except ValueError:
                    return None
                return record if isinstance(record, dict) else None
    return None


def load_side(
    path: Path, pairs: Callable[[], Sequence[PairItem]] | None = None, field_name: str = "output"
) -> Side:
    """A board CSV, an autoj results file, or a predictions file lined up with `pairs()` (read
    only when needed)."""
    if not path.is_file():
        raise AutojError(f"file not found: {path}")
    if path.suffix.lower() == ".csv":
        rows = {r.model: r for r in read_board(path)}
        board = {m: (r.win_rate, r.standard_error) for m, r in rows.items() if r.win_rate is not None}
        if not board:
            raise AutojError(f"{path}: no pairwise win rates on this board")
        return Side(path.name, rows=board)
    first = _first_record(path)
    if first is not None and "judgment" in first:
        return Side(path.name, items=_from_results(path))
    if pairs is None:
        raise AutojError(f"{path} is not an autoj results file; a predictions file needs the pairs (--data)")

    verdicts, lined_up = load_predictions(path, field_name), pairs()
    if len(verdicts) != len(lined_up):
        raise AutojError(f"{path}: {len(verdicts)} predictions for {len(lined_up)} pairs; they must line up")
    items = {
        p.id: Judged(p.id, v, judge_value(v, None), RESPONSE_1_SHARE, p.query)
        for p, v in zip(lined_up, verdicts, strict=True)
    }
    return Side(path.name, items=items)


def _from_results(path: Path) -> dict[str, Judged]:
    found: dict[str, Judged] = {}
    for result in read_results(path):
        item = result.item
        if not isinstance(item, PairItem):
            continue
        swapped = result.swapped.verdict if result.swapped is not None else None
        value = judge_value(result.judgment.verdict, swapped)
        model = item.meta.get("model") if "reference" in item.meta else None
        critiques = tuple(j.critique for j in (result.judgment, result.swapped) if j is not None)
        found[item.id] = Judged(
            item.id,
            result.verdict,
            1.0 - value if model is not None else value,  # a model's side: its win
            str(model) if model is not None else RESPONSE_1_SHARE,
            item.query,
            critiques,
        )
    if not found:
        raise AutojError(f"{path}: no pairwise results to compare")
    return found


@dataclass(frozen=True)
class Shift:
    """One model's figure under each judge (percent) and the change with its interval."""

    model: str
    before: float
    after: float
    shift: MeanInterval | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "a": self.before,
            "b": self.after,
            "shift": None if self.shift is None else self.shift.to_dict(),
        }


@dataclass(frozen=True)
class Disagreement:
    """An item the judges see most differently (|difference of their values|, 1 = opposite)."""

    id: str
    gap: float
    a: Judged
    b: Judged

    def to_dict(self) -> dict[str, Any]:
        def side(j: Judged) -> dict[str, Any]:
            return {"verdict": j.verdict.value if j.verdict else None, "critiques": list(j.critiques)}

        return {"id": self.id, "gap": self.gap, "query": self.a.query, "a": side(self.a), "b": side(self.b)}


@dataclass(frozen=True)
class JudgesDiff:
    a: str
    b: str
    shared: int
    kendall_tau: float | None
    shifts: list[Shift]
    verdict_agreement: float | None = None
    verdict_agreement_ci: Interval | None = None
    kappa: float | None = None
    both_parsed: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        ci = self.verdict_agreement_ci
        return {
            "a": self.a,
            "b": self.b,
            "shared": self.shared,
            "kendall_tau": self.kendall_tau,
            "shifts": [s.to_dict() for s in self.shifts],
            "verdict_agreement": self.verdict_agreement,
            "verdict_agreement_ci": None if ci is None else [ci.low, ci.high],
            "kappa": self.kappa,
            "both_parsed": self.both_parsed,
            "disagreements": [d.to_dict() for d in self.disagreements],
        }


def _tau(before: Mapping[str, float], after: Mapping[str, float]) -> float | None:
    models = sorted(before.keys() & after.keys())
    if len(models) < 2:
        return None
    value = float(kendalltau([before[m] for m in models], [after[m] for m in models])[0])
    return None if value != value else value  # NaN: one side ranks every model equal


def diff_boards(a: Side, b: Side) -> JudgesDiff:
    shared = sorted(a.rows.keys() & b.rows.keys())
    if not shared:
        raise AutojError(f"{a.name} and {b.name} share no model: compare boards of the same models")
    shifts = []
    for model in shared:
        (before, before_se), (after, after_se) = a.rows[model], b.rows[model]
        interval = (
            independent_shift(before, before_se, after, after_se)
            if before_se is not None and after_se is not None
            else None
        )
        shifts.append(Shift(model, before, after, interval))
    return JudgesDiff(
        a.name,
        b.name,
        len(shared),
        _tau({m: v for m, (v, _) in a.rows.items()}, {m: v for m, (v, _) in b.rows.items()}),
        shifts,
    )


def diff_items(a: Side, b: Side, top: int = 5, seed: int = 0) -> JudgesDiff:
    shared = sorted(a.items.keys() & b.items.keys())
    if not shared:
        raise AutojError(f"{a.name} and {b.name} share no item id: compare results over the same items")
    by_group: dict[str, list[str]] = {}
    for item_id in shared:
        by_group.setdefault(a.items[item_id].group, []).append(item_id)
    shifts = []
    for group, ids in sorted(by_group.items()):
        before = [100 * a.items[i].value for i in ids]
        after = [100 * b.items[i].value for i in ids]
        try:
            interval: MeanInterval | None = paired_shift(before, after)
        except TooFewLabels:
            interval = None
        shifts.append(Shift(group, sum(before) / len(ids), sum(after) / len(ids), interval))
    parsed = [i for i in shared if a.items[i].verdict is not None and b.items[i].verdict is not None]
    first = [a.items[i].verdict for i in parsed]
    second = [b.items[i].verdict for i in parsed]
    hits = [x == y for x, y in zip(first, second, strict=True)]
    gaps = sorted(
        ((abs(a.items[i].value - b.items[i].value), i) for i in shared), key=lambda g: (-g[0], g[1])
    )
    return JudgesDiff(
        a.name,
        b.name,
        len(shared),
        _tau({s.model: s.before for s in shifts}, {s.model: s.after for s in shifts}),
        shifts,
        verdict_agreement=share_of(hits),
        verdict_agreement_ci=bootstrap_ci(hits, seed=seed),
        kappa=cohen_kappa([v for v in first if v is not None], second),
        both_parsed=len(parsed),
        disagreements=[Disagreement(i, gap, a.items[i], b.items[i]) for gap, i in gaps[:top] if gap > 0],
    )


def judges_diff(a: Side, b: Side, top: int = 5, seed: int = 0) -> JudgesDiff:
    """Boards against boards, item files against item files; a mix is refused."""
    if a.is_board != b.is_board:
        raise AutojError("compare two boards or two results files, not one of each")
    return diff_boards(a, b) if a.is_board else diff_items(a, b, top, seed)
