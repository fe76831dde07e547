"""Any OpenAI-compatible server: `vllm serve`, llama.cpp's `llama-server`, llama-cpp-python's
server, hosted APIs. Raw-text prompts (Auto-J) go to /completions, chat prompts to /chat/completions.

Spec: `openai:MODEL@URL` (URL up to and including /v1). The API key comes from the environment
(`AUTOJ_API_KEY`, else `OPENAI_API_KEY`), never from a command line.

A server can misbehave: answer 200 with something that is not JSON, put a number where text
belongs, return no choices. Each answer is checked against the shape the API promises, and what
does not fit is a failed Completion with the reason, never an exception. Credentials (the API key,
a `user:pass@` in the URL) are kept out of identity, provenance and every reason, even when a
server echoes them back.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import os
import random
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx

from autoj.backends.base import Backend, Capability, Option, known_options
from autoj.backends.loop_bound import LoopBound
from autoj.backends.redaction import redact, redact_url, register_secret
from autoj.errors import AutojError
from autoj.safeload import DocumentError, load_json
from autoj.types import Completion, GenerationParams, Prompt, TokenLogprob

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
#: Longest wait a server's Retry-After may ask for; a longer ask waits this long.
DEFAULT_MAX_RETRY_AFTER = 60.0
_RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504}
_SHOWN = 300  # characters of a server's answer quoted in a reason
#: Largest answer read, once decoded: a completion with logprobs is well under a megabyte.
MAX_ANSWER_BYTES = 32 * 2**20
_STEP = 2**20  # decoded bytes per decompression step


class BadAnswer(ValueError):
    """A server's 200 answer that does not have the shape the OpenAI API promises."""


class OpenAIBackend(Backend):
    """HTTP client with timeouts, retries with exponential backoff and bounded concurrency."""

    name = "openai"
    chat_template = "server"
    # A server decodes: stop strings and logprobs travel in the request, regex stops and grammars do not.
    capabilities: frozenset[Capability] = frozenset({"stop", "logprobs"})

    def __init__(
        self,
        model: str,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None = None,
        concurrency: int = 8,
        timeout: float = 600.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        context_window: int | None = None,
        extra_body: dict[str, Any] | None = None,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
    ) -> None:
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.max_batch = concurrency
        self.max_concurrency = concurrency
        self.context_window = context_window
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.extra_body = dict(extra_body or {})
        self.model_id = str(self.sent_options()["model"])  # the model the server is asked for
        url = httpx.URL(self.base_url)
        register_secret(api_key)
        register_secret(url.password, user=url.username)
        self.public_url = str(url.copy_with(username=None, password=None)) if url.userinfo else self.base_url
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # only the encodings _read_capped decodes in bounded steps
        self._headers = {**headers, "Accept-Encoding": "gzip, deflate"}
        self.timeout = timeout
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        # a client per event loop, closed on its own loop (its kept-alive sockets belong to it)
        self._connections: LoopBound[_Connection] = LoopBound(self._connect, _disconnect)

    def sent_options(self) -> dict[str, Any]:
        """What every request carries besides the prompt and the generation params: the model
        and `extra_body` (which overrides any field, the model and the params included)."""
        return {"model": self.model, **self.extra_body}

    def identity(self) -> dict[str, Any]:
        """The server and everything every request sends but the prompt and params (derived from
        `sent_options`, so an option sent is an option recorded): `model` is the model the
        server is asked for, `extra_body` the options given there (left out when none, so
        records and cache keys made before stay valid)."""
        sent = self.sent_options()
        identity = {"backend": self.name, "model": sent["model"], "base_url": self.public_url}
        if self.extra_body:
            identity["extra_body"] = dict(sorted(self.extra_body.items()))
        return identity

    def _connect(self) -> _Connection:
        client = httpx.AsyncClient(
            base_url=self.base_url,
            headers=self._headers,
            timeout=self._timeout,
            limits=httpx.Limits(max_connections=self.max_concurrency),
        )
        return _Connection(client, asyncio.Semaphore(self.max_concurrency))

    def _request(self, prompt: Prompt, params: GenerationParams) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "seed": params.seed,
        }
        if params.stop:
            body["stop"] = list(params.stop)
        if prompt.text is not None:
            body["prompt"] = prompt.text
            if params.logprobs is not None:
                body["logprobs"] = params.logprobs
            path = "/completions"
        else:
            body["messages"] = [{"role": m.role, "content": m.content} for m in prompt.messages]
            if params.logprobs is not None:
                body["logprobs"] = True
                body["top_logprobs"] = params.logprobs
            path = "/chat/completions"
        body.update(self.sent_options())
        return path, body

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        """The decoded JSON answer, or a _Failed with the reason the request failed after retries."""
        connection = await self._connections.get()
        reason = "no attempt made"
        for attempt in range(self.max_retries + 1):
            delay = self.backoff * (2**attempt) * (1 + random.random() / 2)
            try:
                async with connection.semaphore:
                    response = await self._exchange(connection.client, path, body)
            except httpx.RequestError as exc:  # connection, protocol, per-read timeout
                reason = f"{type(exc).__name__}: {exc}"
            except TimeoutError:  # a server that trickles its answer: the whole exchange is bounded
                reason = f"no complete answer within the {self.timeout:g}s timeout"
            except _AnswerRefused as exc:
                return _Failed(str(exc))
            else:
                if response.status == 200:
                    try:
                        return load_json(response.content, "the server's 200 answer")
                    except (ValueError, UnicodeDecodeError):
                        return _Failed(f"the server's 200 answer is not JSON: {_quote(response.text)}")
                    except DocumentError as exc:
                        return _Failed(str(exc))
                reason = f"HTTP {response.status}: {response.text[:_SHOWN]}"
                if response.status not in _RETRY_STATUSES:
                    return _Failed(reason)
                asked = retry_after_seconds(response.headers.get("retry-after"))
                if asked is not None:
                    delay = max(delay, min(asked, self.max_retry_after))
            if attempt < self.max_retries:
                await asyncio.sleep(delay)
        return _Failed(reason)

    async def _exchange(self, client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> _Answer:
        """One request and its whole answer, within `timeout` seconds from first byte sent to last
        byte read, and at most `MAX_ANSWER_BYTES` once decoded (a small gzip body can decode to
        gigabytes: it is decoded here, in bounded steps, not by httpx)."""
        async with asyncio.timeout(self.timeout):
            async with client.stream("POST", path, json=body) as response:
                content = await _read_capped(response, MAX_ANSWER_BYTES)
                return _Answer(response.status_code, response.headers, content)

    async def _one(self, prompt: Prompt, params: GenerationParams) -> Completion:
        path, body = self._request(prompt, params)
        data = await self._post(path, body)
        where = f"{self.public_url}{path}"
        if isinstance(data, _Failed):
            return Completion.failed(redact(f"{where}: {data.reason}"))
        try:
            completion = completion_from(data, chat=prompt.text is None)
        except BadAnswer as exc:
            return Completion.failed(redact(f"unexpected answer from {where}: {exc}"))
        return replace(completion, text=redact(completion.text))  # a server echoing a credential

    async def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        return list(await asyncio.gather(*(self._one(p, params) for p in prompts)))

    async def aclose(self) -> None:
        await self._connections.aclose()


@dataclass(frozen=True)
class _Connection:
    """One event loop's HTTP client and the bound on its requests in flight."""

    client: httpx.AsyncClient
    semaphore: asyncio.Semaphore


async def _disconnect(connection: _Connection) -> None:
    await connection.client.aclose()


@dataclass(frozen=True)
class _Answer:
    """A server's status, headers and decoded body (read whole, within the size cap)."""

    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def text(self) -> str:
        """The body as text whatever charset the server claims (a bogus one included)."""
        return self.content.decode("utf-8", "replace")


class _AnswerRefused(Exception):
    """An answer not read to its end: too large once decoded, or in an encoding not asked for."""


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    """The body decoded from its Content-Encoding, refused once it passes `limit` bytes: decoding
    goes in steps of at most `limit` output bytes, so a compression bomb never reaches memory."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        decoder = None
    elif encoding in ("gzip", "x-gzip", "deflate"):
        decoder = zlib.decompressobj(zlib.MAX_WBITS | 32)  # zlib or gzip header, detected
    else:
        raise _AnswerRefused(f"the server answered in the {encoding!r} encoding, which was not asked for")
    out = bytearray()
    too_large = _AnswerRefused(f"the server's answer is larger than {limit // 2**20} MiB once decoded")
    try:
        async for raw in response.aiter_raw():
            data = raw
            while data:
                if decoder is None:
                    piece, data = data, b""
                else:
                    piece = decoder.decompress(data, min(_STEP, limit + 1 - len(out)))
                    data = decoder.unconsumed_tail
                out += piece
                if len(out) > limit:
                    raise too_large
                if not piece:
                    break
        if decoder is not None:
            out += decoder.flush(limit + 1 - len(out))
    except zlib.error as exc:  # as httpx says it (a request error: tried again)
        raise httpx.DecodingError(f"the server's {encoding} answer cannot be decoded: {exc}") from None
    if len(out) > limit:
        raise too_large
    return bytes(out)


@dataclass(frozen=True)
class _Failed:
    """Why a request got no usable answer (after retries, or at once for a final answer)."""

    reason: str


def _quote(text: str) -> str:
    shown = text[:_SHOWN]
    return repr(shown) + (" ..." if len(text) > _SHOWN else "")


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks for (a number of seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _int_field(data: dict[str, Any], name: str, where: str) -> int:
    value = data.get(name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or not math.isfinite(value):
        raise BadAnswer(f"{where}.{name} is {value!r}, not a token count")
    return int(value)


def completion_from(data: Any, chat: bool) -> Completion:
    """The Completion in a /completions (`chat=False`) or /chat/completions answer.

    Raises BadAnswer, naming the field, for anything that does not fit the API's shape.
    """
    if not isinstance(data, dict):
        raise BadAnswer(f"expected a JSON object, got {type(data).__name__}: {_quote(str(data))}")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        raise BadAnswer(f"no choices in the answer: {_quote(json.dumps(data, default=str))}")
    choice = choices[0]
    if not isinstance(choice, dict):
        raise BadAnswer(f"choices[0] is {type(choice).__name__}, not an object")
    if chat:
        message = choice.get("message")
        if not isinstance(message, dict):
            raise BadAnswer(f"choices[0].message is {type(message).__name__}, not an object")
        text, field = message.get("content"), "choices[0].message.content"
    else:
        text, field = choice.get("text"), "choices[0].text"
    if not isinstance(text, str):
        raise BadAnswer(f"{field} is {type(text).__name__}, not text")
    usage = data.get("usage")
    if usage is None:
        usage = {}
    if not isinstance(usage, dict):
        raise BadAnswer(f"usage is {type(usage).__name__}, not an object")
    return Completion(
        text=text,
        prompt_tokens=_int_field(usage, "prompt_tokens", "usage"),
        completion_tokens=_int_field(usage, "completion_tokens", "usage"),
        finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
        logprobs=_logprobs(choice.get("logprobs")),
    )


def _logprob(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise BadAnswer(f"{where} is {value!r}, not a log-probability")
    return float(value)


def _token(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise BadAnswer(f"{where} is {type(value).__name__}, not a token")
    return value


def _logprobs(data: Any) -> tuple[TokenLogprob, ...] | None:
    """Both shapes: chat (`content` list) and completions (`tokens` + `token_logprobs`)."""
    if not data:
        return None
    if not isinstance(data, dict):
        raise BadAnswer(f"logprobs is {type(data).__name__}, not an object")
    content = data.get("content")
    if content:
        if not isinstance(content, list):
            raise BadAnswer(f"logprobs.content is {type(content).__name__}, not a list")
        out = []
        for n, entry in enumerate(content):
            where = f"logprobs.content[{n}]"
            if not isinstance(entry, dict):
                raise BadAnswer(f"{where} is {type(entry).__name__}, not an object")
            tops = entry.get("top_logprobs") or []
            if not isinstance(tops, list) or not all(isinstance(t, dict) for t in tops):
                raise BadAnswer(f"{where}.top_logprobs is not a list of objects")
            out.append(
                TokenLogprob(
                    token=_token(entry.get("token"), f"{where}.token"),
                    logprob=_logprob(entry.get("logprob"), f"{where}.logprob"),
                    top={
                        _token(t.get("token"), f"{where}.top_logprobs.token"): _logprob(
                            t.get("logprob"), f"{where}.top_logprobs.logprob"
                        )
                        for t in tops
                    },
                )
            )
        return tuple(out)
    tokens = data.get("tokens")
    if tokens:
        values = data.get("token_logprobs")
        tops = data.get("top_logprobs") or [None] * len(tokens)
        if not isinstance(tokens, list) or not isinstance(values, list) or not isinstance(tops, list):
            raise BadAnswer("logprobs.tokens, token_logprobs and top_logprobs must be lists")
        out = []
        for n, (token, value, top) in enumerate(zip(tokens, values, tops, strict=False)):
            if top is not None and not isinstance(top, dict):
                raise BadAnswer(f"logprobs.top_logprobs[{n}] is {type(top).__name__}, not an object")
            out.append(
                TokenLogprob(
                    token=_token(token, f"logprobs.tokens[{n}]"),
                    # the first token of an echoed prompt has no log-probability
                    logprob=0.0 if value is None else _logprob(value, f"logprobs.token_logprobs[{n}]"),
                    top={
                        _token(k, f"logprobs.top_logprobs[{n}]"): _logprob(v, f"logprobs.top_logprobs[{n}]")
                        for k, v in (top or {}).items()
                    },
                )
            )
        return tuple(out)
    return None


def parse_openai_spec(arg: str) -> tuple[str, str]:
    """`MODEL@URL` -> (model, url); URL falls back to the environment, then to localhost:8000."""
    model, at, url = arg.partition("@")
    if not model:
        raise AutojError("the openai backend needs a model name: --judge openai:MODEL@http://HOST:PORT/v1")
    if not at:
        url = os.environ.get("AUTOJ_OPENAI_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
    if not url.startswith(("http://", "https://")):
        raise AutojError(
            f"the openai backend's URL must start with http:// or https://, got {redact_url(url)!r}"
        )
    return model, url


# options `create` passes on (others are ignored: one option set serves every backend)
OPTIONS: Mapping[str, Option] = {
    "concurrency": Option("int", 1),
    "timeout": Option("number", 0, above=True),
    "max_retries": Option("int", 0),
    "backoff": Option("number", 0),
    "context_window": Option("int", 1),
    "extra_body": Option("mapping"),
    "max_retry_after": Option("number", 0),
}


def create(arg: str, **options: Any) -> OpenAIBackend:
    model, url = parse_openai_spec(arg)
    api_key = os.environ.get("AUTOJ_API_KEY") or os.environ.get("OPENAI_API_KEY")
    return OpenAIBackend(model, base_url=url, api_key=api_key, **known_options(options, OPTIONS))
