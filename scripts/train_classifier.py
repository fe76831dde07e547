"""Train the shipped TF-IDF scenario classifier on the training queries, never the test set.

    PYTHONPATH=src python scripts/train_classifier.py [--features 40000] [--work .artifacts/encoder]

Fits TF-IDF blocks (word n-grams of the whole query, word and char n-grams of its head) and a
linear SVM on the labelled queries of `autoj.scenarios._trainingdata` minus the same stratified
validation split the encoder holds out; keeps the `--features` n-grams the SVM weighs most
(refitted on those alone, so the package stays small), calibrates a softmax temperature on
cross-validated training scores, writes the model as JSON + .npz, saves its validation
probabilities to WORK (for the encoder's ensemble weight), then scores it once on the test set and
records the figures in metrics.json beside the model.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.model_selection import cross_val_predict
from sklearn.svm import LinearSVC

from autoj.scenarios._evaluate import CLASSIFIER_TEST_DATA, default_data, evaluate_classifier, score
from autoj.scenarios._features import Analyzer, TfidfBlock, transform_all
from autoj.scenarios._linear import MODEL_DIR, Classifier, LinearModel, softmax
from autoj.scenarios._trainingdata import load_training_set

ANALYZERS = (
    Analyzer("word", 1, 2),
    Analyzer("word", 1, 3, window=300),
    Analyzer("char", 2, 5, window=300),
)
MIN_DF = 2
C = 0.5
CLASS_WEIGHT = "balanced"
TRAINED_ON = "traindata.jsonl + Eval-P + Eval-C + single_traindata.jsonl, test queries left out"
APPROACH = "tfidf word(1-2) + head word(1-3) + head char(2-5), linear SVM, softmax-calibrated"


def fit_scale(scores: np.ndarray, gold: np.ndarray) -> float:
    """Softmax temperature that minimises the log loss of out-of-fold scores."""

    def loss(scale: float) -> float:
        probs = softmax(scores * scale)
        return float(-np.mean(np.log(probs[np.arange(len(gold)), gold] + 1e-12)))

    return float(minimize_scalar(loss, bounds=(0.1, 100.0), method="bounded").x)


def strongest(blocks: tuple[TfidfBlock, ...], coef: np.ndarray, keep: int) -> tuple[TfidfBlock, ...]:
    """The blocks cut down to the `keep` features with the largest weight for any label."""
    weight = np.abs(coef).max(axis=0)
    chosen = set(np.argsort(-weight)[:keep].tolist())
    cut, offset = [], 0
    for block in blocks:
        terms = sorted(block.vocabulary, key=block.vocabulary.__getitem__)
        kept = [t for i, t in enumerate(terms) if offset + i in chosen]
        idf = block.idf[[block.vocabulary[t] for t in kept]]
        cut.append(TfidfBlock(block.analyzer, {t: i for i, t in enumerate(kept)}, idf))
        offset += len(terms)
    return tuple(cut)


def fit(
    queries: list[str], gold: np.ndarray, labels: list[str], keep: int, held_out: int, authors_only: bool
) -> LinearModel:
    """TF-IDF blocks + linear SVM on the queries, cut to `keep` features (0: all), calibrated."""
    start = time.perf_counter()
    blocks = tuple(TfidfBlock.fit(a, queries, min_df=MIN_DF) for a in ANALYZERS)
    all_features = sum(len(b.vocabulary) for b in blocks)
    svm = LinearSVC(C=C, class_weight=CLASS_WEIGHT).fit(transform_all(blocks, queries), gold)
    if keep and keep < all_features:
        blocks = strongest(blocks, svm.coef_, keep)
    features = transform_all(blocks, queries)
    svm = LinearSVC(C=C, class_weight=CLASS_WEIGHT).fit(features, gold)
    out_of_fold = cross_val_predict(
        LinearSVC(C=C, class_weight=CLASS_WEIGHT), features, gold, cv=5, method="decision_function"
    )
    scale = fit_scale(np.asarray(out_of_fold), gold)
    train_seconds = time.perf_counter() - start

    info = {
        "approach": APPROACH,
        "trained_on": "traindata.jsonl" if authors_only else TRAINED_ON,
        "train_rows": len(queries),
        "validation_rows": held_out,
        "features": int(features.shape[1]),
        "features_before_cut": all_features,
        "C": C,
        "class_weight": CLASS_WEIGHT,
        "min_df": MIN_DF,
        "train_seconds": round(train_seconds, 1),
    }
    coef, intercept = svm.coef_.astype(np.float32), svm.intercept_.astype(np.float32)
    return LinearModel(tuple(labels), blocks, coef, intercept, scale, info)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=40000, help="n-grams kept (0: all)")
    parser.add_argument("--val-fraction", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-extra", action="store_true", help="the authors' classifier split only")
    parser.add_argument("--work", type=Path, default=Path(".artifacts/encoder"))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--validate-only", action="store_true", help="no test scoring (for choices)")
    parser.add_argument("--rescore", action="store_true", help="score the model in --out, no training")
    args = parser.parse_args()
    out = args.out or MODEL_DIR

    data = load_training_set(extra=not args.no_extra)
    train_idx, val_idx = data.split(args.val_fraction, args.seed)
    queries = [data.rows[i].query for i in train_idx]
    labels = sorted({r.label for r in data.rows})
    gold = np.array([labels.index(data.rows[i].label) for i in train_idx])

    if not args.rescore:
        fit(queries, gold, labels, args.features, len(val_idx), args.no_extra).save(out)
    model = LinearModel.load(out)  # as shipped: float16 weights
    val_probs = model.probabilities([data.rows[i].query for i in val_idx])
    val_gold = [data.rows[i].label for i in val_idx]
    val = score(val_gold, [labels[k] for k in np.argmax(val_probs, axis=1)])
    info = model.info
    args.work.mkdir(parents=True, exist_ok=True)
    np.save(args.work / "tfidf_val_probs.npy", val_probs)
    size = sum(p.stat().st_size for p in out.glob("classifier.*"))
    print(f"validation: {val.accuracy:.2f} / {val.macro_f1:.2f}, {info['features']} features, {size} bytes")
    if args.validate_only:
        return

    test_path = default_data(CLASSIFIER_TEST_DATA)
    result = evaluate_classifier(test_path, Classifier(out, kind="tfidf").predict)
    metrics = {
        "test_data": test_path.name,
        "test_rows": result.overall.n,
        "accuracy": round(result.overall.accuracy, 2),
        "macro_f1": round(result.overall.macro_f1, 2),
        "accuracy_without_retired": round(result.accuracy_without_retired, 2),
        "validation": {"accuracy": round(val.accuracy, 2), "macro_f1": round(val.macro_f1, 2)},
        "groups": {
            g: {"n": s.n, "accuracy": round(s.accuracy, 2), "macro_f1": round(s.macro_f1, 2)}
            for g, s in result.groups.items()
        },
        "model_bytes": size,
        "queries_per_second": round(result.overall.n / result.seconds, 1),
        **info,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
