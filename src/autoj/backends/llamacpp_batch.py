"""Continuous batching for llama.cpp: many sequences decoded together in one context.

A single llama.cpp sequence on the CPU leaves most of each decode step's cost unshared (weights are
read once per step whatever the number of tokens). Here one worker thread owns a context with
`n_parallel` sequences; requests join and leave the batch as they come and finish (like
llama-server's slots), prompts are fed in chunks beside the running sequences, and each sequence
stops at an end-of-generation token, a stop string, a stop pattern (kept in the output: the verdict
line is complete) or its token budget. A finished sequence keeps its prompt in the KV cache, and the
next prompt goes to the free sequence that shares the longest prefix with it, so the judge's
instructions (about 40% of a short Eval-P prompt) are processed once per sequence, not per prompt.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import queue
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autoj.types import Completion, FinishReason, GenerationParams, TokenLogprob


@dataclass
class _Slot:
    """One sequence in flight."""

    seq_id: int
    prompt: list[int]
    params: GenerationParams
    future: concurrent.futures.Future[Completion]
    stop_patterns: tuple[re.Pattern[str], ...]
    rng: np.random.Generator
    fed: int = 0  # prompt tokens already in the KV cache
    generated: list[int] = field(default_factory=list)
    text_bytes: bytearray = field(default_factory=bytearray)
    logprobs: list[TokenLogprob] = field(default_factory=list)

    @property
    def prefilling(self) -> bool:
        return self.fed < len(self.prompt)


@dataclass(frozen=True)
class _Request:
    prompt: list[int]
    params: GenerationParams
    future: concurrent.futures.Future[Completion]


class BatchedDecoder:
    """A llama.cpp context with several sequences and a thread that decodes them together."""

    def __init__(
        self,
        llm: Any,
        n_parallel: int,
        n_ctx_per_seq: int,
        n_threads: int,
        n_batch: int = 512,
        flash_attn: bool = True,
        reuse_prefix: bool = True,
    ) -> None:
        import llama_cpp

        self._lib = llama_cpp
        self._llm = llm
        self.n_parallel = n_parallel
        self.n_ctx_per_seq = n_ctx_per_seq
        self.n_batch = n_batch
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx_per_seq * n_parallel
        params.n_batch = n_batch
        params.n_ubatch = n_batch
        params.n_seq_max = n_parallel
        params.n_threads = n_threads
        params.n_threads_batch = n_threads
        enabled, disabled = llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED, llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
        params.flash_attn_type = enabled if flash_attn else disabled
        params.kv_unified = False  # one KV stream per sequence: attention reads only its own cells
        params.no_perf = True
        model = llm._model.model
        self._ctx = llama_cpp.llama_init_from_model(model, params)
        if not self._ctx:
            raise RuntimeError("llama.cpp could not create the batched context")
        self._vocab = llama_cpp.llama_model_get_vocab(model)
        self._n_vocab = llama_cpp.llama_vocab_n_tokens(self._vocab)
        self._memory = llama_cpp.llama_get_memory(self._ctx)
        self._batch = llama_cpp.llama_batch_init(n_batch, 0, 1)
        self.reuse_prefix = reuse_prefix
        self._cached: dict[int, list[int]] = {}  # seq -> prompt tokens still in its KV cache
        self.prompt_tokens = 0  # prompt tokens of all requests taken
        self.reused_tokens = 0  # of them, those found in a sequence's cache (not processed again)
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="autoj-llamacpp-batch", daemon=True)
        self._thread.start()

    def submit(self, prompt: list[int], params: GenerationParams) -> concurrent.futures.Future[Completion]:
        """Queue one prompt (token ids); the future resolves when its sequence finishes."""
        future: concurrent.futures.Future[Completion] = concurrent.futures.Future()
        if self._closed:
            future.set_result(Completion.failed("llama.cpp: the backend is closed"))
        elif len(prompt) + 1 > self.n_ctx_per_seq:
            future.set_result(
                Completion.failed(
                    f"llama.cpp: prompt of {len(prompt)} tokens exceeds the context of {self.n_ctx_per_seq}"
                )
            )
        else:
            self._queue.put(_Request(prompt, params, future))
        return future

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join()
        self._lib.llama_batch_free(self._batch)
        self._lib.llama_free(self._ctx)

    # -- the worker thread ---------------------------------------------------------------------

    def _loop(self) -> None:
        slots: dict[int, _Slot] = {}
        free = list(range(self.n_parallel - 1, -1, -1))
        stopping = False
        while True:
            while free and not stopping:
                try:
                    request = self._queue.get(block=not slots)
                except queue.Empty:
                    break
                if request is None:
                    stopping = True
                    break
                seq_id, fed = self._take_sequence(free, request.prompt)
                slots[seq_id] = _Slot(
                    seq_id=seq_id,
                    prompt=request.prompt,
                    params=request.params,
                    future=request.future,
                    stop_patterns=tuple(re.compile(p) for p in request.params.stop_patterns),
                    rng=np.random.default_rng(request.params.seed),
                    fed=fed,
                )
            if not slots:
                if stopping:
                    return
                continue
            try:
                outputs = self._step(slots)
            except RuntimeError as exc:
                for slot in slots.values():
                    self._finish(slot, Completion.failed(f"llama.cpp: {exc}"), keep_prompt=False)
                    free.append(slot.seq_id)
                slots.clear()
                continue
            for slot, index in outputs:
                done = self._advance(slot, index)
                if done is not None:
                    self._finish(slot, done)
                    del slots[slot.seq_id]
                    free.append(slot.seq_id)

    def _take_sequence(self, free: list[int], prompt: list[int]) -> tuple[int, int]:
        """The free sequence whose cached prompt shares the longest prefix with `prompt`, and the
        count of tokens kept there (at least one prompt token is always fed, for its logits)."""
        shared = {seq: _common_prefix(self._cached.get(seq, []), prompt) for seq in free}
        seq_id = max(free, key=lambda seq: (shared[seq], -seq))
        free.remove(seq_id)
        self._cached.pop(seq_id, None)
        keep = min(shared[seq_id], len(prompt) - 1)
        self._lib.llama_memory_seq_rm(self._memory, seq_id, keep, -1)
        self.prompt_tokens += len(prompt)
        self.reused_tokens += keep
        return seq_id, keep

    def _step(self, slots: dict[int, _Slot]) -> list[tuple[_Slot, int]]:
        """One llama_decode: the next token of each running sequence, then prompt chunks."""
        batch = self._batch
        n = 0
        outputs: list[tuple[_Slot, int]] = []

        def add(token: int, pos: int, seq_id: int, logits: bool) -> None:
            nonlocal n
            batch.token[n] = token
            batch.pos[n] = pos
            batch.n_seq_id[n] = 1
            batch.seq_id[n][0] = seq_id
            batch.logits[n] = logits
            n += 1

        for slot in slots.values():
            if not slot.prefilling:
                add(slot.generated[-1], len(slot.prompt) + len(slot.generated) - 1, slot.seq_id, True)
                outputs.append((slot, n - 1))
        for slot in slots.values():
            if slot.prefilling and n < self.n_batch:
                take = min(self.n_batch - n, len(slot.prompt) - slot.fed)
                for offset in range(take):
                    pos = slot.fed + offset
                    last = pos == len(slot.prompt) - 1
                    add(slot.prompt[pos], pos, slot.seq_id, last)
                    if last:
                        outputs.append((slot, n - 1))
                slot.fed += take
        batch.n_tokens = n
        status = self._lib.llama_decode(self._ctx, batch)
        if status != 0:
            raise RuntimeError(f"llama_decode returned {status}")
        return outputs

    def _logits(self, index: int) -> np.ndarray:
        pointer = self._lib.llama_get_logits_ith(self._ctx, index)
        return np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)), (self._n_vocab,))

    def _advance(self, slot: _Slot, index: int) -> Completion | None:
        """Pick the slot's next token; a Completion when its sequence is finished."""
        logits = self._logits(index)
        params = slot.params
        token = _sample(logits, params, slot.rng)
        if params.logprobs is not None:
            slot.logprobs.append(self._token_logprob(logits, token, params.logprobs))
        if self._lib.llama_vocab_is_eog(self._vocab, token):
            if slot.logprobs:
                slot.logprobs.pop()
            return self._completion(slot, "stop")
        slot.generated.append(token)
        slot.text_bytes += self._llm.detokenize([token])
        text = slot.text_bytes.decode("utf-8", errors="ignore")
        for stop in params.stop:
            at = text.find(stop)
            if at >= 0:
                return self._completion(slot, "stop", text[:at])
        for pattern in slot.stop_patterns:
            if pattern.search(text):
                return self._completion(slot, "stop", text)
        if len(slot.generated) >= params.max_new_tokens:
            return self._completion(slot, "length", text)
        if len(slot.prompt) + len(slot.generated) >= self.n_ctx_per_seq:
            return self._completion(slot, "length", text)
        return None

    def _token_logprob(self, logits: np.ndarray, token: int, top: int) -> TokenLogprob:
        shifted = logits.astype(np.float64) - float(logits.max())
        logsum = float(np.log(np.exp(shifted).sum()))
        best = np.argpartition(-shifted, top)[:top] if top > 0 else np.array([], dtype=np.int64)
        piece = self._llm.detokenize([token]).decode("utf-8", errors="replace")
        tops = {
            self._llm.detokenize([int(t)]).decode("utf-8", errors="replace"): float(shifted[t]) - logsum
            for t in best
        }
        return TokenLogprob(token=piece, logprob=float(shifted[token]) - logsum, top=tops)

    def _completion(self, slot: _Slot, finish: FinishReason, text: str | None = None) -> Completion:
        if text is None:
            text = slot.text_bytes.decode("utf-8", errors="ignore")
        return Completion(
            text=text,
            prompt_tokens=len(slot.prompt),
            completion_tokens=len(slot.generated),
            finish_reason=finish,
            logprobs=tuple(slot.logprobs) if slot.params.logprobs is not None else None,
        )

    def _finish(self, slot: _Slot, completion: Completion, keep_prompt: bool = True) -> None:
        """Resolve the slot's future; its fully fed prompt stays cached for the next request."""
        if keep_prompt and self.reuse_prefix and not slot.prefilling:
            self._lib.llama_memory_seq_rm(self._memory, slot.seq_id, len(slot.prompt), -1)
            self._cached[slot.seq_id] = slot.prompt
        else:
            self._lib.llama_memory_seq_rm(self._memory, slot.seq_id, -1, -1)
        slot.future.set_result(completion)


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _sample(logits: np.ndarray, params: GenerationParams, rng: np.random.Generator) -> int:
    """Greedy at temperature 0 (the Auto-J setting); otherwise temperature + top-p sampling."""
    if params.temperature <= 0:
        return int(np.argmax(logits))
    scaled = logits.astype(np.float64) / params.temperature
    probs = np.exp(scaled - scaled.max())
    probs /= probs.sum()
    order = np.argsort(-probs)
    keep = order[: int(np.searchsorted(np.cumsum(probs[order]), params.top_p) + 1)]
    kept = probs[keep] / probs[keep].sum()
    return int(rng.choice(keep, p=kept))


def tokens_for(llm: Any, text: str, add_bos: bool) -> list[int]:
    """Token ids of a prompt as llama-cpp-python's own completion calls would make them."""
    return list(llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True))


def stop_strings(params: GenerationParams, extra: Sequence[str]) -> GenerationParams:
    """The params with the chat template's own stop strings added."""
    from dataclasses import replace

    return replace(params, stop=tuple(dict.fromkeys((*params.stop, *extra))))
