"""The embedded default: a real GGUF model in process, found on disk with no download."""

from __future__ import annotations

import asyncio

import pytest

from autoj import Judge
from autoj.backends.llamacpp import embedded_model_path
from autoj.protocols import get_protocol
from autoj.run.engine import Engine
from autoj.types import GenerationParams, Message, PairItem, Prompt

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
    """A process spinning elsewhere counts as a busy core; this process's own spinning does not
    (its llama.cpp threads must not make it shrink its own share)."""
    import subprocess
    import sys
    import threading
    import time

    from autoj.backends.cpu_share import busy_elsewhere, measure, usable_cores

    share = measure()
    assert 1 <= share.threads <= usable_cores()
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        busy = busy_elsewhere(0.3)
    finally:
        hog.kill()
        hog.wait()
    assert busy >= 0.7  # the spinning process keeps about one core busy
    stop = time.monotonic() + 0.6

    def spin() -> None:
        while time.monotonic() < stop:
            pass

    worker = threading.Thread(target=spin)
    worker.start()
    mine = busy_elsewhere(0.3)
    worker.join()
    assert mine <= busy_elsewhere(0.3) + 0.5  # within noise of the machine without it


def test_batched_sequences_reuse_a_shared_prompt_prefix(embedded_backend) -> None:
    from autoj.backends.llamacpp_batch import tokens_for

    decoder = embedded_backend._batched()
    assert decoder is not None and decoder.n_parallel > 1
    head = "<|im_start|>system\nYou judge answers. Be brief.<|im_end|>\n<|im_start|>user\n"
    prompts = [
        tokens_for(embedded_backend._llm, head + q + "<|im_end|>\n<|im_start|>assistant\n", add_bos=False)
        for q in ("Name a colour.", "Name a fruit.", "Name a colour.")
    ]
    shared = next(i for i, (a, b) in enumerate(zip(prompts[0], prompts[1], strict=False)) if a != b)
    assert shared > 10  # the system message and the user turn's opening
    params = GenerationParams(max_new_tokens=6)
    texts = [decoder.submit(prompts[0], params).result(timeout=120).text]
    before_total, before_reused = decoder.prompt_tokens, decoder.reused_tokens
    texts += [decoder.submit(p, params).result(timeout=120).text for p in prompts[1:]]
    assert decoder.prompt_tokens - before_total == len(prompts[1]) + len(prompts[2])
    # one at a time, each prompt goes to the sequence that just held the previous one and reuses the
    # shared head; only that head: the third prompt's sequence now holds the second one
    assert decoder.reused_tokens - before_reused == 2 * shared
    assert all(t.strip() for t in texts)
    assert texts[2] == texts[0]


def test_concurrent_sequences_keep_to_their_own_prompts(embedded_backend) -> None:
    """Four prompts decoded together start as each does alone: no sequence reads another's cache.

    Only the opening tokens are compared: llama.cpp's sums depend on how tokens are batched, so a
    near-tie far into a long answer may go either way (the deterministic mode exists for that).
    """
    from autoj.backends.llamacpp import LlamaCppBackend

    questions = ["What is 2+2?", "Name a large ocean.", "Is the sun a star?", "Say hello in French."]
    prompts = [Prompt(messages=(Message("user", q),)) for q in questions]
    params = GenerationParams(max_new_tokens=4)
    together = embedded_backend.generate_sync(prompts, params)
    single = LlamaCppBackend(n_parallel=1)
    alone = [single.generate_sync([p], params)[0] for p in prompts]
    asyncio.run(single.aclose())
    assert [c.error for c in together] == [None] * 4
    assert [c.text for c in together] == [c.text for c in alone]
    assert len({c.text for c in alone}) == 4  # four different openings: a mix-up would show


def test_deterministic_mode_gives_the_same_text_whatever_else_is_judged() -> None:
    """The default batches and reuses prompt heads, so greedy text may change with the company a
    prompt keeps; the deterministic mode must not (what a Ray run compared with a local run needs)."""
    from autoj.backends.llamacpp import LlamaCppBackend

    questions = ["What is 2+2?", "Name a large ocean.", "Is the sun a star?", "Say hello in French."]
    prompts = [Prompt(messages=(Message("user", q),)) for q in questions]
    params = GenerationParams(max_new_tokens=24)

    def texts(order: list[int]) -> dict[int, str]:
        backend = LlamaCppBackend(n_threads=1, deterministic=True)
        out = backend.generate_sync([prompts[i] for i in order], params)
        asyncio.run(backend.aclose())
        return {i: c.text for i, c in zip(order, out, strict=True)}

    first, second = texts([0, 1, 2, 3]), texts([3, 1, 0])
    assert all(first.values())
    assert {i: first[i] for i in second} == second
