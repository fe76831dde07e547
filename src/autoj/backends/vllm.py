"""vLLM in process: `vllm:MODEL` (or `vllm:MODEL@REVISION`), greedy by default, on GPUs.

Raw text prompts (Auto-J's `[INST]` form) go to `LLM.generate`; chat prompts to `LLM.chat`, which
applies the model's chat template. One engine call takes the whole batch; vLLM schedules it.
Grammars become structured outputs (guided decoding on older vLLM); logprobs come per token.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from autoj.backends.base import Backend, Capability, Option, known_options
from autoj.errors import AutojError
from autoj.types import Completion, FinishReason, GenerationParams, Prompt, TokenLogprob


class VLLMBackend(Backend):
    """A `vllm.LLM` engine; calls are serialised (the offline engine is not re-entrant)."""

    name = "vllm"
    chat_template = "tokenizer"
    # vLLM takes stop strings, grammars (structured outputs) and logprobs, not regex stops.
    capabilities: frozenset[Capability] = frozenset({"stop", "grammar", "logprobs", "batching"})
    max_batch = 256
    max_concurrency = 1

    def __init__(
        self,
        llm: Any,
        vllm_module: Any,
        model_id: str,
        revision: str | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        """`settings`: the engine options that change what the model writes (dtype, quantization,
        context length), as given; they are part of the identity."""
        self._llm = llm
        self._settings = dict(settings or {})
        self._vllm = vllm_module
        self.model_id = model_id
        self.revision = revision or ""
        config = getattr(llm.llm_engine, "model_config", None) if hasattr(llm, "llm_engine") else None
        self.context_window = getattr(config, "max_model_len", None)
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        model_id: str,
        revision: str | None = None,
        tensor_parallel_size: int = 1,
        max_model_len: int | None = None,
        gpu_memory_utilization: float = 0.9,
        quantization: str | None = None,
        dtype: str = "auto",
    ) -> VLLMBackend:
        import vllm

        options: dict[str, Any] = {
            "model": model_id,
            "revision": revision,
            "tensor_parallel_size": tensor_parallel_size,
            "gpu_memory_utilization": gpu_memory_utilization,
            "dtype": dtype,
        }
        if max_model_len:
            options["max_model_len"] = max_model_len
        if quantization:
            options["quantization"] = quantization
        try:
            llm = vllm.LLM(**options)
        except (OSError, ValueError, RuntimeError) as exc:
            raise AutojError(f"vLLM could not load {model_id!r}: {exc}") from None
        settings = {
            key: value
            for key, value in (
                ("dtype", dtype),
                ("quantization", quantization),
                ("max_model_len", max_model_len),
            )
            if value and value != "auto"
        }
        return cls(llm, vllm, model_id, revision, settings)

    def identity(self) -> dict[str, Any]:
        """The model and revision, and the engine options given that change its outputs."""
        return {"backend": self.name, "model": self.model_id, "revision": self.revision, **self._settings}

    def count_tokens(self, text: str) -> int:
        return len(self._llm.get_tokenizer().encode(text, add_special_tokens=False))

    def _sampling(self, params: GenerationParams) -> Any:
        options: dict[str, Any] = {
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "seed": params.seed,
            "stop": list(params.stop) or None,
            "logprobs": params.logprobs,
        }
        if params.grammar is not None:
            options.update(self._grammar_option(params.grammar))
        return self._vllm.SamplingParams(**options)

    def _grammar_option(self, grammar: str) -> dict[str, Any]:
        """Structured outputs (vLLM >= 0.10) or guided decoding (older), whichever this vLLM has."""
        sampling_params = self._vllm.sampling_params
        structured = getattr(sampling_params, "StructuredOutputsParams", None)
        if structured is not None:
            return {"structured_outputs": structured(grammar=grammar)}
        return {"guided_decoding": sampling_params.GuidedDecodingParams(grammar=grammar)}

    def _run(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        sampling = self._sampling(params)
        out: list[Completion | None] = [None] * len(prompts)
        raw = [n for n, p in enumerate(prompts) if p.text is not None]
        chats = [n for n, p in enumerate(prompts) if p.text is None]
        with self._lock:
            if raw:
                texts = [prompts[n].text for n in raw]
                for n, request in zip(raw, self._llm.generate(texts, sampling, use_tqdm=False), strict=True):
                    out[n] = _completion(request)
            if chats:
                conversations = [
                    [{"role": m.role, "content": m.content} for m in prompts[n].messages] for n in chats
                ]
                results = self._llm.chat(conversations, sampling, use_tqdm=False)
                for n, request in zip(chats, results, strict=True):
                    out[n] = _completion(request)
        return [c if c is not None else Completion.failed("vLLM returned no output") for c in out]

    async def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        try:
            return await asyncio.to_thread(self._run, prompts, params)
        except (ValueError, RuntimeError) as exc:  # a prompt longer than the context, CUDA OOM
            return [Completion.failed(f"vLLM: {exc}") for _ in prompts]


def _completion(request: Any) -> Completion:
    output = request.outputs[0]
    finish: FinishReason = "length" if output.finish_reason == "length" else "stop"
    logprobs = None
    if output.logprobs:
        entries = []
        for token_id, step in zip(output.token_ids, output.logprobs, strict=False):
            chosen = step[token_id]
            top = {lp.decoded_token or "": float(lp.logprob) for lp in step.values()}
            entries.append(TokenLogprob(chosen.decoded_token or "", float(chosen.logprob), top))
        logprobs = tuple(entries)
    return Completion(
        text=output.text,
        prompt_tokens=len(request.prompt_token_ids or ()),
        completion_tokens=len(output.token_ids),
        finish_reason=finish,
        logprobs=logprobs,
    )


# options `create` passes on (others are ignored: one option set serves every backend)
OPTIONS: Mapping[str, Option] = {
    "tensor_parallel_size": Option("int", 1),
    "max_model_len": Option("int", 1),
    "gpu_memory_utilization": Option("number", 0, 1, above=True),
    "quantization": Option("text"),
    "dtype": Option("text"),
}


def create(arg: str, **options: Any) -> VLLMBackend:
    """`vllm:MODEL` or `vllm:MODEL@REVISION`; options: tensor_parallel_size, max_model_len, ..."""
    if not arg:
        raise AutojError("name a model for vLLM: vllm:MODEL (a hub id or a local directory)")
    model_id, _, revision = arg.partition("@")
    return VLLMBackend.load(model_id, revision or None, **known_options(options, OPTIONS))
