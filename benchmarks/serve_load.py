"""Load test of `autoj serve`: N compare requests from C concurrent clients; latency and errors.

    python benchmarks/serve_load.py --judge fake --requests 200 --concurrency 20
    python benchmarks/serve_load.py --url http://127.0.0.1:8000 --token T   # a running server

Every response is checked against its own request (id and, on a local fake judge, the verdict
the judge gives directly), so "errors" counts lost, failed and mixed-up answers alike.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from contextlib import nullcontext
from typing import Any

import httpx

from autoj import Judge
from autoj.serve import ServeSettings, create_app
from autoj.serve.server import serve_in_thread


def pair(n: int) -> dict[str, str]:
    return {
        "id": f"load-{n}",
        "query": f"Give one tip for writing clear Python code (variant {n}).",
        "response_1": f"Name variables for what they hold; tip {n}." + " Keep functions short." * (n % 4),
        "response_2": f"Write a docstring that says why, not what; tip {n}." + " Test it." * (n % 3),
    }


async def run(url: str, requests: int, concurrency: int, token: str | None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[float] = []
    errors: list[str] = []
    answers: dict[str, dict[str, Any]] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(requests):
        queue.put_nowait(n)

    # Each client opens its connection with one untimed request, and the clock starts when all
    # have: connection set-up and the service's first batch are not request latency.
    warm = asyncio.Event()
    warmed = 0

    async def client() -> None:
        nonlocal warmed
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=600) as http:
            await http.post("/v1/compare", json={"pairs": [pair(-1 - warmed)]})
            warmed += 1
            if warmed == concurrency:
                warm.set()
            await warm.wait()
            while not queue.empty():
                n = queue.get_nowait()
                started = time.perf_counter()
                try:
                    response = await http.post("/v1/compare", json={"pairs": [pair(n)]})
                except httpx.HTTPError as exc:
                    errors.append(f"{n}: {type(exc).__name__}")
                    continue
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors.append(f"{n}: HTTP {response.status_code}")
                    continue
                result = response.json()["results"][0]
                if result["id"] != f"load-{n}" or result["id"] in answers:
                    errors.append(f"{n}: answered as {result['id']}")
                answers[result["id"]] = result

    tasks = [asyncio.create_task(client()) for _ in range(concurrency)]
    await warm.wait()
    started = time.perf_counter()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "requests": requests,
        "concurrency": concurrency,
        "answered": len(answers),
        "errors": len(errors),
        "error_examples": errors[:5],
        "p50_ms": round(quantiles[49] * 1000, 1),
        "p95_ms": round(quantiles[94] * 1000, 1),
        "throughput_rps": round(requests / elapsed, 1),
        "elapsed_s": round(elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--judge", default="fake:delay=0.002", help="backend spec for a local server")
    parser.add_argument("--url", help="load an already running server instead")
    parser.add_argument("--token", help="bearer token of that server")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    if args.url:
        context: Any = nullcontext(args.url)
    else:
        settings = ServeSettings(judge=args.judge)
        context = serve_in_thread(create_app(Judge(args.judge), settings))
    with context as url:
        figures = asyncio.run(run(url, args.requests, args.concurrency, args.token))
    where = args.url or f"local server, judge {args.judge}"
    print(f"autoj serve load test ({where})")
    for key, value in figures.items():
        print(f"  {key:>15}: {value}")


if __name__ == "__main__":
    main()
