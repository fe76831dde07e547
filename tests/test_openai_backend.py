"""The OpenAI-compatible backend against real HTTP servers on loopback, never a mocked client.

One server is llama-cpp-python's own OpenAI-compatible server on the embedded model; another is a
small scripted server that fails on purpose, to exercise retries, backoff and error values.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest

from autoj import Judge, create_backend
from autoj.backends.openai import OpenAIBackend
from autoj.errors import AutojError
from autoj.types import GenerationParams, Message, Prompt


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Scripted(BaseHTTPRequestHandler):
    """Answers /v1/completions from a per-server script of (status, headers, body)."""

    script: ClassVar[list[tuple[int, dict[str, str], dict[str, Any]]]] = []
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length))
        type(self).seen.append({"path": self.path, "body": body, "auth": self.headers.get("authorization")})
        status, headers, answer = type(self).script.pop(0) if type(self).script else (500, {}, {})
        data = json.dumps(answer).encode()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def scripted_server() -> Iterator[tuple[str, type[Scripted]]]:
    handler = type("Handler", (Scripted,), {"script": [], "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    server.shutdown()


def completion(text: str) -> dict[str, Any]:
    return {
        "choices": [{"text": text, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7},
    }


def test_retries_on_429_and_503_then_succeeds(scripted_server, monkeypatch) -> None:
    url, handler = scripted_server
    handler.script = [
        (429, {"retry-after": "0.2"}, {"error": "slow down"}),
        (503, {}, {"error": "busy"}),
        (200, {}, completion("So, the final decision is Response 2.")),
    ]
    monkeypatch.setenv("AUTOJ_API_KEY", "secret-key")
    backend = create_backend(f"openai:autoj-13b@{url}", backoff=0.01)
    started = time.perf_counter()
    judge = Judge(backend, protocol="autoj")
    result = judge.compare("q", "a", "b")
    assert time.perf_counter() - started >= 0.2  # Retry-After was honoured
    assert result.verdict is not None and result.verdict.value == "response_2"
    assert result.provenance["prompt_tokens"] == [11] and result.provenance["completion_tokens"] == [7]
    assert len(handler.seen) == 3
    request = handler.seen[-1]
    assert request["path"] == "/v1/completions" and request["auth"] == "Bearer secret-key"
    assert request["body"]["prompt"].startswith("[INST] You are assessing")
    assert request["body"]["temperature"] == 0.0 and request["body"]["max_tokens"] == 1024


def test_client_errors_are_not_retried_and_become_typed_failures(scripted_server) -> None:
    url, handler = scripted_server
    handler.script = [(400, {}, {"error": "prompt too long"})]
    backend = OpenAIBackend("m", base_url=url, backoff=0.01)
    [result] = backend.generate_sync([Prompt(text="hi")], GenerationParams())
    assert result.error is not None and "HTTP 400" in result.error and "prompt too long" in result.error
    assert len(handler.seen) == 1


def test_a_server_that_is_down_is_a_failure_value_after_retries() -> None:
    backend = OpenAIBackend("m", base_url=f"http://127.0.0.1:{free_port()}/v1", max_retries=2, backoff=0.01)
    [result] = backend.generate_sync([Prompt(text="hi")], GenerationParams())
    assert result.error is not None and "ConnectError" in result.error


def test_spec_parsing_and_bad_urls() -> None:
    backend = create_backend("openai:my-model@http://127.0.0.1:9/v1/")
    assert isinstance(backend, OpenAIBackend)
    assert backend.model == "my-model" and backend.base_url == "http://127.0.0.1:9/v1"
    with pytest.raises(AutojError, match="needs a model name"):
        create_backend("openai:")
    with pytest.raises(AutojError, match="must start with http"):
        create_backend("openai:m@localhost:8000")


@pytest.fixture(scope="module")
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


@pytest.mark.model
def test_judges_through_a_real_local_server_with_both_protocols(llama_server: str) -> None:
    judge = Judge(f"openai:smollm2-135m@{llama_server}", params=GenerationParams(max_new_tokens=48))
    assert judge.protocol.name == "chat"
    pair = judge.compare("What is the capital of France?", "Paris.", "Berlin.", both_orders=True)
    assert pair.judgment.raw and pair.swapped is not None and pair.swapped.raw
    assert pair.judgment.status in ("ok", "parse_error")
    assert pair.provenance["completion_tokens"][0] > 0
    # raw-text (Auto-J) prompts go to /completions on the same server
    autoj_judge = Judge(judge.backend, protocol="autoj", params=GenerationParams(max_new_tokens=24))
    single = autoj_judge.rate("What is the capital of France?", "Paris.")
    # SmolLM2 often ends at once on the raw Auto-J prompt: a parse failure, not a backend error
    assert single.status in ("ok", "parse_error")
    assert single.provenance["prompt_tokens"][0] > 100


@pytest.mark.model
def test_chat_messages_reach_the_server_as_messages(llama_server: str) -> None:
    backend = OpenAIBackend("smollm2-135m", base_url=llama_server)
    prompt = Prompt(messages=(Message("system", "Answer with one word."), Message("user", "Say yes.")))
    [result] = backend.generate_sync([prompt], GenerationParams(max_new_tokens=8))
    assert result.error is None and result.text.strip() and result.completion_tokens > 0
