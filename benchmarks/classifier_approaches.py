"""Compare scenario-classifier approaches on the authors' split: accuracy, macro-F1 and costs.

    PYTHONPATH=src python benchmarks/classifier_approaches.py [--embeddings minilm.npz] [--json]

Every approach trains on traindata.jsonl only and is scored once on testdata.jsonl (labels
normalised: default -> others, retired rejecting/peer_review -> others). Costs: training
seconds, model bytes (float16 weights + vocabulary; the embedding model's 90 MB extra where
used) and queries per second for featurising + predicting the 623 test queries on this machine.
The embedding rows need an .npz from classifier_embed.py (torch is not a default dependency).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

from autoj.scenarios._evaluate import (
    CLASSIFIER_TEST_DATA,
    CLASSIFIER_TRAIN_DATA,
    default_data,
    load_labelled_queries,
    score,
)
from autoj.scenarios._features import Analyzer, TfidfBlock, transform_all

MINILM_BYTES = 90_868_376  # model.safetensors of all-MiniLM-L6-v2
AUTHORS = {"approach": "authors' 13B LLM classifier (paper)", "accuracy": 72.55, "macro_f1": 74.12}


@dataclass
class Row:
    approach: str
    accuracy: float
    macro_f1: float
    train_seconds: float
    model_mb: float
    queries_per_second: float


def tfidf_rows(train: list[str], test: list[str], y: list[str], gold: list[str]) -> list[Row]:
    configs: list[tuple[str, tuple[Analyzer, ...], Callable[[], object]]] = [
        ("tfidf word 1-2, linear SVM", (Analyzer("word", 1, 2),), lambda: LinearSVC(C=1.0)),
        (
            "tfidf word 1-2 + char 2-5, linear SVM",
            (Analyzer("word", 1, 2), Analyzer("char", 2, 5)),
            lambda: LinearSVC(C=1.0),
        ),
    ]
    shipped = (Analyzer("word", 1, 2), Analyzer("word", 1, 3, 300), Analyzer("char", 2, 5, 300))
    configs += [
        (
            "shipped: tfidf word 1-2 + head word 1-3 + head char 2-5, SVM (balanced)",
            shipped,
            lambda: LinearSVC(C=0.5, class_weight="balanced"),
        ),
        ("same features, complement naive Bayes", shipped, lambda: ComplementNB(alpha=0.3)),
        (
            "same features, logistic regression (C=20)",
            shipped,
            lambda: LogisticRegression(C=20, max_iter=2000),
        ),
    ]
    rows = []
    for name, analyzers, make in configs:
        start = time.perf_counter()
        blocks = [TfidfBlock.fit(a, train, min_df=2) for a in analyzers]
        model = make()
        model.fit(transform_all(blocks, train), y)  # type: ignore[attr-defined]
        trained = time.perf_counter() - start
        start = time.perf_counter()
        predicted = list(model.predict(transform_all(blocks, test)))  # type: ignore[attr-defined]
        qps = len(test) / (time.perf_counter() - start)
        n_features = sum(len(b.vocabulary) for b in blocks)
        vocab_bytes = sum(len(t.encode()) + 3 for b in blocks for t in b.vocabulary)
        size = (n_features * len(set(y)) * 2 + vocab_bytes) / 1e6
        s = score(gold, predicted)
        rows.append(Row(name, s.accuracy, s.macro_f1, trained, size, qps))
        print(f"  {name}: {s.accuracy:.2f} / {s.macro_f1:.2f}", flush=True)
    return rows


def embedding_rows(path: Path, train: list[str], test: list[str], y: list[str], gold: list[str]) -> list[Row]:
    with np.load(path) as data:
        e_train, e_test = data["traindata"], data["testdata"]
        embed_train_s, embed_test_s = (float(x) for x in data["seconds"])
    embed_qps = len(test) / embed_test_s
    rows = []
    start = time.perf_counter()
    head = LogisticRegression(C=10, max_iter=3000).fit(e_train, y)
    trained = time.perf_counter() - start + embed_train_s
    s = score(gold, list(head.predict(e_test)))
    size = (MINILM_BYTES + e_train.shape[1] * len(set(y)) * 2) / 1e6
    rows.append(
        Row("MiniLM-L6 embeddings + logistic regression", s.accuracy, s.macro_f1, trained, size, embed_qps)
    )
    shipped = (Analyzer("word", 1, 2), Analyzer("word", 1, 3, 300), Analyzer("char", 2, 5, 300))
    start = time.perf_counter()
    blocks = [TfidfBlock.fit(a, train, min_df=2) for a in shipped]
    both_train = sparse.hstack([transform_all(blocks, train), sparse.csr_matrix(e_train)], format="csr")
    svm = LinearSVC(C=0.3, class_weight="balanced").fit(both_train, y)
    trained = time.perf_counter() - start + embed_train_s
    both_test = sparse.hstack([transform_all(blocks, test), sparse.csr_matrix(e_test)], format="csr")
    s = score(gold, list(svm.predict(both_test)))
    n_features = both_train.shape[1]
    size = (MINILM_BYTES + n_features * len(set(y)) * 2) / 1e6
    rows.append(
        Row(
            "tfidf + MiniLM embeddings, SVM (balanced)",
            s.accuracy,
            s.macro_f1,
            trained,
            size,
            embed_qps,
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embeddings", type=Path, help="npz from classifier_embed.py")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    train_rows = load_labelled_queries(default_data(CLASSIFIER_TRAIN_DATA))
    test_rows = load_labelled_queries(default_data(CLASSIFIER_TEST_DATA))
    train, y = [r.query for r in train_rows], [r.label for r in train_rows]
    test, gold = [r.query for r in test_rows], [r.label for r in test_rows]
    rows = tfidf_rows(train, test, y, gold)
    if args.embeddings:
        rows += embedding_rows(args.embeddings, train, test, y, gold)
    if args.json:
        print(json.dumps({"authors": AUTHORS, "approaches": [asdict(r) for r in rows]}, indent=2))
        return
    print(f"{'approach':78s} {'acc':>6s} {'F1':>6s} {'train s':>8s} {'MB':>7s} {'q/s':>8s}")
    print(f"{AUTHORS['approach']:78s} {72.55:6.2f} {74.12:6.2f}")
    for r in rows:
        print(
            f"{r.approach:78s} {r.accuracy:6.2f} {r.macro_f1:6.2f} {r.train_seconds:8.1f} "
            f"{r.model_mb:7.1f} {r.queries_per_second:8.1f}"
        )


if __name__ == "__main__":
    main()
