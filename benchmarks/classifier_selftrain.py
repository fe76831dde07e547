"""Self-training the shipped encoder's head on unlabelled real instructions, judged on validation.

    PYTHONPATH=src python benchmarks/classifier_selftrain.py [--work .artifacts/encoder]

The shipped classifier labels the 805 AlpacaEval instructions; those it labels with confidence of
at least T join the training split, and a new linear head (multinomial logistic regression,
balanced, on the encoder's mean-pooled outputs) is fitted. Compared on the validation split the
encoder held out: the shipped head, a head refitted on the training split alone (the control:
what refitting does without pseudo-labels) and one head per T. Each head's probabilities are
averaged with the TF-IDF model at the shipped weight, as the default classifier does. The test
figures are printed for the record; choices use validation only.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from autoj.data.datadir import data_dir
from autoj.scenarios._encoder import ENCODER_DIR, EncoderModel
from autoj.scenarios._evaluate import CLASSIFIER_TEST_DATA, default_data, load_labelled_queries, score
from autoj.scenarios._linear import MODEL_DIR, LinearModel, softmax
from autoj.scenarios._trainingdata import load_training_set

THRESHOLDS = (0.5, 0.7, 0.9)


def alpaca_instructions() -> list[str]:
    root = data_dir()
    files = sorted((root / "alpaca_eval" / "model_outputs").glob("*.json.gz")) if root else []
    if not files:
        raise SystemExit("no AlpacaEval model outputs under the data directory")
    with gzip.open(files[0], "rt", encoding="utf-8") as handle:
        return [row["instruction"] for row in json.load(handle)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path(".artifacts/encoder"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    meta = json.loads((ENCODER_DIR / "encoder.json").read_text(encoding="utf-8"))
    weight = float(meta.get("ensemble", {}).get("weight", 0.0))
    encoder = EncoderModel.load(ENCODER_DIR)
    tfidf = LinearModel.load(MODEL_DIR)
    labels = list(encoder.labels)
    columns = [tfidf.labels.index(label) for label in labels]
    data = load_training_set()
    train_idx, val_idx = data.split(0.1, 0)
    test = load_labelled_queries(default_data(CLASSIFIER_TEST_DATA))
    splits = {
        "train": [data.rows[i].query for i in train_idx],
        "validation": [data.rows[i].query for i in val_idx],
        "test": [r.query for r in test],
    }
    gold = {
        "train": np.array([labels.index(data.rows[i].label) for i in train_idx]),
        "validation": [data.rows[i].label for i in val_idx],
        "test": [r.label for r in test],
    }
    pooled = {name: encoder.pooled(queries) for name, queries in splits.items()}
    tfidf_probs = {name: tfidf.probabilities(splits[name])[:, columns] for name in ("validation", "test")}

    instructions = alpaca_instructions()
    alpaca_pooled = encoder.pooled(instructions)
    guesses = (1 - weight) * softmax(alpaca_pooled @ encoder.head + encoder.head_bias)
    guesses += weight * tfidf.probabilities(instructions)[:, columns]  # as Classifier() labels them
    confidence, guessed = guesses.max(axis=1), guesses.argmax(axis=1)

    def figures(head_scores: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
        out = {}
        for name in ("validation", "test"):
            probs = (1 - weight) * softmax(head_scores[name]) + weight * tfidf_probs[name]
            s = score(gold[name], [labels[k] for k in probs.argmax(axis=1)])
            out[name] = {"accuracy": round(s.accuracy, 2), "macro_f1": round(s.macro_f1, 2)}
        return out

    def fitted(features: np.ndarray, targets: np.ndarray) -> dict[str, np.ndarray]:
        head = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000).fit(features, targets)
        present = list(head.classes_)
        scores = {}
        for name in ("validation", "test"):
            raw = np.full((len(pooled[name]), len(labels)), -1e9, dtype=np.float64)
            raw[:, present] = head.decision_function(pooled[name])
            scores[name] = raw
        return scores

    shipped_head = {n: pooled[n] @ encoder.head + encoder.head_bias for n in ("validation", "test")}
    results = {
        "shipped head": figures(shipped_head),
        "head refitted on train (control)": figures(fitted(pooled["train"], gold["train"])),
    }
    for threshold in THRESHOLDS:
        keep = confidence >= threshold
        features = np.vstack([pooled["train"], alpaca_pooled[keep]])
        targets = np.concatenate([gold["train"], guessed[keep]])
        results[f"+ {int(keep.sum())} AlpacaEval, confidence >= {threshold}"] = figures(
            fitted(features, targets)
        )
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'head':<48} {'val acc':>8} {'val F1':>8} {'test acc':>9} {'test F1':>8}")
    for name, r in results.items():
        v, t = r["validation"], r["test"]
        print(f"{name:<48} {v['accuracy']:>8} {v['macro_f1']:>8} {t['accuracy']:>9} {t['macro_f1']:>8}")


if __name__ == "__main__":
    main()
