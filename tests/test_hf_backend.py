"""The transformers backend on a tiny random Llama built in the test (no download)."""

from __future__ import annotations

import asyncio
import importlib.util
import re

import pytest
from tests.conftest import tiny_llama

from autoj.backends import registry
from autoj.errors import MissingExtraError
from autoj.types import GenerationParams, Message, Prompt

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from autoj.backends.hf import HFBackend


@pytest.fixture(scope="module")
def backend() -> HFBackend:
    model, tokenizer = tiny_llama(
        "So, the final decision is Response 1. Rating: [[7]] the query and two responses"
    )
    return HFBackend(model.eval(), tokenizer, model_id="tiny-llama")


def test_left_padded_batch_matches_one_at_a_time(backend: HFBackend) -> None:
    prompts = [
        Prompt(text="the query"),
        Prompt(text="So, the final decision is Response 1. the query and two"),
    ]
    params = GenerationParams(max_new_tokens=6)
    batched = asyncio.run(backend.generate(prompts, params))
    alone = [asyncio.run(backend.generate([p], params))[0] for p in prompts]
    assert [c.text for c in batched] == [c.text for c in alone]
    assert [c.completion_tokens for c in batched] == [c.completion_tokens for c in alone]
    assert batched[0].prompt_tokens < batched[1].prompt_tokens  # padding is not counted
    assert all(c.error is None and c.completion_tokens > 0 for c in batched)


def test_chat_prompts_use_the_chat_template_and_logprobs(backend: HFBackend) -> None:
    chat = Prompt(messages=(Message("system", "judge"), Message("user", "the query")))
    assert backend._text_of(chat) == "<|system|>judge</s><|user|>the query</s><|assistant|>"
    [completion] = asyncio.run(backend.generate([chat], GenerationParams(max_new_tokens=4, logprobs=3)))
    assert completion.logprobs is not None and len(completion.logprobs) == completion.completion_tokens
    assert all(1 <= len(t.top) <= 3 and t.logprob <= 0 for t in completion.logprobs)
    assert all(t.token in t.top and t.logprob <= t.top[t.token] + 1e-6 for t in completion.logprobs)
    assert backend.identity() == {"backend": "hf", "model": "tiny-llama", "revision": ""}


def test_stop_patterns_end_generation_early(backend: HFBackend) -> None:
    prompt = Prompt(text="the query")
    free = asyncio.run(backend.generate([prompt], GenerationParams(max_new_tokens=8)))[0]
    assert free.completion_tokens == 8
    first_char = free.text[:1]
    stopped = asyncio.run(
        backend.generate([prompt], GenerationParams(max_new_tokens=8, stop_patterns=(re.escape(first_char),)))
    )[0]
    assert stopped.completion_tokens < 8 and stopped.text.startswith(first_char)


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "transformers" else real(name, *a)
    )
    with pytest.raises(MissingExtraError, match=r"autoj\[hf\]"):
        registry.create_backend("hf:some/model")
