"""Peak memory of judging 10,000 vs 100,000 items on the fake backend: streaming holds nothing per item.

Each size runs in its own subprocess (items generated lazily, results streamed to a JSONL file with
ResultsWriter, no cache) and reports its peak RSS from ru_maxrss. The fake backend's `calls` list,
a test aid that keeps every prompt, is emptied after each call. What still grows is ResultsWriter's
`done` set of finished ids (resume bookkeeping, about 100 bytes per id): clearing it too gives the
same peak for both sizes, so the engine itself holds nothing per item.

    python benchmarks/memory_streaming.py [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def _items(count: int) -> Iterator[object]:
    from autoj.types import PairItem

    for n in range(count):
        yield PairItem(
            f"query {n} " * 20, f"first response {n} " * 30, f"second response {n} " * 30, id=str(n)
        )


async def _judge(count: int, output: Path) -> int:
    from autoj.backends.fake import FakeBackend
    from autoj.io.results import ResultsWriter
    from autoj.protocols import get_protocol
    from autoj.run.engine import Engine

    class NoCallLog(FakeBackend):
        """The fake judge without its test-only log of every prompt (which grows per item)."""

        async def generate(self, prompts, params):  # type: ignore[no-untyped-def]
            out = await super().generate(prompts, params)
            self.calls.clear()
            return out

    engine = Engine(NoCallLog(), get_protocol("autoj"), concurrency=16)
    written = 0
    with ResultsWriter(output, overwrite=True) as writer:
        async for result in engine.stream(_items(count)):  # type: ignore[arg-type]
            writer.write(result)
            written += 1
    return written


def child(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        written = asyncio.run(_judge(count, Path(folder) / "out.jsonl"))
        elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{written} {peak_kib} {elapsed:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    peaks = {}
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size)], capture_output=True, text=True, check=True
        )
        written, peak_kib, elapsed = out.stdout.split()
        peaks[size] = int(peak_kib) / 1024
        print(f"{int(written):>8} items: peak RSS {peaks[size]:7.1f} MiB in {float(elapsed):6.1f}s")
    low, high = peaks[min(peaks)], peaks[max(peaks)]
    print(f"peak RSS {max(peaks)} vs {min(peaks)} items: {100 * (high - low) / low:+.1f}%")


if __name__ == "__main__":
    main()
