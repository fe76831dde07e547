"""CPU throughput of the embedded judge: the autoj engine vs a plain llama-cpp-python loop vs raw llama.cpp.

Same Eval-P pairs, same chat prompts, greedy, same token budget, in one run, under each load:
  quiet   nothing started by the script (the machine as it is: the load average is printed)
  hog     a busy-loop process started by the script keeps one core busy while both run
and in each:
  engine  autoj's Engine on the llamacpp backend (continuous batching, early stop at the verdict),
          threads and sequences sized by the backend to the cores free when it loads
  plain   a sequential loop of Llama.create_chat_completion (what a script would write), with the
          engine's thread count and flash attention: the engine's numerics, so greedy decoding
          writes the same outputs (without it, other rounding changes some outputs' lengths and
          outputs/min compares different work)
  plain-defaults  the same loop with llama-cpp-python's defaults (half the cores, no flash
          attention): what the script gets when it sets nothing but the context size
  raw     llama.cpp's own limit: llama_decode over the same prompts, `--parallel` sequences at once,
          each reusing the prompt head its sequence already holds (as llama-server's prompt cache),
          forced to produce exactly as many tokens as the engine did (argmax only, no text handling)

    python benchmarks/cpu_throughput.py [--pairs 12] [--max-new-tokens 256] [--load quiet,hog] [--raw]

Timings on a shared CPU mean little while other processes run: the script prints the load, and
each run's CPU seconds (outputs per CPU-minute is the work each output costs, whatever the share
of the CPU the run got).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp import Llama

from autoj.backends.llamacpp import LlamaCppBackend, _chat_formatter
from autoj.backends.llamacpp_batch import _common_prefix
from autoj.data.datadir import data_path
from autoj.protocols import get_protocol
from autoj.run.engine import Engine
from autoj.types import GenerationParams, PairItem


def eval_p_pairs(count: int, shortest: bool) -> list[PairItem]:
    path = data_path("autoj/test/testdata_pairwise.jsonl")
    if path is None:
        raise SystemExit("Eval-P not found: set AUTOJ_DATA_DIR")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [PairItem(r["prompt"], r["response 1"], r["response 2"], id=str(n)) for n, r in enumerate(rows)]
    if shortest:
        items.sort(key=lambda i: len(i.query) + len(i.response_1) + len(i.response_2))
    return items[:count]


def run_engine(
    items: list[PairItem], params: GenerationParams, parallel: int | None, threads: int | None
) -> dict[str, Any]:
    backend = LlamaCppBackend(n_parallel=parallel, n_threads=threads)
    share = backend.cpu_share  # sized now, as the first judgment would
    engine = Engine(backend, get_protocol("chat"), params)
    started, cpu_started = time.perf_counter(), time.process_time()
    results = asyncio.run(engine.run(items))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    asyncio.run(backend.aclose())
    tokens = [r.provenance["completion_tokens"][0] for r in results]
    prompt_tokens = [r.provenance["prompt_tokens"][0] for r in results]
    parsed = sum(r.status == "ok" for r in results)
    return {
        "elapsed": elapsed,
        "cpu": cpu,
        "tokens": tokens,
        "prompt_tokens": prompt_tokens,
        "parsed": parsed,
        "share": share,
        "parallel": backend.n_parallel,
    }


@contextmanager
def cpu_hog(on: bool) -> Iterator[None]:
    """A process that keeps one core busy for the duration (nothing when `on` is false)."""
    if not on:
        yield
        return
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(1.0)  # running, so that sizing at load time sees it
    try:
        yield
    finally:
        hog.kill()
        hog.wait()


def run_plain(items: list[PairItem], params: GenerationParams, threads: int | None) -> dict[str, Any]:
    """`threads` None: llama-cpp-python's defaults; else that many threads and flash attention."""
    settings: dict[str, Any] = (
        {"n_threads": threads, "n_threads_batch": threads, "flash_attn": True} if threads else {}
    )
    llm = Llama(_model_path(), n_ctx=4096, verbose=False, **settings)
    protocol = get_protocol("chat")
    started, cpu_started = time.perf_counter(), time.process_time()
    tokens = []
    for item in items:
        prompt = protocol.prompt(item)
        messages = [{"role": m.role, "content": m.content} for m in prompt.messages]
        out: Any = llm.create_chat_completion(
            messages=messages,  # type: ignore[arg-type]
            max_tokens=params.max_new_tokens,
            temperature=0.0,
            top_p=1.0,
            seed=params.seed,
        )
        tokens.append(out["usage"]["completion_tokens"])
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    llm.close()
    return {"elapsed": elapsed, "cpu": cpu, "tokens": tokens}


def _model_path() -> str:
    from autoj.backends.llamacpp import embedded_model_path

    return str(embedded_model_path())


def run_raw(items: list[PairItem], lengths: list[int], parallel: int, threads: int) -> dict[str, Any]:
    """llama_decode over the same prompt tokens, `parallel` sequences at once, fixed lengths."""
    llm = Llama(_model_path(), n_ctx=512, n_threads=threads, verbose=False)
    formatter = _chat_formatter(llm)
    protocol = get_protocol("chat")
    prompts = []
    for item in items:
        messages = [{"role": m.role, "content": m.content} for m in protocol.prompt(item).messages]
        text = formatter(messages=messages).prompt
        prompts.append(list(llm.tokenize(text.encode(), add_bos=False, special=True)))
    params = llama_cpp.llama_context_default_params()
    params.n_ctx, params.n_batch, params.n_ubatch = 4096 * parallel, 512, 512
    params.n_seq_max, params.kv_unified, params.no_perf = parallel, False, True
    params.n_threads = params.n_threads_batch = threads
    params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED  # as the engine
    ctx = llama_cpp.llama_init_from_model(llm._model.model, params)
    memory = llama_cpp.llama_get_memory(ctx)
    n_vocab = llm.n_vocab()
    batch = llama_cpp.llama_batch_init(512, 0, 1)
    queue = list(range(len(prompts)))
    slots: dict[int, list[int]] = {}  # seq -> [prompt index, fed, generated, last token]
    held: dict[int, list[int]] = {}  # seq -> the prompt whose tokens stay in its KV cache
    started, cpu_started = time.perf_counter(), time.process_time()
    while queue or slots:
        for seq in range(parallel):
            if seq not in slots and queue:
                p = queue.pop(0)
                keep = _common_prefix(held.get(seq, []), prompts[p][:-1])
                llama_cpp.llama_memory_seq_rm(memory, seq, keep, -1)
                slots[seq] = [p, keep, 0, 0]
        n, outs = 0, []
        for seq, (p, fed, gen, last) in slots.items():
            if fed == len(prompts[p]):
                batch.token[n], batch.pos[n], batch.n_seq_id[n] = last, fed + gen - 1, 1
                batch.seq_id[n][0], batch.logits[n] = seq, True
                outs.append((seq, n))
                n += 1
        for seq, state in slots.items():
            p, fed = state[0], state[1]
            if fed < len(prompts[p]) and n < 512:
                take = min(512 - n, len(prompts[p]) - fed)
                for k in range(take):
                    batch.token[n], batch.pos[n], batch.n_seq_id[n] = prompts[p][fed + k], fed + k, 1
                    batch.seq_id[n][0], batch.logits[n] = seq, fed + k == len(prompts[p]) - 1
                    if fed + k == len(prompts[p]) - 1:
                        outs.append((seq, n))
                    n += 1
                state[1] += take
        batch.n_tokens = n
        assert llama_cpp.llama_decode(ctx, batch) == 0
        for seq, index in outs:
            pointer = ctypes.cast(llama_cpp.llama_get_logits_ith(ctx, index), ctypes.POINTER(ctypes.c_float))
            token = int(np.argmax(np.ctypeslib.as_array(pointer, (n_vocab,))))
            state = slots[seq]
            state[2] += 1
            state[3] = token
            if state[2] >= max(1, lengths[state[0]]):
                llama_cpp.llama_memory_seq_rm(memory, seq, len(prompts[state[0]]), -1)
                held[seq] = prompts[state[0]]
                del slots[seq]
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    llama_cpp.llama_batch_free(batch)
    llama_cpp.llama_free(ctx)
    llm.close()
    return {"elapsed": elapsed, "cpu": cpu, "tokens": lengths}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=12)
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument(
        "--parallel", type=int, default=0, help="sequences at once (0: the backend default, 4)"
    )
    parser.add_argument("--threads", type=int, default=0, help="0: the backend sizes it to the free cores")
    parser.add_argument(
        "--also-parallel",
        type=int,
        nargs="*",
        default=[],
        help="also the engine at these fixed sequence counts",
    )
    parser.add_argument("--load", default="quiet,hog", help="conditions in order: quiet, hog (one busy core)")
    parser.add_argument("--first", action="store_true", help="the first pairs, not the shortest")
    parser.add_argument("--raw", action="store_true", help="also raw llama_decode in each condition")
    parser.add_argument("--defaults", action="store_true", help="also the plain loop at library defaults")
    args = parser.parse_args()
    conditions = [c.strip() for c in args.load.split(",") if c.strip()]
    if not conditions or set(conditions) - {"quiet", "hog"}:
        raise SystemExit(f"--load {args.load!r}: name quiet and/or hog, comma-separated")
    items = eval_p_pairs(args.pairs, shortest=not args.first)
    params = GenerationParams(max_new_tokens=args.max_new_tokens)
    print(
        f"{len(items)} Eval-P pairs ({'first' if args.first else 'shortest'}), "
        f"max_new_tokens {args.max_new_tokens}"
    )
    table: list[tuple[str, str, dict[str, Any]]] = []
    for condition in conditions:
        with cpu_hog(condition == "hog"):
            load_before = os.getloadavg()
            engine = run_engine(items, params, args.parallel or None, args.threads or None)
            share = engine["share"]
            print(
                f"[{condition}] engine: {engine['elapsed']:.1f}s, {engine['parsed']}/{len(items)} verdicts "
                f"parsed; {share.describe()}, {engine['parallel']} sequences",
                flush=True,
            )
            table.append((condition, "engine", engine))
            for parallel in args.also_parallel:
                fixed = run_engine(items, params, parallel, args.threads or None)
                print(f"[{condition}] engine-p{parallel}: {fixed['elapsed']:.1f}s", flush=True)
                table.append((condition, f"engine-p{parallel}", fixed))
            if args.raw:
                raw = run_raw(items, engine["tokens"], engine["parallel"], share.threads)
                table.append((condition, "raw", raw))
            plain = run_plain(items, params, share.threads)
            print(f"[{condition}] plain: {plain['elapsed']:.1f}s", flush=True)
            table.append((condition, "plain", plain))
            if args.defaults:
                table.append((condition, "plain-defaults", run_plain(items, params, None)))
            print(f"[{condition}] load average before {load_before}, after {os.getloadavg()}", flush=True)
    print(
        f"\n{'load':6} {'run':15} {'seconds':>9} {'outputs/min':>12} {'CPU s':>8} {'per CPU-min':>12} "
        f"{'gen tokens':>11} {'gen tok/s':>10}"
    )
    for condition, name, fig in table:
        per_min = 60 * len(items) / fig["elapsed"]
        tokens = sum(fig["tokens"])
        print(
            f"{condition:6} {name:15} {fig['elapsed']:9.1f} {per_min:12.2f} {fig['cpu']:8.1f} "
            f"{60 * len(items) / fig['cpu']:12.2f} {tokens:11d} "
            f"{tokens / fig['elapsed']:10.1f}"
        )
    for condition in conditions:
        runs = {name: fig["elapsed"] for c, name, fig in table if c == condition}
        engines = [n for n in runs if n.startswith("engine")]
        for name in (n for n in ("plain", "plain-defaults", "raw") if n in runs):
            for run in engines:
                print(f"{condition}: {run} vs {name}: {runs[name] / runs[run]:.2f}x outputs/min")


if __name__ == "__main__":
    main()
