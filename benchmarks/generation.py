"""Generation speed and the cost of a cached re-run, measured in one run.

(a) The embedded model (SmolLM2 GGUF, CPU) answers the same AlpacaEval instructions, greedy, the
    same token budget and thread count, two ways:
      autoj  `Generator` on the llamacpp backend (what `autoj generate -m llamacpp` runs; no cache)
      plain  a sequential loop of llama-cpp-python's `Llama.create_chat_completion` (what a script
             would write), with the same model file, context and threads
    printed as outputs/min and their ratio.
(b) `autoj evaluate --model fake --model fake:1 --benchmark alpaca_eval -j fake` (all 805
    instructions, two models, both orders) in a fresh folder and cache: the first run, then the
    same command again (everything cached), wall times and their ratio.

    python benchmarks/generation.py [--instructions 12] [--max-new-tokens 64] [--threads N]
        [--limit 805]

Timings on a shared CPU mean little while other processes run: the script prints the load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from autoj.backends.llamacpp import LlamaCppBackend, embedded_model_path
from autoj.data.benchmarks import BenchmarkInstruction, load_benchmark, select
from autoj.run.generation import Generator
from autoj.types import GenerationParams


def run_autoj(
    instructions: list[BenchmarkInstruction], params: GenerationParams, backend: LlamaCppBackend
) -> dict[str, Any]:
    with Generator(backend, params=params, cache=None) as generator:
        generator.run(generator.answer_all(instructions[:1]))  # load the weights outside the timing
        started = time.perf_counter()
        records = generator.run(generator.answer_all(instructions))
        elapsed = time.perf_counter() - started
    tokens = [sum(r["provenance"]["completion_tokens"]) for r in records]
    return {"elapsed": elapsed, "tokens": tokens, "ok": sum(r["status"] == "ok" for r in records)}


def run_plain(
    instructions: list[BenchmarkInstruction], params: GenerationParams, threads: int
) -> dict[str, Any]:
    from llama_cpp import Llama

    llm = Llama(
        str(embedded_model_path()),
        n_ctx=4096,
        n_threads=threads,
        n_threads_batch=threads,
        flash_attn=True,
        verbose=False,
    )

    def answer(instruction: BenchmarkInstruction) -> int:
        out: Any = llm.create_chat_completion(
            messages=[{"role": "user", "content": instruction.turns[0]}],
            max_tokens=params.max_new_tokens,
            temperature=0.0,
            top_p=1.0,
            seed=params.seed,
        )
        return int(out["usage"]["completion_tokens"])

    answer(instructions[0])  # as for autoj: the first call outside the timing
    started = time.perf_counter()
    tokens = [answer(i) for i in instructions]
    elapsed = time.perf_counter() - started
    llm.close()
    return {"elapsed": elapsed, "tokens": tokens, "ok": len(tokens)}


def per_min(count: int, elapsed: float) -> float:
    return 60.0 * count / elapsed if elapsed else 0.0


def generation_speed(count: int, max_new_tokens: int, threads: int | None) -> None:
    instructions = select(load_benchmark("alpaca_eval").instructions, count)
    params = GenerationParams(max_new_tokens=max_new_tokens)
    backend = LlamaCppBackend(n_threads=threads)
    threads = backend.n_threads  # autoj's own choice unless given: the plain loop gets the same
    plain = run_plain(instructions, params, threads)
    autoj = run_autoj(instructions, params, backend)
    print(
        f"(a) {count} AlpacaEval instructions, embedded SmolLM2, greedy, "
        f"{max_new_tokens} new tokens, {threads} threads"
    )
    print(f"{'':8} {'outputs/min':>12} {'tokens/s':>9} {'tokens':>7} {'seconds':>8}")
    for name, run in (("plain", plain), ("autoj", autoj)):
        print(
            f"{name:8} {per_min(len(run['tokens']), run['elapsed']):12.1f} "
            f"{sum(run['tokens']) / run['elapsed']:9.1f} {sum(run['tokens']):7d} {run['elapsed']:8.2f}"
        )
    ratio = per_min(len(autoj["tokens"]), autoj["elapsed"]) / per_min(len(plain["tokens"]), plain["elapsed"])
    print(f"autoj / plain outputs/min: {ratio:.2f}x")


def cached_rerun(limit: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "AUTOJ_CACHE": str(Path(folder) / "cache.sqlite")}
        command = [
            sys.executable, "-m", "autoj", "evaluate", "--benchmark", "alpaca_eval",
            "--model", "fake", "--model", "fake:1", "-j", "fake", "--limit", str(limit),
            "-o", str(Path(folder) / "results.jsonl"), "--json",
        ]  # fmt: skip
        walls = []
        for _ in range(2):
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
            walls.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(done.stderr)
            run = json.loads(done.stdout)["run"]
            print(
                f"    run {len(walls)}: {walls[-1]:6.2f} s wall; generated "
                f"{sum(g['generated'] for g in run['generation'])}, "
                f"judged {run['judged']} of {run['items']} items"
            )
    print(f"(b) evaluate --model fake --model fake:1 --benchmark alpaca_eval -j fake --limit {limit}")
    print(
        f"first {walls[0]:.2f} s, cached re-run {walls[1]:.2f} s: re-run / first = {walls[1] / walls[0]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instructions", type=int, default=12)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--limit", type=int, default=805)
    parser.add_argument("--skip-model", action="store_true", help="only (b)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if not args.skip_model:
        generation_speed(args.instructions, args.max_new_tokens, args.threads)
    cached_rerun(args.limit)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
