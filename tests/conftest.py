"""Shared fixtures: the public data directory (skipped cleanly when absent) and the embedded model."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from autoj.data.datadir import data_path, missing_data_message


def shared_file(relative: str) -> Path:
    """A file of the shared public data, or skip the test saying where to put it."""
    path = data_path(relative)
    if path is None:
        pytest.skip(missing_data_message(relative))
    return path


def released_predictions() -> list[str]:
    """`--predictions P --swapped-predictions S`: Auto-J-13B's released Eval-P verdicts in both
    orders (a skip where the data is absent)."""
    return [
        "--predictions",
        str(shared_file("autoj/outputs/pairwise_example_output.jsonl")),
        "--swapped-predictions",
        str(shared_file("autoj/outputs/pairwise_exchange_example_output.jsonl")),
    ]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test (and every process it starts) gets its own judgment cache, never the user's."""
    path = tmp_path_factory.mktemp("cache") / "judgments.sqlite"
    monkeypatch.setenv("AUTOJ_CACHE", str(path))
    return path


@pytest.fixture(scope="session")
def embedded_backend() -> Iterator[Any]:
    """One embedded llama.cpp model for the whole session (loading costs about a second)."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    from autoj.backends.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend()
    yield backend


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def llama_server() -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server on the embedded model, on a loopback port."""
    pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] is not installed")
    from autoj.backends.llamacpp import embedded_model_path

    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(embedded_model_path()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--model_alias",
            "smollm2-135m",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("llama-cpp-python's server did not start within 60 s")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def one_error_line(done: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    """The single stderr line of a failed command, checked for its exit code and contents."""
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert done.returncode == code, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


#: The tiny model's chat template: role markers around each message, the assistant's to follow.
TINY_CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def tiny_llama(corpus: str) -> tuple[Any, Any]:
    """A randomly initialised 2-layer Llama (seed 0) and a byte-level BPE tokenizer trained on
    `corpus`, with a chat template: a real transformers model built from a config, no download
    (a skip without torch, transformers or tokenizers)."""
    pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    import torch

    bpe = tokenizers.ByteLevelBPETokenizer()
    bpe.train_from_iterator([corpus] * 20, vocab_size=300, special_tokens=["<s>", "</s>", "<pad>"])
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=bpe._tokenizer, bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )
    tokenizer.chat_template = TINY_CHAT_TEMPLATE
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    return transformers.LlamaForCausalLM(config), tokenizer
