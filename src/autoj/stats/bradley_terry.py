"""Bradley-Terry ranking of many models from their battles, with bootstrap intervals and
Arena-Hard's style control.

Every battle is one judgment of model A against model B on one instruction: an outcome in [0, 1]
(1 A won, 0 B won, 0.5 a tie, or a judge's probability). The fit is a logistic regression with one
strength per model (the reference's fixed at 0, a weak ridge keeping strengths finite when a model
wins or loses everything); a model's score is its predicted win rate against the reference, in
percent, so the reference is 50, as Arena-Hard reports it.

The bootstrap resamples instructions (all battles on a drawn instruction come along), and within
an instruction the several judgments of one pair (both orders) are resampled too: a pair the two
orders disagreed on is a win in some replicates and a loss in others, so the judge's own noise
widens the interval instead of being fixed at a tie.

Style control (Arena-Hard's `--control-features length markdown`): the fit gets, per battle, the
difference in length ((a - b) / (a + b)) and in the densities of markdown headers, list items and
bold spans ((da - db) / (da + db + 1), density = count / length), each standardised over the
battles; the model strengths are then what remains once style is accounted for.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.optimize import minimize

from autoj.stats.memo import Memo, Part, figure_key, remembered
from autoj.stats.style import markdown_counts

#: Strength of the ridge on model strengths (absolute, not per battle): against the curvature of
#: a model's likelihood (battles x p(1 - p), tens to hundreds) it moves no fitted score, yet an
#: undefeated model's strength stays finite (about log(battles / 0.02)).
RIDGE = 1e-2
ROUNDS = 100
LEVEL = 0.95
STYLE_FEATURES = ("length", "headers", "list_items", "bold")


@dataclass(frozen=True)
class Battle:
    """One judgment: `outcome` is the probability that `model_a` won on `instruction`; `text_a`
    and `text_b` are the two outputs (needed for style control only)."""

    model_a: str
    model_b: str
    instruction: str
    outcome: float
    text_a: str = ""
    text_b: str = ""


@dataclass(frozen=True)
class Strength:
    """One model's score (win rate against the reference, percent) and its bootstrap interval."""

    model: str
    score: float
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class Ranking:
    """Every model's strength, best first, and (with style control) the style terms' weights."""

    reference: str
    strengths: list[Strength]
    style_weights: dict[str, float] = field(default_factory=dict)
    rounds: int = ROUNDS
    seed: int = 0

    def by_model(self) -> dict[str, Strength]:
        return {s.model: s for s in self.strengths}

    @property
    def separability(self) -> float | None:
        """Share of pairs of models (the reference aside) whose intervals do not overlap."""
        return separability([s for s in self.strengths if s.model != self.reference])


def style_counts(text: str) -> np.ndarray:
    """Length in characters and the markdown counts Arena-Hard controls for, code blocks removed."""
    return np.array([len(text), *markdown_counts(text)], dtype=float)


def style_features(battles: Sequence[Battle]) -> np.ndarray:
    """Arena-Hard's normalised style differences of A minus B, one row per battle."""
    a = np.array([style_counts(b.text_a) for b in battles]).reshape(-1, len(STYLE_FEATURES))
    b = np.array([style_counts(b.text_b) for b in battles]).reshape(-1, len(STYLE_FEATURES))
    out = np.zeros_like(a)
    total = a[:, 0] + b[:, 0]
    out[:, 0] = np.divide(a[:, 0] - b[:, 0], total, out=np.zeros_like(total), where=total > 0)
    density_a = a[:, 1:] / np.maximum(a[:, :1], 1.0)
    density_b = b[:, 1:] / np.maximum(b[:, :1], 1.0)
    out[:, 1:] = (density_a - density_b) / (density_a + density_b + 1.0)
    spread = out.std(axis=0)
    return (out - out.mean(axis=0)) / np.where(spread > 0, spread, 1.0)


def _loss(
    coef: np.ndarray, design: np.ndarray, outcome: np.ndarray, weight: np.ndarray, n_models: int
) -> tuple[float, np.ndarray]:
    """The weighted soft-label log loss with the ridge on model strengths, and its gradient."""
    logit = design @ coef
    p = np.exp(-np.logaddexp(0.0, -logit))
    loss = float(weight @ (np.logaddexp(0.0, logit) - outcome * logit))
    ridge = RIDGE
    loss += ridge * float(coef[:n_models] @ coef[:n_models])
    gradient = design.T @ (weight * (p - outcome))
    gradient[:n_models] += 2 * ridge * coef[:n_models]
    return loss, gradient


def fit_strengths(design: np.ndarray, outcome: np.ndarray, weight: np.ndarray, n_models: int) -> np.ndarray:
    """Maximum-likelihood coefficients of the soft-label logistic model (no intercept)."""
    found = minimize(
        _loss,
        np.zeros(design.shape[1]),
        args=(design, outcome, weight, n_models),
        jac=True,
        method="L-BFGS-B",
    )
    return np.asarray(found.x, dtype=float)


def _merged_fit(
    rows: np.ndarray, row_of: np.ndarray, outcome: np.ndarray, weight: np.ndarray, n_models: int
) -> np.ndarray:
    """The fit with identical design rows merged: the loss is linear in the outcome, so one row
    with the summed weight and the weighted mean outcome is exact. Without style terms a board of
    thousands of battles is a few dozen rows."""
    total = np.bincount(row_of, weights=weight, minlength=len(rows))
    mean = np.divide(
        np.bincount(row_of, weights=weight * outcome, minlength=len(rows)),
        total,
        out=np.zeros(len(rows)),
        where=total > 0,
    )
    return fit_strengths(rows, mean, total, n_models)


@dataclass(frozen=True)
class _Design:
    """The battles as arrays: design rows, outcomes, the instruction of each row and, per row,
    the rows judging the same pair on the same instruction (its unit, resampled within)."""

    matrix: np.ndarray
    outcome: np.ndarray
    cluster: np.ndarray
    unit_start: np.ndarray
    unit_size: np.ndarray
    order: np.ndarray
    models: list[str]


def _design(battles: Sequence[Battle], reference: str, style: bool) -> _Design:
    models = sorted({b.model_a for b in battles} | {b.model_b for b in battles} | {reference})
    others = [m for m in models if m != reference]
    column = {m: i for i, m in enumerate(others)}
    matrix = np.zeros((len(battles), len(others)))
    for row, battle in enumerate(battles):
        if battle.model_a != reference:
            matrix[row, column[battle.model_a]] += 1.0
        if battle.model_b != reference:
            matrix[row, column[battle.model_b]] -= 1.0
    if style:
        matrix = np.hstack([matrix, style_features(battles)])
    instructions = {key: i for i, key in enumerate(dict.fromkeys(b.instruction for b in battles))}
    cluster = np.array([instructions[b.instruction] for b in battles], dtype=int)
    units: dict[tuple[str, ...], list[int]] = {}
    for row, b in enumerate(battles):
        units.setdefault((b.instruction, *sorted((b.model_a, b.model_b))), []).append(row)
    order = np.array([row for rows in units.values() for row in rows], dtype=int)
    unit_start = np.empty(len(battles), dtype=int)
    unit_size = np.empty(len(battles), dtype=int)
    position = 0
    for rows in units.values():
        unit_start[position : position + len(rows)] = position
        unit_size[position : position + len(rows)] = len(rows)
        position += len(rows)
    outcome = np.clip(np.array([b.outcome for b in battles], dtype=float), 0.0, 1.0)
    return _Design(matrix[order], outcome[order], cluster[order], unit_start, unit_size, order, others)


def _scores(coef: np.ndarray, n_models: int) -> np.ndarray:
    """Win rates against the reference (strength 0), in percent."""
    return 100.0 * np.exp(-np.logaddexp(0.0, -coef[:n_models]))


def rank(
    battles: Sequence[Battle],
    reference: str,
    *,
    style: bool = False,
    rounds: int = ROUNDS,
    seed: int = 0,
    level: float = LEVEL,
    memo: Memo | None = None,
) -> Ranking:
    """Bradley-Terry scores of every model (reference = 50) with seeded bootstrap intervals; with
    `memo`, a ranking of the same design (battles, outcomes, style terms) and options is read back.
    """
    if not battles:
        raise ValueError("no battles to rank")
    design = _design(battles, reference, style)
    parts: list[Part] = [
        design.matrix, design.outcome, design.cluster, design.unit_start, design.unit_size,
        design.models, reference, style, rounds, seed, level,
    ]  # fmt: skip
    return remembered(
        memo,
        lambda: figure_key("bradley-terry", (__name__, "autoj.stats.style"), parts),
        lambda: _rank(design, reference, style, rounds, seed, level),
        _encode,
        _decode,
    )


def _encode(ranking: Ranking) -> str:
    return json.dumps(asdict(ranking))


def _decode(text: str) -> Ranking:
    found = json.loads(text)
    strengths = [Strength(**s) for s in found.pop("strengths")]
    return Ranking(strengths=strengths, **found)


def one_blas_thread() -> AbstractContextManager[object]:
    """One BLAS thread for a block of small fits: the matrices are tiny and a busy machine's
    thread pool costs more than it gives (set once around all of them: setting the limit costs
    more than one fit)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def _rank(design: _Design, reference: str, style: bool, rounds: int, seed: int, level: float) -> Ranking:
    """The fit and its bootstrap, on one BLAS thread."""
    with one_blas_thread():
        return _bootstrapped(design, reference, style, rounds, seed, level)


def _bootstrapped(
    design: _Design, reference: str, style: bool, rounds: int, seed: int, level: float
) -> Ranking:
    n_models = len(design.models)
    rows, row_of = np.unique(design.matrix, axis=0, return_inverse=True)
    row_of = row_of.ravel()
    coef = _merged_fit(rows, row_of, design.outcome, np.ones(len(row_of)), n_models)
    point = _scores(coef, n_models)
    rng = np.random.default_rng(seed)
    n_clusters = int(design.cluster.max()) + 1
    replicates = np.empty((rounds, n_models))
    for r in range(rounds):
        counts = rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters))
        drawn = design.unit_start + (rng.random(len(design.outcome)) * design.unit_size).astype(int)
        weight = counts[design.cluster].astype(float)
        replicate = _merged_fit(rows, row_of[drawn], design.outcome[drawn], weight, n_models)
        replicates[r] = _scores(replicate, n_models)
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(replicates, [tail, 100 - tail], axis=0)
    strengths = [
        Strength(m, float(point[i]), float(low[i]), float(high[i])) for i, m in enumerate(design.models)
    ]
    strengths.append(Strength(reference, 50.0, None, None))
    strengths.sort(key=lambda s: -s.score)
    weights = dict(zip(STYLE_FEATURES, map(float, coef[n_models:]), strict=True)) if style else {}
    return Ranking(reference, strengths, weights, rounds, seed)


def separability(strengths: Sequence[Strength]) -> float | None:
    """Share of pairs whose intervals do not overlap (None with fewer than two intervals)."""
    known = [s for s in strengths if s.ci_low is not None and s.ci_high is not None]
    pairs = [(a, b) for i, a in enumerate(known) for b in known[i + 1 :]]
    if not pairs:
        return None
    apart = [a.ci_high < b.ci_low or b.ci_high < a.ci_low for a, b in pairs]  # type: ignore[operator]
    return float(np.mean(apart))
