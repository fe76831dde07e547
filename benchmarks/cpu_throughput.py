"""CPU throughput of the embedded judge: the autoj engine vs a plain llama-cpp-python loop vs raw llama.cpp.

Same Eval-P pairs, same chat prompts, greedy, same token budget, in one run:
  engine  autoj's Engine on the llamacpp backend (continuous batching, early stop at the verdict)
  plain   a sequential loop of Llama.create_chat_completion (what a script would write), with the
          engine's thread count
  plain-defaults  the same loop with llama-cpp-python's defaults (half the cores, no flash
          attention): what the script gets when it sets nothing but the context size
  raw     llama.cpp's own limit: llama_decode over the same prompts, `--parallel` sequences at once,
          each reusing the prompt head its sequence already holds (as llama-server's prompt cache),
          forced to produce exactly as many tokens as the engine did (argmax only, no text handling)

    python benchmarks/cpu_throughput.py [--pairs 50] [--max-new-tokens 256] [--parallel 8]

Timings on a shared CPU mean little while other processes run: the script prints the load.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import os
import time
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp import Llama

from autoj.backends.llamacpp import DEFAULT_PARALLEL, LlamaCppBackend, _chat_formatter, _default_threads
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
    items: list[PairItem], params: GenerationParams, parallel: int, threads: int
) -> dict[str, Any]:
    backend = LlamaCppBackend(n_parallel=parallel, n_threads=threads)
    engine = Engine(backend, get_protocol("chat"), params)
    started = time.perf_counter()
    results = asyncio.run(engine.run(items))
    elapsed = time.perf_counter() - started
    asyncio.run(backend.aclose())
    tokens = [r.provenance["completion_tokens"][0] for r in results]
    prompt_tokens = [r.provenance["prompt_tokens"][0] for r in results]
    parsed = sum(r.status == "ok" for r in results)
    return {"elapsed": elapsed, "tokens": tokens, "prompt_tokens": prompt_tokens, "parsed": parsed}


def run_plain(items: list[PairItem], params: GenerationParams, threads: int | None) -> dict[str, Any]:
    settings: dict[str, Any] = {"n_threads": threads, "n_threads_batch": threads} if threads else {}
    llm = Llama(_model_path(), n_ctx=4096, verbose=False, **settings)
    protocol = get_protocol("chat")
    started = time.perf_counter()
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
    elapsed = time.perf_counter() - started
    llm.close()
    return {"elapsed": elapsed, "tokens": tokens}


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
    started = time.perf_counter()
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
    elapsed = time.perf_counter() - started
    llama_cpp.llama_batch_free(batch)
    llama_cpp.llama_free(ctx)
    llm.close()
    return {"elapsed": elapsed, "tokens": lengths}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument(
        "--parallel",
        type=int,
        default=0,
        help="sequences decoded together (0: the backend's default)",
    )
    parser.add_argument("--threads", type=int, default=0, help="0: autoj's load-aware default")
    parser.add_argument("--first", action="store_true", help="the first pairs, not the shortest")
    parser.add_argument("--skip-plain", action="store_true")
    parser.add_argument("--defaults", action="store_true", help="also the plain loop at library defaults")
    args = parser.parse_args()
    threads = args.threads or _default_threads()
    args.parallel = args.parallel or DEFAULT_PARALLEL
    items = eval_p_pairs(args.pairs, shortest=not args.first)
    params = GenerationParams(max_new_tokens=args.max_new_tokens)
    print(
        f"{len(items)} Eval-P pairs ({'first' if args.first else 'shortest'}), max_new_tokens "
        f"{args.max_new_tokens}, parallel {args.parallel}, threads {threads}, load {os.getloadavg()}"
    )
    figures: dict[str, dict[str, Any]] = {}
    engine = run_engine(items, params, args.parallel, threads)
    figures["engine"] = engine
    print(
        f"engine done: {engine['elapsed']:.1f}s, {engine['parsed']}/{len(items)} verdicts parsed", flush=True
    )
    figures["raw"] = run_raw(items, engine["tokens"], args.parallel, threads)
    print(f"raw done: {figures['raw']['elapsed']:.1f}s", flush=True)
    if not args.skip_plain:
        figures["plain"] = run_plain(items, params, threads)
        print(f"plain done: {figures['plain']['elapsed']:.1f}s", flush=True)
        if args.defaults:
            figures["plain-defaults"] = run_plain(items, params, None)
            print(f"plain-defaults done: {figures['plain-defaults']['elapsed']:.1f}s", flush=True)
    print(f"\nload at the end {os.getloadavg()}; prompt tokens total {sum(engine['prompt_tokens'])}")
    print(f"{'run':8} {'seconds':>9} {'judgments/min':>14} {'gen tokens':>11} {'gen tok/s':>10}")
    for name, fig in figures.items():
        per_min = 60 * len(items) / fig["elapsed"]
        print(
            f"{name:8} {fig['elapsed']:9.1f} {per_min:14.2f} {sum(fig['tokens']):11d} "
            f"{sum(fig['tokens']) / fig['elapsed']:10.1f}"
        )
    base = figures["engine"]["elapsed"]
    for name in ("plain", "plain-defaults", "raw"):
        if name in figures:
            print(f"engine vs {name}: {figures[name]['elapsed'] / base:.2f}x judgments/min")


if __name__ == "__main__":
    main()
