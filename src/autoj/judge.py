"""The simple Python API: a Judge holds a backend and a protocol and judges items.

Async methods (`acompare`, `arate`, `ajudge_many`) are the real ones; the plain methods run them on
the Judge's own event loop, so scripts and notebooks without a loop can call them directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Sequence
from typing import Any, TypeVar

from autoj.backends.base import Backend
from autoj.backends.registry import create_backend
from autoj.cache import CacheOption, resolve_cache
from autoj.engine import Engine
from autoj.protocols import JudgeProtocol, get_protocol
from autoj.results import Result
from autoj.types import GenerationParams, Item, PairItem, SingleItem

T = TypeVar("T")


def default_protocol_name(backend: Backend, language: str = "en") -> str:
    """Auto-J's own prompt for Auto-J weights (and the fake judge); the chat protocol otherwise.

    Small general chat models write no verdict when given the raw Auto-J prompt, so they get the
    generic protocol through their chat template.
    """
    model = backend.model_id.lower().replace("-", "").replace("_", "")
    if "autoj" in model or backend.name == "fake":
        return "autoj-zh" if language == "zh" else "autoj"
    return "chat"


class Judge:
    """A judge: `Judge("llamacpp")`, `Judge("openai:MODEL@URL")`, `Judge("fake")`, or a Backend.

    `cache=True` keeps finished generations in the default cache file (a path or a JudgmentCache
    picks another), so asking again costs a lookup; the default is no cache.
    """

    def __init__(
        self,
        judge: str | Backend = "llamacpp",
        protocol: str | JudgeProtocol | None = None,
        params: GenerationParams | None = None,
        both_orders: bool = False,
        concurrency: int | None = None,
        language: str = "en",
        cache: CacheOption = None,
        **backend_options: Any,
    ) -> None:
        self.spec = judge if isinstance(judge, str) else judge.name
        self.backend = create_backend(judge, **backend_options) if isinstance(judge, str) else judge
        if protocol is None:
            protocol = default_protocol_name(self.backend, language)
        self.protocol = get_protocol(protocol) if isinstance(protocol, str) else protocol
        self.params = params or GenerationParams()
        self.both_orders = both_orders
        self.concurrency = concurrency
        self.cache = resolve_cache(cache)
        self._loop: asyncio.AbstractEventLoop | None = None

    def engine(self, both_orders: bool | None = None) -> Engine:
        return Engine(
            self.backend,
            self.protocol,
            self.params,
            both_orders=self.both_orders if both_orders is None else both_orders,
            concurrency=self.concurrency,
            judge_spec=self.spec,
            cache=self.cache,
        )

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(coro)

    async def acompare(
        self, query: str, response_1: str, response_2: str, both_orders: bool | None = None
    ) -> Result:
        return await self.engine(both_orders).judge(PairItem(query, response_1, response_2, id="1"))

    async def arate(self, query: str, response: str) -> Result:
        return await self.engine().judge(SingleItem(query, response, id="1"))

    async def ajudge_many(self, items: Iterable[Item], both_orders: bool | None = None) -> list[Result]:
        return await self.engine(both_orders).run(items)

    def compare(
        self, query: str, response_1: str, response_2: str, both_orders: bool | None = None
    ) -> Result:
        """Which of two responses is better (or a tie), with the judge's reasons."""
        return self._run(self.acompare(query, response_1, response_2, both_orders))

    def rate(self, query: str, response: str) -> Result:
        """A critique and a 1-10 rating of one response."""
        return self._run(self.arate(query, response))

    def compare_many(self, items: Sequence[PairItem], both_orders: bool | None = None) -> list[Result]:
        return self._run(self.ajudge_many(items, both_orders))

    def rate_many(self, items: Sequence[SingleItem]) -> list[Result]:
        return self._run(self.ajudge_many(items))

    def close(self) -> None:
        self._run(self.backend.aclose())
        if self.cache is not None:
            self.cache.close()
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    def __enter__(self) -> Judge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
