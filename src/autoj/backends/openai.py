"""Any OpenAI-compatible server: `vllm serve`, llama.cpp's `llama-server`, llama-cpp-python's
server, hosted APIs. Raw-text prompts (Auto-J) go to /completions, chat prompts to /chat/completions.

Spec: `openai:MODEL@URL` (URL up to and including /v1). The API key comes from the environment
(`AUTOJ_API_KEY`, else `OPENAI_API_KEY`), never from a command line.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Sequence
from typing import Any

import httpx

from autoj.backends.base import Backend, known_options
from autoj.errors import AutojError
from autoj.types import Completion, GenerationParams, Prompt, TokenLogprob

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
_RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504}


class OpenAIBackend(Backend):
    """HTTP client with timeouts, retries with exponential backoff and bounded concurrency."""

    name = "openai"

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
    ) -> None:
        self.model = model
        self.model_id = model
        self.base_url = base_url.rstrip("/")
        self.max_batch = concurrency
        self.max_concurrency = concurrency
        self.context_window = context_window
        self.max_retries = max_retries
        self.backoff = backoff
        self.extra_body = dict(extra_body or {})
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._headers = headers
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._semaphore: asyncio.Semaphore | None = None

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model_id, "base_url": self.base_url}

    def _ensure_client(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        # A client belongs to one event loop; the sync API may run several loops over time.
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop or self._semaphore is None:
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                headers=self._headers,
                timeout=self._timeout,
                limits=httpx.Limits(max_connections=self.max_concurrency),
            )
            self._client_loop = loop
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
        return self._client, self._semaphore

    def _request(self, prompt: Prompt, params: GenerationParams) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {
            "model": self.model,
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
        body.update(self.extra_body)
        return path, body

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any] | str:
        """The JSON answer, or the reason the request failed after all retries."""
        client, semaphore = self._ensure_client()
        reason = "no attempt made"
        for attempt in range(self.max_retries + 1):
            delay = self.backoff * (2**attempt) * (1 + random.random() / 2)
            try:
                async with semaphore:
                    response = await client.post(path, json=body)
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    data: dict[str, Any] = response.json()
                    return data
                reason = f"HTTP {response.status_code}: {response.text[:300]}"
                if response.status_code not in _RETRY_STATUSES:
                    return reason
                retry_after = response.headers.get("retry-after")
                if retry_after and retry_after.replace(".", "", 1).isdigit():
                    delay = max(delay, float(retry_after))
            if attempt < self.max_retries:
                await asyncio.sleep(delay)
        return reason

    async def _one(self, prompt: Prompt, params: GenerationParams) -> Completion:
        path, body = self._request(prompt, params)
        data = await self._post(path, body)
        if isinstance(data, str):
            return Completion.failed(f"{self.base_url}{path}: {data}")
        try:
            choice = data["choices"][0]
            text = choice["text"] if prompt.text is not None else choice["message"]["content"]
        except (KeyError, IndexError, TypeError):
            return Completion.failed(f"unexpected answer from {self.base_url}{path}: {str(data)[:300]}")
        usage = data.get("usage") or {}
        return Completion(
            text=text or "",
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
            logprobs=_logprobs(choice.get("logprobs")),
        )

    async def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        return list(await asyncio.gather(*(self._one(p, params) for p in prompts)))

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _logprobs(data: Any) -> tuple[TokenLogprob, ...] | None:
    """Both shapes: chat (`content` list) and completions (`tokens` + `token_logprobs`)."""
    if not data:
        return None
    if data.get("content"):
        return tuple(
            TokenLogprob(
                token=e["token"],
                logprob=float(e["logprob"]),
                top={t["token"]: float(t["logprob"]) for t in e.get("top_logprobs") or []},
            )
            for e in data["content"]
        )
    if data.get("tokens"):
        tops = data.get("top_logprobs") or [None] * len(data["tokens"])
        return tuple(
            TokenLogprob(token=t, logprob=float(lp or 0.0), top=dict(top or {}))
            for t, lp, top in zip(data["tokens"], data["token_logprobs"], tops, strict=False)
        )
    return None


def parse_openai_spec(arg: str) -> tuple[str, str]:
    """`MODEL@URL` -> (model, url); URL falls back to the environment, then to localhost:8000."""
    model, at, url = arg.partition("@")
    if not model:
        raise AutojError("the openai backend needs a model name: --judge openai:MODEL@http://HOST:PORT/v1")
    if not at:
        url = os.environ.get("AUTOJ_OPENAI_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
    if not url.startswith(("http://", "https://")):
        raise AutojError(f"the openai backend's URL must start with http:// or https://, got {url!r}")
    return model, url


# options `create` passes on (others are ignored: one option set serves every backend)
OPTIONS = frozenset({"concurrency", "timeout", "max_retries", "backoff", "context_window", "extra_body"})


def create(arg: str, **options: Any) -> OpenAIBackend:
    model, url = parse_openai_spec(arg)
    api_key = os.environ.get("AUTOJ_API_KEY") or os.environ.get("OPENAI_API_KEY")
    return OpenAIBackend(model, base_url=url, api_key=api_key, **known_options(options, OPTIONS))
