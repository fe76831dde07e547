"""Each benchmark's own scoring: judged results in, leaderboard rows out, as its authors compute them.

`SCORERS[benchmark.scoring](results, judge)` gives the rows of every model in `results`:

- `arena-hard`: Arena-Hard-Auto v0.1's `show_result.py`: the two games of each judgment (the
  baseline shown first, then second) become battles, a strong verdict three of them; the score
  is the Bradley-Terry win probability against the baseline with a bootstrap 95% interval
  (`autoj.stats.arena_hard`), fitted over all models in the results together as theirs is.
- `mt-bench`: FastChat's `show_result.py --mode single`: the mean grade of each turn and of all
  turns (failed grades left out, as their -1 scores are); per category, the mean over both turns.
- `autoj-eval`: each answer rated alone; the mean rating with its 95% bootstrap interval, the
  mean per scenario and, per scenario group, its count, mean and interval.
- `winrate` (alpaca_eval, a FILE with a reference): AlpacaEval's columns and the length-controlled
  win rate, the instruction difficulty estimated from the models at hand (as `evaluate_outputs`).
- `rate`: the mean rating with its interval.

Items are expected as `autoj.evaluate.benchmark_items` and `evaluate.run.pair_items` build them:
`meta.model` names the model, `meta.key` the instruction, `meta.reference` the baseline (pairwise),
`meta.turn` and `meta.category` the turn and category (MT-Bench).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean

from autoj.bench.grouping import UNKNOWN, taxonomy_group_of
from autoj.errors import AutojError
from autoj.evaluate.annotations import score_groups
from autoj.evaluate.leaderboard import LeaderboardRow, now
from autoj.evaluate.run import comparisons_of, rating_rows
from autoj.io.results import Result
from autoj.protocols.families.arena_hard import verdict_label
from autoj.stats.arena_hard import arena_hard_scores, game_battles
from autoj.stats.bradley_terry import Battle
from autoj.stats.metrics import bootstrap_ci
from autoj.types import Judgment, PairItem, SingleItem

Scorer = Callable[[Sequence[Result], str], list[LeaderboardRow]]


def _by_model(results: Sequence[Result]) -> dict[str, list[Result]]:
    groups: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        model = result.item.meta.get("model")
        if not isinstance(model, str):
            raise AutojError(f"result {result.id}: no model named in item.meta.model; it cannot be scored")
        groups[model].append(result)
    return dict(groups)


def _label(judgment: Judgment | None) -> str | None:
    if judgment is None or not judgment.ok:
        return None
    found = verdict_label(judgment.raw)
    return found[0] if found else None


def arena_hard_battles(results: Sequence[Result]) -> list[Battle]:
    """Both games of every judgment as battles: game 1 shows the baseline (Response 1) as
    Assistant A, game 2 (the swapped order) shows the model first."""
    battles: list[Battle] = []
    for result in results:
        item = result.item
        if not isinstance(item, PairItem):
            raise AutojError(
                f"result {result.id}: Arena-Hard scores pairwise judgments, this one is a rating"
            )
        model, baseline, key = str(item.meta["model"]), str(item.meta["reference"]), str(item.meta.get("key"))
        battles += game_battles(_label(result.judgment), baseline, model, key, baseline_first=True)
        battles += game_battles(_label(result.swapped), baseline, model, key, baseline_first=False)
    return battles


def arena_hard_rows(results: Sequence[Result], judge: str, rounds: int = 100) -> list[LeaderboardRow]:
    """Arena-Hard's score, interval (`rounds` bootstrap fits) and counts per model (percent, 0-100)."""
    groups = _by_model(results)
    baselines = {str(r.item.meta.get("reference")) for r in results}
    if len(baselines) != 1:
        raise AutojError(
            f"Arena-Hard scores models against one baseline; these results have {sorted(baselines)}"
        )
    baseline = baselines.pop()
    scores = arena_hard_scores(arena_hard_battles(results), baseline, rounds=rounds)
    rows = []
    for model, model_results in groups.items():
        counted = [
            r for r in model_results if _label(r.judgment) is not None or _label(r.swapped) is not None
        ]
        figures = scores.get(model)
        outputs = [len(r.item.response_2) for r in model_results if isinstance(r.item, PairItem)]
        rows.append(
            LeaderboardRow(
                model=model,
                benchmark="arena-hard",
                evaluation="pairwise",
                reference=baseline,
                judge=judge,
                score=figures.score if figures else None,
                score_ci_low=figures.ci_low if figures else None,
                score_ci_high=figures.ci_high if figures else None,
                n_total=len(counted),
                n_unjudged=len(model_results) - len(counted),
                avg_length=int(sum(outputs) / len(outputs)) if outputs else 0,
                updated=now(),
            )
        )
    return sorted(rows, key=lambda r: r.sort_key)


@dataclass(frozen=True)
class MTBenchScores:
    """One model's MT-Bench figures (grades 1-10): overall, per turn, per category, and how many."""

    score: float | None
    turn_1: float | None
    turn_2: float | None
    categories: dict[str, float | None]
    n: int


def _mean(values: Sequence[float]) -> float | None:
    return fmean(values) if values else None


def mt_bench_table(grades: Sequence[tuple[str, str, int, float | None]]) -> dict[str, MTBenchScores]:
    """Per model: the mean of turn 1, of turn 2, of all turns, and of each category over both turns.

    `grades` holds (model, category, turn, grade); a missing grade (a failed judgment) is left out
    of every mean, as FastChat's show_result.py drops its -1 scores.
    """
    table: dict[str, MTBenchScores] = {}
    for model in dict.fromkeys(m for m, *_ in grades):
        mine = [(c, t, g) for m, c, t, g in grades if m == model]
        valid = [(c, t, g) for c, t, g in mine if g is not None]
        table[model] = MTBenchScores(
            score=_mean([g for *_, g in valid]),
            turn_1=_mean([g for _, t, g in valid if t == 1]),
            turn_2=_mean([g for _, t, g in valid if t == 2]),
            categories={
                cat: _mean([g for c, _, g in valid if c == cat]) for cat in dict.fromkeys(c for c, *_ in mine)
            },
            n=len(valid),
        )
    return table


def mt_bench_rows(results: Sequence[Result], judge: str) -> list[LeaderboardRow]:
    """MT-Bench's overall, per-turn and per-category grades per model."""
    grades = []
    for result in results:
        meta = result.item.meta
        if not isinstance(result.item, SingleItem) or "turn" not in meta:
            raise AutojError(
                f"result {result.id}: MT-Bench scores graded turns (item.meta.turn); this is not one"
            )
        grades.append(
            (str(meta["model"]), str(meta.get("category") or UNKNOWN), int(meta["turn"]), result.rating)
        )
    rows = []
    for model, figures in mt_bench_table(grades).items():
        count = sum(1 for m, *_ in grades if m == model)
        rows.append(
            LeaderboardRow(
                model=model,
                benchmark="mt-bench",
                evaluation="rate",
                judge=judge,
                score=figures.score,
                score_turn_1=figures.turn_1,
                score_turn_2=figures.turn_2,
                mean_rating=figures.score,
                category_scores=dict(figures.categories),
                n_total=figures.n,
                n_unjudged=count - figures.n,
                updated=now(),
            )
        )
    return sorted(rows, key=lambda r: r.sort_key)


def rating_profile(
    results: Sequence[Result],
) -> tuple[dict[str, float], dict[str, dict[str, float | int | None]]]:
    """Mean rating per scenario, and per scenario group its count, mean and 95% interval."""
    group_of = taxonomy_group_of()
    by_scenario: dict[str, list[float]] = defaultdict(list)
    by_group: dict[str, list[float]] = defaultdict(list)
    for result in results:
        if result.rating is None:
            continue
        scenario = result.item.scenario or UNKNOWN
        by_scenario[scenario].append(result.rating)
        by_group[group_of(result.item.scenario)].append(result.rating)
    groups: dict[str, dict[str, float | int | None]] = {}
    for group in sorted(by_group):
        interval = bootstrap_ci(by_group[group])
        groups[group] = {
            "n": len(by_group[group]),
            "mean_rating": fmean(by_group[group]),
            "ci_low": interval.low if interval else None,
            "ci_high": interval.high if interval else None,
        }
    return {s: fmean(v) for s, v in sorted(by_scenario.items())}, groups


def autoj_eval_rows(results: Sequence[Result], judge: str) -> list[LeaderboardRow]:
    """Each model's mean rating with its interval, and its profile per scenario and group."""
    groups = _by_model(results)
    rows = rating_rows(results, judge)
    for row in rows:
        scenarios, profile = rating_profile(groups[row.model])
        row.benchmark = "autoj-eval"
        row.score = row.mean_rating
        row.score_ci_low, row.score_ci_high = row.rating_ci_low, row.rating_ci_high
        row.category_scores = dict(scenarios)
        row.scenario_groups = dict(profile)
    return rows


def winrate_rows(results: Sequence[Result], judge: str) -> list[LeaderboardRow]:
    """AlpacaEval's win-rate columns per model, length-controlled, from pairwise results."""
    return score_groups(
        comparisons_of(results), difficulty="estimate", classify=False, evaluation="pairwise", judge=judge
    )


SCORERS: Mapping[str, Scorer] = {
    "winrate": winrate_rows,
    "arena-hard": arena_hard_rows,
    "mt-bench": mt_bench_rows,
    "autoj-eval": autoj_eval_rows,
    "rate": rating_rows,
}


def score_results(
    scoring: str, results: Sequence[Result], judge: str, benchmark: str | None = None
) -> list[LeaderboardRow]:
    """The rows a benchmark's scorer gives (`Benchmark.scoring`), each naming `benchmark` when given."""
    try:
        scorer = SCORERS[scoring]
    except KeyError:
        raise AutojError(f"no scorer {scoring!r}; known: {', '.join(sorted(SCORERS))}") from None
    rows = scorer(results, judge)
    for row in rows:
        row.benchmark = benchmark or row.benchmark
    return rows
