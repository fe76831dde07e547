"""A second model against the same reference: judge time per item vs the first, and the prompt reuse.

The embedded judge (llamacpp, chat protocol, one order, as `evaluate` pairs them: Response 1 the
reference's output, Response 2 the model's) judges model A's alpaca_eval outputs against
gpt4_1106_preview's, then, on the same backend, model B's against the same reference; then a fresh
backend judges both with each instruction's two pairs next to each other. For each phase: seconds
per item, prompt tokens per item, and the share of prompt tokens the backend did not process again
because a sequence's KV cache already held them (the llama.cpp backend keeps each finished prompt
in its sequence and gives the next prompt the sequence with the longest common prefix).

    python benchmarks/prefix_reuse.py [--items 8] [--model-a NAME] [--model-b NAME] [--max-new-tokens 256]

Timings on a shared CPU mean little while other processes run: the script prints the load, and
the CPU seconds of each phase (the work it cost, whatever share of the CPU it got).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

from autoj.backends.llamacpp import LlamaCppBackend
from autoj.data.datadir import data_path
from autoj.evaluate.outputs import ModelOutputs, common_keys, load_outputs
from autoj.evaluate.run import pair_items
from autoj.protocols import get_protocol
from autoj.run.engine import Engine
from autoj.types import GenerationParams, PairItem


def outputs(name: str) -> ModelOutputs:
    path = data_path(f"alpaca_eval/model_outputs/{name}.json.gz")
    if path is None:
        raise SystemExit(f"alpaca_eval outputs of {name} not found: set AUTOJ_DATA_DIR")
    return load_outputs(path)


def shortest_keys(reference: ModelOutputs, models: list[ModelOutputs], count: int) -> list[str]:
    """The instructions whose three texts together are shortest (quick to judge on a CPU)."""
    keys = common_keys(reference, models, intersection=True)

    def size(key: str) -> int:
        rows = [reference.rows[key], *(m.rows[key] for m in models)]
        return len(rows[0].instruction) + sum(len(r.output) for r in rows)

    return sorted(keys, key=size)[:count]


def judge(backend: LlamaCppBackend, items: list[PairItem], params: GenerationParams) -> dict[str, Any]:
    """Judge `items` on `backend`; seconds, prompt tokens and the tokens found in a sequence's cache."""
    engine = Engine(backend, get_protocol("chat"), params)
    decoder = backend._batched()
    if decoder is None:
        raise SystemExit("the benchmark needs the batched decoder (n_parallel > 1)")
    total_before, reused_before = decoder.prompt_tokens, decoder.reused_tokens
    started, cpu_started = time.perf_counter(), time.process_time()
    results = asyncio.run(engine.run(items))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "items": len(items),
        "seconds": elapsed,
        "cpu": cpu,
        "prompt": decoder.prompt_tokens - total_before,
        "reused": decoder.reused_tokens - reused_before,
        "generated": sum(sum(r.provenance.get("completion_tokens") or []) for r in results),
        "parsed": sum(r.status == "ok" for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=8)
    parser.add_argument("--reference", default="gpt4_1106_preview")
    parser.add_argument("--model-a", default="Meta-Llama-3-8B-Instruct")
    parser.add_argument("--model-b", default="Mistral-7B-Instruct-v0.2")
    parser.add_argument("--max-new-tokens", type=int, default=256)
    args = parser.parse_args()
    reference, model_a, model_b = outputs(args.reference), outputs(args.model_a), outputs(args.model_b)
    keys = shortest_keys(reference, [model_a, model_b], args.items)
    items_a = pair_items(reference, [model_a], keys, {})
    items_b = pair_items(reference, [model_b], keys, {})
    params = GenerationParams(max_new_tokens=args.max_new_tokens)
    print(f"{len(keys)} alpaca_eval instructions, reference {reference.model}; load {os.getloadavg()}")

    phases: list[tuple[str, dict[str, Any]]] = []
    backend = LlamaCppBackend()
    print(f"backend sized: {backend.cpu_share.describe()}", flush=True)
    phases.append((f"A {model_a.model}", judge(backend, items_a, params)))
    phases.append((f"B {model_b.model} (after A)", judge(backend, items_b, params)))
    asyncio.run(backend.aclose())
    backend = LlamaCppBackend()
    interleaved = [item for pair in zip(items_a, items_b, strict=True) for item in pair]
    phases.append(("A and B, by instruction", judge(backend, interleaved, params)))
    asyncio.run(backend.aclose())

    print(f"load at the end {os.getloadavg()}")
    print(
        f"{'phase':44} {'s/item':>7} {'CPU s/item':>11} {'prompt tok/item':>16} {'reused':>7} "
        f"{'gen tok':>8} {'parsed':>7}"
    )
    for name, fig in phases:
        print(
            f"{name:44} {fig['seconds'] / fig['items']:7.2f} {fig['cpu'] / fig['items']:11.2f} "
            f"{fig['prompt'] / fig['items']:16.0f} "
            f"{fig['reused'] / max(fig['prompt'], 1):7.1%} {fig['generated']:8d} "
            f"{fig['parsed']:4d}/{fig['items']}"
        )
    first, second = phases[0][1], phases[1][1]
    for unit in ("seconds", "cpu"):
        ratio = (second[unit] / second["items"]) / (first[unit] / first["items"])
        print(f"second model's judge {unit} per item vs the first: {ratio:.2f}x")


if __name__ == "__main__":
    main()
