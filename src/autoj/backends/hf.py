"""Hugging Face transformers in process: `hf:MODEL` (a hub id or a local directory).

Prompts are generated in batches with left padding (so every sequence ends where generation
starts); chat prompts go through the tokenizer's chat template; raw text (Auto-J's `[INST]` form)
is tokenized as is. Quantised checkpoints (GPTQ, AWQ, bitsandbytes) load through transformers'
own `quantization_config` when their libraries are installed: pass it through `quantization`.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from autoj.backends.base import Backend, Capability, Option, known_options
from autoj.errors import AutojError
from autoj.types import Completion, FinishReason, GenerationParams, Prompt, TokenLogprob


class HFBackend(Backend):
    """A transformers causal LM; one generate call per batch, serialised by a lock."""

    name = "hf"
    chat_template = "tokenizer"
    capabilities: frozenset[Capability] = frozenset({"stop", "stop_patterns", "logprobs", "batching"})

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        model_id: str = "",
        revision: str | None = None,
        max_batch: int = 8,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        """`settings`: the load options that change what the model writes (dtype, quantization),
        as given; they are part of the identity."""
        self._model = model
        self._settings = dict(settings or {})
        self._tokenizer = tokenizer
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "left"
        self.model_id = model_id or str(getattr(model.config, "name_or_path", "")) or "hf-model"
        self.revision = revision or str(getattr(model.config, "_commit_hash", None) or "")
        self.max_batch = max_batch
        self.max_concurrency = 1
        self.context_window = getattr(model.config, "max_position_embeddings", None)
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        model_id: str,
        revision: str | None = None,
        dtype: str = "auto",
        device: str | None = None,
        quantization: dict[str, Any] | None = None,
        trust_remote_code: bool = False,
        max_batch: int = 8,
    ) -> HFBackend:
        """Load a model and its tokenizer (quantization: a transformers quantization config dict)."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        kwargs: dict[str, Any] = {
            "revision": revision,
            "trust_remote_code": trust_remote_code,
            "dtype": dtype,
        }
        if quantization is not None:
            kwargs["quantization_config"] = quantization
        if device is not None:
            kwargs["device_map"] = device
        try:
            tokenizer = AutoTokenizer.from_pretrained(
                model_id, revision=revision, trust_remote_code=trust_remote_code
            )
            model = AutoModelForCausalLM.from_pretrained(model_id, **kwargs)
        except (OSError, ValueError) as exc:
            raise AutojError(f"cannot load the transformers model {model_id!r}: {exc}") from None
        model.eval()
        settings = {k: v for k, v in (("dtype", dtype), ("quantization", quantization)) if v and v != "auto"}
        return cls(
            model, tokenizer, model_id=model_id, revision=revision, max_batch=max_batch, settings=settings
        )

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    def identity(self) -> dict[str, Any]:
        """The model and revision, and the load options given that change its outputs."""
        return {"backend": self.name, "model": self.model_id, "revision": self.revision, **self._settings}

    def _text_of(self, prompt: Prompt) -> str:
        if prompt.text is not None:
            return prompt.text
        messages = [{"role": m.role, "content": m.content} for m in prompt.messages]
        return str(self._tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))

    def _generate_batch(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        texts = [self._text_of(p) for p in prompts]
        tokenizer = self._tokenizer
        # Chat templates already hold the BOS token; raw text gets the tokenizer's specials.
        add_special = all(p.text is not None for p in prompts)
        encoded = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=add_special)
        encoded = encoded.to(self._model.device)
        width = encoded["input_ids"].shape[1]
        patterns = [re.compile(p) for p in params.stop_patterns]
        stops = list(params.stop)

        class _Stop(StoppingCriteria):
            """Per-sequence stop once a stop string or stop pattern appears in the new text."""

            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                done = []
                for row in input_ids:
                    text = tokenizer.decode(row[width:], skip_special_tokens=True)
                    done.append(any(s in text for s in stops) or any(p.search(text) for p in patterns))
                return torch.tensor(done, device=input_ids.device)

        sampling = params.temperature > 0
        options: dict[str, Any] = {
            "max_new_tokens": params.max_new_tokens,
            "do_sample": sampling,
            "pad_token_id": tokenizer.pad_token_id,
            "return_dict_in_generate": True,
            "output_scores": params.logprobs is not None,
        }
        if sampling:
            options.update(temperature=params.temperature, top_p=params.top_p)
            torch.manual_seed(params.seed)
        if stops or patterns:
            options["stopping_criteria"] = StoppingCriteriaList([_Stop()])
        with self._lock, torch.no_grad():
            output = self._model.generate(**encoded, **options)
        completions = []
        eos = tokenizer.eos_token_id
        for row_index, row in enumerate(output.sequences):
            new = row[width:].tolist()
            ended = eos is not None and eos in new
            if ended:
                new = new[: new.index(eos)]
            while new and new[-1] == tokenizer.pad_token_id:
                new.pop()
            text = tokenizer.decode(new, skip_special_tokens=True)
            finish: FinishReason = "stop" if ended or len(new) < params.max_new_tokens else "length"
            for stop in stops:
                if stop in text:
                    text, finish = text[: text.index(stop)], "stop"
            logprobs = None
            if params.logprobs is not None:
                logprobs = _logprobs(tokenizer, output.scores, row_index, new, params.logprobs)
            prompt_tokens = int(encoded["attention_mask"][row_index].sum())
            completions.append(
                Completion(text, prompt_tokens, len(new), finish_reason=finish, logprobs=logprobs)
            )
        return completions

    async def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        try:
            return await asyncio.to_thread(self._generate_batch, prompts, params)
        except (RuntimeError, ValueError) as exc:  # out of memory, a prompt too long, a bad template
            return [Completion.failed(f"transformers: {exc}") for _ in prompts]


def _logprobs(tokenizer: Any, scores: Any, row: int, tokens: list[int], top: int) -> tuple[TokenLogprob, ...]:
    import torch

    out = []
    for step, token in enumerate(tokens):
        logp = torch.log_softmax(scores[step][row].float(), dim=-1)
        best = torch.topk(logp, top) if top > 0 else None
        tops: dict[str, float] = {}
        if best is not None:  # tokens that decode alike (partial UTF-8) add up
            for value, index in zip(best.values.tolist(), best.indices.tolist(), strict=True):
                piece = tokenizer.decode([index])
                tops[piece] = (
                    float(torch.logaddexp(torch.tensor(tops[piece]), torch.tensor(value)))
                    if piece in tops
                    else value
                )
        out.append(TokenLogprob(tokenizer.decode([token]), float(logp[token]), tops))
    return tuple(out)


# options `create` passes on (others are ignored: one option set serves every backend)
OPTIONS: Mapping[str, Option] = {
    "dtype": Option("text"),
    "device": Option("text"),
    "quantization": Option("mapping"),
    "trust_remote_code": Option("flag"),
    "max_batch": Option("int", 1),
}


def create(arg: str, **options: Any) -> HFBackend:
    """`hf:MODEL` or `hf:MODEL@REVISION`; options: dtype, device, quantization, max_batch."""
    if not arg:
        raise AutojError("name a transformers model: hf:MODEL (a hub id or a local directory)")
    model_id, _, revision = arg.partition("@")
    return HFBackend.load(model_id, revision or None, **known_options(options, OPTIONS))
