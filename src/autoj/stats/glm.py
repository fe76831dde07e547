"""Logistic regression on soft labels (a judge's probability that the model wins), L1-penalised,
its strength chosen by cross-validated log loss: the fitting step of AlpacaEval's length control.

A soft label p is fitted as two weighted rows, "model wins" with weight p and "reference wins"
with weight 1 - p, so the loss is the cross-entropy against p itself.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from autoj.stats.memo import Memo, Part, figure_key, remembered

#: The penalty grid scikit-learn's LogisticRegressionCV searches by default.
DEFAULT_CS = tuple(float(c) for c in np.logspace(-4, 4, 10))
N_SPLITS = 5
SEED = 123

#: A design matrix: dense, or sparse (one column per instruction in the joint fit).
Matrix = Any


@dataclass(frozen=True)
class SoftFit:
    """Fitted coefficients (no intercept: the design holds its own bias columns) and the chosen C."""

    coef: np.ndarray
    C: float

    def predict(self, features: Matrix) -> np.ndarray:
        return logistic(np.asarray(features @ self.coef).ravel())


def logistic(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x), computed without overflow."""
    return np.exp(-np.logaddexp(0.0, -x))


def _stack(features: Matrix) -> Matrix:
    if sparse.issparse(features):
        return sparse.vstack([features, features]).tocsr()
    return np.vstack([features, features])


def _fit(features: Matrix, target: np.ndarray, weight: np.ndarray, c: float) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    labels = np.concatenate([np.ones(len(target)), np.zeros(len(target))])
    weights = np.concatenate([target * weight, (1.0 - target) * weight])
    model = LogisticRegression(C=c, solver="liblinear", fit_intercept=False, random_state=SEED, l1_ratio=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # liblinear's convergence notes at the grid's extremes
        model.fit(_stack(features), labels, sample_weight=weights)
    return np.asarray(model.coef_[0], dtype=float)


def soft_log_loss(target: np.ndarray, predicted: np.ndarray, weight: np.ndarray) -> float:
    """Mean weighted cross-entropy of predicted probabilities against soft targets."""
    q = np.clip(predicted, 1e-15, 1 - 1e-15)
    return float(-np.mean(weight * (target * np.log(q) + (1 - target) * np.log(1 - q))))


def fit_soft_logistic(
    features: Matrix,
    target: np.ndarray,
    weight: np.ndarray | None = None,
    cs: tuple[float, ...] = DEFAULT_CS,
    n_splits: int = N_SPLITS,
    memo: Memo | None = None,
) -> SoftFit:
    """Fit with the C of lowest mean held-out loss over `n_splits` folds, then refit on all rows.

    Folds are assigned round-robin by row, so the choice is deterministic; with `memo`, a fit of
    the same numbers is read back instead of run again.
    """
    target = np.asarray(target, dtype=float)
    weight = np.ones_like(target) if weight is None else np.asarray(weight, dtype=float)
    return remembered(
        memo,
        lambda: figure_key(
            "soft-logistic", (__name__,), [*_parts(features), target, weight, list(cs), n_splits]
        ),
        lambda: _cross_validated(features, target, weight, cs, n_splits),
        _encode,
        _decode,
    )


def _parts(features: Matrix) -> list[Part]:
    if sparse.issparse(features):
        csr = sparse.csr_matrix(features)
        return ["csr", csr.data, csr.indices, csr.indptr, list(csr.shape)]
    return ["dense", np.asarray(features, dtype=float)]


def _encode(fit: SoftFit) -> str:
    return json.dumps({"coef": fit.coef.tolist(), "C": fit.C})


def _decode(text: str) -> SoftFit:
    found = json.loads(text)
    return SoftFit(np.asarray(found["coef"], dtype=float), float(found["C"]))


def _cross_validated(
    features: Matrix, target: np.ndarray, weight: np.ndarray, cs: tuple[float, ...], n_splits: int
) -> SoftFit:
    rows = np.arange(len(target))
    # no more folds than rows: an empty fold has no held-out loss (it was NaN, with numpy's
    # "Mean of empty slice" warning, many times per small evaluate); too few rows: the middle C
    n_splits = min(n_splits, len(target))
    if n_splits < 2:
        middle = cs[len(cs) // 2]
        return SoftFit(_fit(features, target, weight, middle), middle)
    folds = rows % n_splits
    losses = []
    for c in cs:
        fold_losses = []
        for fold in range(n_splits):
            train, test = rows[folds != fold], rows[folds == fold]
            coef = _fit(features[train], target[train], weight[train], c)
            predicted = logistic(np.asarray(features[test] @ coef).ravel())
            fold_losses.append(soft_log_loss(target[test], predicted, weight[test]))
        losses.append(float(np.mean(fold_losses)))
    best = cs[int(np.argmin(losses))]
    return SoftFit(_fit(features, target, weight, best), best)
