"""Train a shipped scenario classifier from the authors' training split only.

    PYTHONPATH=src python scripts/train_classifier.py                 # default: TF-IDF model
    PYTHONPATH=src python scripts/train_classifier.py --embeddings minilm.npz   # hybrid extra

Fits TF-IDF blocks (word n-grams of the whole query, word and char n-grams of its head) and a
linear SVM, calibrates a softmax temperature on cross-validated training scores (never on the
test set), writes the model as JSON + .npz, then scores it once on the test set and records
the figures in metrics.json beside the model. With `--embeddings` (an .npz written by
benchmarks/classifier_embed.py) the MiniLM embeddings are appended to the features and the
model goes to model/hybrid/.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar
from sklearn.model_selection import cross_val_predict
from sklearn.svm import LinearSVC

from autoj.scenarios._evaluate import (
    CLASSIFIER_TEST_DATA,
    CLASSIFIER_TRAIN_DATA,
    default_data,
    evaluate_classifier,
    load_labelled_queries,
)
from autoj.scenarios._features import Analyzer, TfidfBlock, transform_all
from autoj.scenarios._linear import MODEL_DIR, Classifier, LinearModel, softmax
from autoj.scenarios._prediction import ScenarioPrediction

ANALYZERS = (
    Analyzer("word", 1, 2),
    Analyzer("word", 1, 3, window=300),
    Analyzer("char", 2, 5, window=300),
)
MIN_DF = 2
C = {"tfidf": 0.5, "hybrid": 0.3}
CLASS_WEIGHT = "balanced"
APPROACH = {
    "tfidf": "tfidf word(1-2) + head word(1-3) + head char(2-5), linear SVM, softmax-calibrated",
    "hybrid": "shipped tfidf + all-MiniLM-L6-v2 embeddings, linear SVM, softmax-calibrated",
}


def fit_scale(scores: np.ndarray, gold: np.ndarray) -> float:
    """Softmax temperature that minimises the log loss of out-of-fold scores."""

    def loss(scale: float) -> float:
        probs = softmax(scores * scale)
        return float(-np.mean(np.log(probs[np.arange(len(gold)), gold] + 1e-12)))

    return float(minimize_scalar(loss, bounds=(0.1, 100.0), method="bounded").x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=None)
    parser.add_argument("--test", type=Path, default=None)
    parser.add_argument("--embeddings", type=Path, help="npz of train/test embeddings (hybrid)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    kind = "hybrid" if args.embeddings else "tfidf"
    out = args.out or (MODEL_DIR / "hybrid" if args.embeddings else MODEL_DIR)
    train_path = args.train or default_data(CLASSIFIER_TRAIN_DATA)
    test_path = args.test or default_data(CLASSIFIER_TEST_DATA)
    dense_train = dense_test = None
    if args.embeddings:
        with np.load(args.embeddings) as data:
            dense_train, dense_test = data["traindata"], data["testdata"]

    rows = load_labelled_queries(train_path)
    queries = [r.query for r in rows]
    labels = sorted({r.label for r in rows})
    gold = np.array([labels.index(r.label) for r in rows])

    start = time.perf_counter()
    blocks = tuple(TfidfBlock.fit(a, queries, min_df=MIN_DF) for a in ANALYZERS)
    features = transform_all(blocks, queries)
    if dense_train is not None:
        features = sparse.hstack([features, sparse.csr_matrix(dense_train)], format="csr")
    svm = LinearSVC(C=C[kind], class_weight=CLASS_WEIGHT).fit(features, gold)
    out_of_fold = cross_val_predict(
        LinearSVC(C=C[kind], class_weight=CLASS_WEIGHT), features, gold, cv=5, method="decision_function"
    )
    scale = fit_scale(np.asarray(out_of_fold), gold)
    train_seconds = time.perf_counter() - start

    info = {
        "approach": APPROACH[kind],
        "trained_on": train_path.name,
        "train_rows": len(rows),
        "features": int(features.shape[1]),
        "dense_dim": 0 if dense_train is None else int(dense_train.shape[1]),
        "C": C[kind],
        "class_weight": CLASS_WEIGHT,
        "min_df": MIN_DF,
        "train_seconds": round(train_seconds, 1),
    }
    coef, intercept = svm.coef_.astype(np.float32), svm.intercept_.astype(np.float32)
    LinearModel(tuple(labels), blocks, coef, intercept, scale, info).save(out)

    classifier = Classifier(out)
    test_rows = load_labelled_queries(test_path)
    position = {r.query: i for i, r in enumerate(test_rows)}

    def predict(batch: Sequence[str]) -> list[ScenarioPrediction]:
        dense = None if dense_test is None else dense_test[[position[q] for q in batch]]
        return classifier._best(classifier.model.probabilities(batch, dense))

    result = evaluate_classifier(test_path, predict)
    size = sum(p.stat().st_size for p in out.glob("classifier.*"))
    metrics = {
        "test_data": test_path.name,
        "test_rows": result.overall.n,
        "accuracy": round(result.overall.accuracy, 2),
        "macro_f1": round(result.overall.macro_f1, 2),
        "accuracy_without_retired": round(result.accuracy_without_retired, 2),
        "groups": {
            g: {"n": s.n, "accuracy": round(s.accuracy, 2), "macro_f1": round(s.macro_f1, 2)}
            for g, s in result.groups.items()
        },
        "model_bytes": size,
        # for the hybrid this leaves out the encoder's time (see benchmarks/classifier_results.md)
        "queries_per_second" if kind == "tfidf" else "queries_per_second_excluding_encoder": round(
            result.overall.n / result.seconds, 1
        ),
        **info,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
