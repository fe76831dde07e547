"""Concurrent calls on one Judge: how many backend calls they become, and how long they take.

    python benchmarks/concurrent_calls.py [--calls 64] [--latency-ms 50] [--max-batch 16]

The backend stands in for a batching server (vLLM, an OpenAI-compatible endpoint): each call
costs a fixed latency whatever its size, up to `max_batch` prompts, `max_concurrency` calls at
once. With one batcher below every engine of a Judge, concurrent `acompare` calls (and blocking
`compare` calls from several threads) share backend calls instead of sending one prompt each.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from autoj import FakeBackend, Judge
from autoj.types import Completion, GenerationParams, Prompt


class BatchingServer(FakeBackend):
    """The fake judge behind a fixed per-call latency; counts calls and prompts."""

    def __init__(self, latency_s: float, max_batch: int, max_concurrency: int) -> None:
        super().__init__(record_calls=False)
        self.latency_s = latency_s
        self.max_batch = max_batch
        self.max_concurrency = max_concurrency
        self.sizes: list[int] = []

    async def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        self.sizes.append(len(prompts))
        await asyncio.sleep(self.latency_s)
        return await super().generate(prompts, params)


def measure(mode: str, calls: int, latency_s: float, max_batch: int) -> dict[str, float]:
    backend = BatchingServer(latency_s, max_batch, max_concurrency=4)
    judge = Judge(backend, cache=False)
    started = time.perf_counter()
    if mode == "acompare":

        async def main() -> None:
            await asyncio.gather(*(judge.acompare(f"q{n}", "a", "b") for n in range(calls)))

        asyncio.run(main())
    else:
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda n: judge.compare(f"q{n}", "a", "b"), range(calls)))
    elapsed = time.perf_counter() - started
    judge.close()
    return {
        "backend_calls": len(backend.sizes),
        "largest_call": max(backend.sizes),
        "seconds": round(elapsed, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--calls", type=int, default=64)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--max-batch", type=int, default=16)
    args = parser.parse_args()
    print(
        f"{args.calls} concurrent calls, {args.latency_ms:g} ms per backend call, batches of {args.max_batch}"
    )
    for mode, what in (("acompare", "asyncio.gather of acompare"), ("threads", "compare from 16 threads")):
        figures = measure(mode, args.calls, args.latency_ms / 1000, args.max_batch)
        print(f"  {what:>28}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
