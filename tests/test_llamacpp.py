"""The embedded default: a real GGUF model in process, found on disk with no download."""

from __future__ import annotations

import asyncio

import pytest

from autoj import Judge
from autoj.backends.llamacpp import embedded_model_path
from autoj.engine import Engine
from autoj.protocols import get_protocol
from autoj.types import GenerationParams, PairItem, Prompt

pytestmark = pytest.mark.model


def test_the_embedded_model_ships_with_the_install() -> None:
    path = embedded_model_path()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000


def test_backend_identity_tokens_and_threads(embedded_backend) -> None:
    identity = embedded_backend.identity()
    assert identity["backend"] == "llamacpp" and len(identity["sha256"]) == 64
    assert embedded_backend.context_window == 4096
    assert embedded_backend.n_threads >= 1
    count = embedded_backend.count_tokens("The capital of France is Paris.")
    assert 5 <= count <= 12


def test_the_default_judge_uses_the_chat_protocol_and_judges_a_pair(embedded_backend) -> None:
    judge = Judge(embedded_backend, params=GenerationParams(max_new_tokens=96))
    assert judge.protocol.name == "chat"
    result = judge.compare("What is the capital of France?", "Paris.", "Berlin is the capital of France.")
    assert result.judgment.raw.strip()
    assert result.status in ("ok", "parse_error")
    assert result.provenance["model"] == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert result.provenance["completion_tokens"][0] > 0


def test_greedy_decoding_is_repeatable(embedded_backend) -> None:
    prompt = Prompt(text="[INST] Name three colours. [/INST]")
    params = GenerationParams(max_new_tokens=16)
    first = embedded_backend.generate_sync([prompt], params)[0].text
    second = embedded_backend.generate_sync([prompt], params)[0].text
    assert first == second and first.strip()


def test_long_inputs_are_cut_with_the_real_tokenizer(embedded_backend) -> None:
    long_response = "The answer depends on many factors. " * 900  # ~7,000 tokens
    item = PairItem("Explain briefly.", long_response, "Short answer.", id="long")
    engine = Engine(embedded_backend, get_protocol("autoj"), GenerationParams(max_new_tokens=8))
    result = asyncio.run(engine.judge(item))
    assert result.status != "backend_error", result.judgment.reason
    cut = result.provenance["truncated"]
    assert cut is not None and cut["response_1"] > 0
    assert result.provenance["prompt_tokens"][0] <= 4096 - 8 - 16 + 1


def test_chat_prompts_with_stop_patterns_work_without_a_template_in_the_file() -> None:
    """A GGUF file without a chat template (a base model) goes through llama-cpp-python's fallback."""
    from autoj.backends.llamacpp import LlamaCppBackend
    from autoj.types import Message

    backend = LlamaCppBackend()
    _ = backend._vocab  # load the tokenizer, then forget the file's template
    backend._chat_formatter = None
    prompt = Prompt(messages=(Message("user", "Say yes."),))
    params = GenerationParams(max_new_tokens=8, stop_patterns=(r"final decision is Response 1\.",))
    [completion] = backend.generate_sync([prompt], params)
    assert completion.error is None and completion.completion_tokens > 0


def test_thread_choice_leaves_busy_cores_alone() -> None:
    import os
    import threading
    import time

    from autoj.backends.llamacpp import _busy_cores, _default_threads

    cores = os.cpu_count() or 1
    assert 0.0 <= _busy_cores() <= cores + 0.01
    assert 1 <= _default_threads() <= cores
    stop = time.monotonic() + 0.6

    def spin() -> None:
        while time.monotonic() < stop:
            pass

    worker = threading.Thread(target=spin)
    worker.start()
    busy = _busy_cores(0.3)
    worker.join()
    assert busy >= 0.7  # the spinning thread keeps about one core busy
