"""Ordering N candidate responses to one query, from pairwise judgments or from ratings.

`pairwise`: every pair of candidates is judged in both orders. A pair's outcome is the verdict the
two orders agree on, and a tie when they disagree (the verdict followed the position, not the
responses). A candidate scores 1 per win and 1/2 per tie; the order is by score, equal scores by
position. The pair matrix is the evidence. `rate`: each candidate is rated alone; the order is by
rating, equal ratings by position, unrated candidates last. Best-of-N is the head of either order.

The functions here are pure: they build the items to judge and score the judged results; the
caller (Judge.rank, `autoj rank`, the service's /v1/rank) runs the items through an engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any, Literal

from autoj.io.results import Result
from autoj.types import Item, PairItem, SingleItem, Verdict

Method = Literal["pairwise", "rate"]
METHODS: tuple[Method, ...] = ("pairwise", "rate")

#: A pair's outcome from its first candidate's side. `split`: the two orders disagreed (scored as
#: a tie); `failed`: either order gave no verdict (scored as nothing).
Outcome = Literal["win", "loss", "tie", "split", "failed"]

_MIRROR: dict[Outcome, Outcome] = {
    "win": "loss",
    "loss": "win",
    "tie": "tie",
    "split": "split",
    "failed": "failed",
}
_POINTS: dict[Outcome, tuple[float, float]] = {
    "win": (1.0, 0.0),
    "loss": (0.0, 1.0),
    "tie": (0.5, 0.5),
    "split": (0.5, 0.5),
    "failed": (0.0, 0.0),
}


@dataclass(frozen=True)
class Ranking:
    """Candidates best first (`order`, indices into the candidates) with the evidence for it.

    `scores`: tournament points (pairwise) or ratings (rate), per candidate in input order, None
    for an unrated candidate. `matrix[i][j]`: candidate i's outcome against j (pairwise only;
    None on the diagonal). `failed`: pairs or candidates the judge gave no verdict or rating for.
    `best` is None only when nothing could be judged. `results`: the judged items the ranking
    comes from (pairs i < j in `pairs_of` order, or candidates in order), when known.
    """

    method: Method
    order: tuple[int, ...]
    scores: tuple[float | None, ...]
    best: int | None
    failed: int
    matrix: tuple[tuple[Outcome | None, ...], ...] | None = None
    results: tuple[Result, ...] = field(default=(), repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "method": self.method,
            "ranking": list(self.order),
            "best": self.best,
            "scores": list(self.scores),
            "failed": self.failed,
        }
        if self.matrix is not None:
            data["matrix"] = [list(row) for row in self.matrix]
        return data


def pairs_of(n: int) -> list[tuple[int, int]]:
    """Every unordered pair (i, j), i < j, of n candidates, in a fixed order."""
    return list(combinations(range(n), 2))


def rank_items(method: Method, query: str, candidates: Sequence[str], id_prefix: str = "") -> list[Item]:
    """The items to judge for one query: every pair (judge them in both orders) or every candidate.

    Ids are `{id_prefix}{i}-{j}` for pairs and `{id_prefix}{i}` for candidates; `ranking_of`
    expects the results in this order.
    """
    if not candidates:
        raise ValueError("nothing to rank: no candidates")
    if method == "pairwise":
        return [
            PairItem(query, candidates[i], candidates[j], id=f"{id_prefix}{i}-{j}")
            for i, j in pairs_of(len(candidates))
        ]
    return [SingleItem(query, text, id=f"{id_prefix}{n}") for n, text in enumerate(candidates)]


def pair_outcome(result: Result) -> Outcome:
    """The outcome for the pair's first response of a pair judged in both orders."""
    if result.swapped is None:
        raise ValueError(f"pair {result.id!r} was judged in one order; a tournament needs both")
    if result.judgment.verdict is None or result.swapped_verdict is None:
        return "failed"
    if not result.consistent:
        return "split"
    if result.judgment.verdict is Verdict.TIE:
        return "tie"
    return "win" if result.judgment.verdict is Verdict.RESPONSE_1 else "loss"


def tournament(n: int, outcomes: Mapping[tuple[int, int], Outcome]) -> Ranking:
    """Score a round robin: `outcomes[(i, j)]` (i < j) for every pair of the n candidates."""
    expected = pairs_of(n)
    if sorted(outcomes) != expected:
        missing = sorted(set(expected) - set(outcomes))
        extra = sorted(set(outcomes) - set(expected))
        raise ValueError(f"a tournament of {n} needs every pair once; missing {missing}, unexpected {extra}")
    scores = [0.0] * n
    matrix: list[list[Outcome | None]] = [[None] * n for _ in range(n)]
    for (i, j), outcome in outcomes.items():
        matrix[i][j], matrix[j][i] = outcome, _MIRROR[outcome]
        first, second = _POINTS[outcome]
        scores[i] += first
        scores[j] += second
    failed = sum(outcome == "failed" for outcome in outcomes.values())
    order = tuple(sorted(range(n), key=lambda k: (-scores[k], k)))
    return Ranking(
        method="pairwise",
        order=order,
        scores=tuple(scores),
        best=order[0] if not outcomes or failed < len(outcomes) else None,
        failed=failed,
        matrix=tuple(tuple(row) for row in matrix),
    )


def by_ratings(ratings: Sequence[float | None]) -> Ranking:
    """Order by rating, equal ratings by position, unrated candidates last."""
    order = tuple(sorted(range(len(ratings)), key=lambda i: (ratings[i] is None, -(ratings[i] or 0.0), i)))
    rated = [r for r in ratings if r is not None]
    return Ranking(
        method="rate",
        order=order,
        scores=tuple(ratings),
        best=order[0] if rated else None,
        failed=len(ratings) - len(rated),
    )


def ranking_of(method: Method, n: int, results: Sequence[Result]) -> Ranking:
    """The ranking of n candidates from the judged `rank_items(method, ...)`, in that order."""
    if method == "pairwise":
        pairs = pairs_of(n)
        if len(results) != len(pairs):
            raise ValueError(f"{len(results)} results for the {len(pairs)} pairs of {n} candidates")
        ranked = tournament(n, {pair: pair_outcome(r) for pair, r in zip(pairs, results, strict=True)})
    else:
        if len(results) != n:
            raise ValueError(f"{len(results)} results for {n} candidates")
        ranked = by_ratings([r.rating for r in results])
    return replace(ranked, results=tuple(results))
