"""What a board decides: paired differences between its models and a Bradley-Terry ranking with
intervals (raw and style-controlled), computed from the comparisons behind the rows.

Every comparison has the reference as Response 1 (`output_1`) and the model as Response 2; a
preference on alpaca_eval's [1, 2] scale becomes the model's win in [0, 1]. When both orders were
judged, each order is its own battle, so the ranking's bootstrap resamples the judge's
disagreements with itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

from autoj.evaluate.comparisons import Comparison
from autoj.evaluate.leaderboard import LeaderboardRow
from autoj.stats.bradley_terry import ROUNDS, Battle, Ranking, rank
from autoj.stats.memo import Memo
from autoj.stats.paired import PairedDifference, paired_difference
from autoj.stats.winrate import DRAW


def win_of(preference: float | None) -> float | None:
    """A preference in [1, 2] (0 an old draw) as the model's win in [0, 1]; None stays None."""
    if preference is None:
        return None
    return (DRAW if preference == 0 else preference) - 1.0


def _wins(comparisons: Sequence[Comparison]) -> dict[str, float]:
    return {c.key: w for c in comparisons if (w := win_of(c.preference)) is not None}


def paired_table(groups: Mapping[str, Sequence[Comparison]], seed: int = 0) -> list[PairedDifference]:
    """Every model against the reference directly (its win rate minus 50), then every pair of
    models on the instructions both were judged on (first minus second), in win-rate points."""
    found: list[PairedDifference] = []
    wins = {model: _wins(comparisons) for model, comparisons in groups.items() if comparisons}
    reference = {model: groups[model][0].reference for model in wins}
    for model, values in wins.items():
        differences = 100.0 * (np.array(list(values.values())) - 0.5)
        found.append(
            paired_difference(
                model, reference[model], differences, reference=reference[model], via="direct", seed=seed
            )
        )
    for first, second in combinations(wins, 2):
        shared = [k for k in wins[first] if k in wins[second]]
        differences = 100.0 * np.array([wins[first][k] - wins[second][k] for k in shared])
        found.append(
            paired_difference(
                first, second, differences, reference=reference[first], via="reference", seed=seed
            )
        )
    return found


def battles_of(groups: Mapping[str, Sequence[Comparison]]) -> list[Battle]:
    """One battle per judgment: per order when both orders were judged, else the preference."""
    battles = []
    for comparisons in groups.values():
        for c in comparisons:
            outcomes = [w for p in (c.orders or (c.preference,)) if (w := win_of(p)) is not None]
            battles += [
                Battle(c.model, c.reference, c.key, w, c.model_output, c.reference_output) for w in outcomes
            ]
    return battles


@dataclass(frozen=True)
class BoardRanking:
    """The raw and the style-controlled ranking of one board, and the summary the JSON carries."""

    raw: Ranking
    style: Ranking | None
    summary: dict[str, Any] = field(default_factory=dict)


def rank_board(
    groups: Mapping[str, Sequence[Comparison]],
    *,
    rounds: int = ROUNDS,
    seed: int = 0,
    style: bool = True,
    memo: Memo | None = None,
) -> BoardRanking | None:
    """Bradley-Terry over every model's battles (None when there are none; fits made before on the
    same battles read back from `memo`)."""
    battles = battles_of(groups)
    if not battles:
        return None
    reference = battles[0].model_b
    raw = rank(battles, reference, rounds=rounds, seed=seed, memo=memo)
    styled = rank(battles, reference, style=True, rounds=rounds, seed=seed, memo=memo) if style else None
    summary: dict[str, Any] = {
        "reference": reference,
        "scale": "win rate against the reference from the Bradley-Terry fit (reference = 50)",
        "interval": f"95% percentile bootstrap over instructions, {rounds} rounds, seed {seed}",
        "separability": raw.separability,
    }
    if styled is not None:
        summary["style_separability"] = styled.separability
        summary["style_weights"] = styled.style_weights
    return BoardRanking(raw, styled, summary)


def attach_ranking(rows: Sequence[LeaderboardRow], ranking: BoardRanking) -> None:
    """Put each row's scores on it (rows of models outside the fit keep None)."""
    raw = ranking.raw.by_model()
    styled = ranking.style.by_model() if ranking.style is not None else {}
    for row in rows:
        if row.model in raw:
            s = raw[row.model]
            row.bt_score, row.bt_ci_low, row.bt_ci_high = s.score, s.ci_low, s.ci_high
        if row.model in styled:
            s = styled[row.model]
            row.bt_style_score, row.bt_style_ci_low, row.bt_style_ci_high = s.score, s.ci_low, s.ci_high


@dataclass(frozen=True)
class Decisions:
    """A run's paired differences (when asked for) and its ranking summary (when ranked)."""

    paired: list[PairedDifference]
    ranking: BoardRanking | None

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.ranking is not None:
            found["ranking"] = self.ranking.summary
        if self.paired:
            found["paired"] = [p.to_dict() for p in self.paired]
        return found


def decide(
    groups: Mapping[str, Sequence[Comparison]],
    rows: Sequence[LeaderboardRow],
    *,
    paired: bool,
    ranking: bool,
    rounds: int = ROUNDS,
    seed: int = 0,
    memo: Memo | None = None,
) -> Decisions:
    """Rank the rows' models (their scores put on the rows) and, when asked, pair them."""
    board = rank_board(groups, rounds=rounds, seed=seed, memo=memo) if ranking and groups else None
    if board is not None:
        attach_ranking(rows, board)
    return Decisions(paired_table(groups, seed=seed) if paired and groups else [], board)
