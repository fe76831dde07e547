"""The OpenAI-compatible backend against real HTTP servers on loopback, never a mocked client.

One server is llama-cpp-python's own OpenAI-compatible server on the embedded model; another is a
small scripted server that fails on purpose, to exercise retries, backoff and error values.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from tests.conftest import free_port

from autoj import Judge, create_backend
from autoj.backends.openai import OpenAIBackend
from autoj.errors import AutojError
from autoj.types import GenerationParams, Message, Prompt


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


# -- a misbehaving server: every odd answer is a failure value with a reason ------------------------


class Raw(BaseHTTPRequestHandler):
    """Answers every POST from a script of (status, headers, raw body bytes); records what it saw."""

    script: ClassVar[list[tuple[int, dict[str, str], bytes]]] = []
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        self.rfile.read(length)
        type(self).seen.append(
            {"path": self.path, "auth": self.headers.get("authorization"), "at": time.monotonic()}
        )
        status, headers, data = type(self).script.pop(0) if type(self).script else (500, {}, b"{}")
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def raw_server() -> Iterator[tuple[str, type[Raw]]]:
    handler = type("RawHandler", (Raw,), {"script": [], "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()


def _body(data: Any) -> bytes:
    return json.dumps(data).encode()


GOOD_USAGE = {"prompt_tokens": 3, "completion_tokens": 2}
# (what the server sends on 200, whether the prompt is chat, words the reason must hold)
BAD_ANSWERS: dict[str, tuple[bytes, bool, str]] = {
    "HTML instead of JSON": (b"<html><body>502 Bad Gateway</body></html>", False, "not JSON"),
    "empty body": (b"", False, "not JSON"),
    "invalid UTF-8": (b'{"choices": [{"text": "\xff"}]}', False, "not JSON"),
    "a JSON list": (_body([{"text": "x"}]), False, "expected a JSON object"),
    "a JSON string": (_body("So, the final decision is Response 1."), False, "expected a JSON object"),
    "empty choices": (_body({"choices": [], "usage": GOOD_USAGE}), False, "no choices"),
    "no choices key": (_body({"object": "text_completion"}), False, "no choices"),
    "choice is a string": (_body({"choices": ["hi"]}), False, "choices[0] is str"),
    "text is a number": (_body({"choices": [{"text": 42}]}), False, "choices[0].text is int"),
    "text is null": (_body({"choices": [{"text": None}]}), False, "choices[0].text is NoneType"),
    "chat content is a list": (
        _body({"choices": [{"message": {"content": ["a"]}}]}),
        True,
        "choices[0].message.content is list",
    ),
    "chat message missing": (_body({"choices": [{"text": "x"}]}), True, "choices[0].message is NoneType"),
    "usage is text": (_body({"choices": [{"text": "x"}], "usage": "lots"}), False, "usage is str"),
    "token count is text": (
        _body({"choices": [{"text": "x"}], "usage": {"prompt_tokens": "11"}}),
        False,
        "usage.prompt_tokens is '11'",
    ),
    "negative token count": (
        _body({"choices": [{"text": "x"}], "usage": {"completion_tokens": -5}}),
        False,
        "usage.completion_tokens is -5",
    ),
    "logprobs is text": (_body({"choices": [{"text": "x", "logprobs": "yes"}]}), False, "logprobs is str"),
    "chat logprob is text": (
        _body(
            {
                "choices": [
                    {
                        "message": {"content": "x"},
                        "logprobs": {"content": [{"token": "x", "logprob": "high"}]},
                    }
                ]
            }
        ),
        True,
        "logprobs.content[0].logprob is 'high'",
    ),
    "completion tokens not a list": (
        _body({"choices": [{"text": "x", "logprobs": {"tokens": "x", "token_logprobs": [0.0]}}]}),
        False,
        "must be lists",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
def test_a_misbehaving_server_gives_a_failure_value_with_a_reason(raw_server, case: str) -> None:
    address, handler = raw_server
    data, chat, words = BAD_ANSWERS[case]
    handler.script = [(200, {"content-type": "application/json"}, data)]
    backend = OpenAIBackend("m", base_url=f"http://{address}/v1", backoff=0.01)
    prompt = Prompt(messages=(Message("user", "hi"),)) if chat else Prompt(text="hi")
    [result] = backend.generate_sync([prompt], GenerationParams())
    assert result.error is not None and words in result.error, result.error
    assert result.finish_reason == "error" and result.text == ""
    assert len(handler.seen) == 1  # the server answered: a final answer, not retried


@pytest.mark.parametrize(
    ("headers", "data", "words"),
    [
        ({"content-encoding": "gzip"}, b"this is not gzip", "DecodingError"),
        ({"content-type": "text/html; charset=no-such-charset"}, b"<html>\xff</html>", "not JSON"),
    ],
)
def test_an_undecodable_body_is_a_failure_value(
    raw_server, headers: dict[str, str], data: bytes, words: str
) -> None:
    address, handler = raw_server
    handler.script = [(200, headers, data)] * 3
    backend = OpenAIBackend("m", base_url=f"http://{address}/v1", backoff=0.01, max_retries=2)
    [result] = backend.generate_sync([Prompt(text="hi")], GenerationParams())
    assert result.error is not None and words in result.error, result.error


def test_a_non_json_server_fails_each_judgment_with_a_reason_and_the_run_finishes(raw_server) -> None:
    address, handler = raw_server
    handler.script = [(200, {"content-type": "text/html"}, b"<html>maintenance</html>")] * 4
    judge = Judge(OpenAIBackend("m", base_url=f"http://{address}/v1", backoff=0.01), protocol="autoj")
    results = [judge.compare("q", "a", f"b{n}") for n in range(4)]
    assert [r.status for r in results] == ["backend_error"] * 4
    assert all("not JSON" in (r.judgment.reason or "") for r in results)


def test_retry_after_is_honoured_up_to_the_cap(raw_server) -> None:
    address, handler = raw_server
    ok = _body({"choices": [{"text": "Rating: [[7]]"}], "usage": GOOD_USAGE})
    handler.script = [(429, {"retry-after": "3600"}, b"slow down"), (200, {}, ok)]
    backend = OpenAIBackend("m", base_url=f"http://{address}/v1", backoff=0.01, max_retry_after=0.4)
    started = time.perf_counter()
    [result] = backend.generate_sync([Prompt(text="hi")], GenerationParams())
    waited = time.perf_counter() - started
    assert result.error is None and result.text == "Rating: [[7]]"
    assert 0.4 <= waited < 5  # capped: not an hour
    assert handler.seen[1]["at"] - handler.seen[0]["at"] >= 0.4


def test_the_retry_cap_is_a_backend_option() -> None:
    backend = create_backend("openai:m@http://127.0.0.1:9/v1", max_retry_after=2.5)
    assert isinstance(backend, OpenAIBackend) and backend.max_retry_after == 2.5
    assert OpenAIBackend("m").max_retry_after == 60.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("5", 5.0),
        ("0.25", 0.25),
        ("-3", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 30.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_retry_after_values(header: str | None, expected: float | None) -> None:
    from email.utils import parsedate_to_datetime

    from autoj.backends.openai import retry_after_seconds

    now = parsedate_to_datetime("Wed, 21 Oct 2015 07:27:30 GMT").timestamp()
    assert retry_after_seconds(header, now=now) == expected


def test_credentials_never_reach_results_or_reasons(raw_server, monkeypatch) -> None:
    address, handler = raw_server
    key = "sk-test-0123456789abcdef"
    echo = f'{{"error": "invalid api key {key} for user alice:hunter2"}}'.encode()
    handler.script = [(401, {}, echo), (200, {}, b"<html>key " + key.encode() + b"</html>")]
    monkeypatch.setenv("AUTOJ_API_KEY", key)
    spec = f"openai:m@http://alice:hunter2@{address}/v1"
    judge = Judge(spec, protocol="autoj")
    rejected = judge.compare("q", "a", "b")
    garbled = judge.compare("q", "a", "c")
    assert handler.seen[0]["auth"].startswith("Basic ")  # the URL's credentials are sent, never shown
    for result in (rejected, garbled):
        text = json.dumps(result.to_dict())
        assert result.status == "backend_error"
        assert key not in text and "hunter2" not in text, text
        assert "***" in (result.judgment.reason or "")
    assert f"openai:m@http://***@{address}/v1" == rejected.provenance["judge"]
    backend = judge.backend
    assert isinstance(backend, OpenAIBackend) and "hunter2" not in json.dumps(backend.identity())
    judge.close()


def test_basic_auth_in_the_url_is_sent_but_not_recorded(raw_server) -> None:
    import base64

    address, handler = raw_server
    handler.script = [(200, {}, _body({"choices": [{"text": "x"}], "usage": GOOD_USAGE}))]
    backend = OpenAIBackend("m", base_url=f"http://alice:hunter2@{address}/v1")
    [result] = backend.generate_sync([Prompt(text="hi")], GenerationParams())
    assert result.error is None
    assert handler.seen[0]["auth"] == "Basic " + base64.b64encode(b"alice:hunter2").decode()
    assert backend.identity()["base_url"] == f"http://{address}/v1"


def test_a_bad_url_error_does_not_show_the_password() -> None:
    with pytest.raises(AutojError) as info:
        create_backend("openai:m@ftp://alice:hunter2@example.org/v1")
    assert "hunter2" not in str(info.value) and "***@" in str(info.value)
