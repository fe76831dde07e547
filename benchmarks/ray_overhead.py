"""The same Eval-P pairs judged locally and through a 2-worker local Ray run: identical results? overhead?

Local: one process, the embedded model with all cores. Ray: `autoj.distributed.run_with_ray` with
two actors, each with its own embedded model and one thread (2 cores in all), Ray Data feeding
batches. The Ray wall time includes starting Ray and the actors (model loads), as a user pays it.
No cache on either side, so both really judge.

llama.cpp's sums depend on the thread count and on how tokens are batched, so by default the two
runs agree on nearly every verdict but not on every word. `--deterministic` runs both sides with
the backend's deterministic mode and one thread per model: then the texts must be identical.

    python benchmarks/ray_overhead.py [--pairs 50] [--max-new-tokens 256] [--deterministic]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from cpu_throughput import eval_p_pairs

from autoj import Judge
from autoj.types import GenerationParams


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--judge", default="llamacpp")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--deterministic", action="store_true")
    args = parser.parse_args()
    import ray

    from autoj.distributed import run_with_ray

    items = eval_p_pairs(args.pairs, shortest=True)
    params = GenerationParams(max_new_tokens=args.max_new_tokens)
    print(f"{len(items)} Eval-P pairs, judge {args.judge}, load {os.getloadavg()}", flush=True)

    cores = os.cpu_count() or 1
    threads = max(1, cores // args.workers)
    options: dict[str, object] = {}
    if args.judge.startswith("llamacpp"):
        options = {"n_threads": threads, "deterministic": args.deterministic}
    local_options = options if args.deterministic else {}
    print(f"mode: {'deterministic' if args.deterministic else 'default'}; local options {local_options}; "
          f"ray worker options {options}", flush=True)  # fmt: skip

    started = time.perf_counter()
    judge = Judge(args.judge, params=params, cache=False, **local_options)
    local = judge.compare_many(items)
    local_s = time.perf_counter() - started
    judge.close()
    print(f"local done: {local_s:.1f}s", flush=True)

    started = time.perf_counter()
    ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False, configure_logging=False)
    remote = run_with_ray(
        items,
        args.judge,
        params=params,
        num_workers=args.workers,
        batch_size=max(1, len(items) // (2 * args.workers)),
        cpus_per_worker=cores / args.workers,
        cache=False,
        **options,
    )
    ray_s = time.perf_counter() - started
    n = len(items)
    ray.shutdown()

    same_verdict = sum(
        a.verdict == b.verdict and a.status == b.status for a, b in zip(local, remote, strict=True)
    )
    same_text = sum(a.judgment.raw == b.judgment.raw for a, b in zip(local, remote, strict=True))
    print(f"\nload at the end {os.getloadavg()}")
    print(f"local    : {local_s:7.1f}s  ({60 * len(items) / local_s:.1f} judgments/min)")
    print(f"ray x{args.workers}   : {ray_s:7.1f}s  ({60 * n / ray_s:.1f} judgments/min), {threads} thread(s)")
    print(f"overhead : {ray_s / local_s:.2f}x the local wall time")
    print(f"identical: {same_verdict}/{n} verdicts and statuses, {same_text}/{n} judgment texts")


if __name__ == "__main__":
    main()
