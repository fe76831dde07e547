"""Resources that belong to one event loop: made on it, used on it, closed on it.

An HTTP client's kept-alive connections are transports of the loop that opened them. Closing
them from another loop, or after their loop has closed, fails with "Event loop is closed"
(what a server that keeps connections alive showed after every `asyncio.run`). So each running
loop gets its own resource, and the resource is closed on that loop when the loop shuts down:
through asyncio's own finaliser for async generators (`loop.shutdown_asyncgens()`, which
`asyncio.run` and `LoopThread.close` call), or earlier by `aclose()`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class LoopBound(Generic[T]):
    """One `T` per running event loop, made by `make` on first use and closed by `close`."""

    def __init__(self, make: Callable[[], T], close: Callable[[T], Awaitable[None]]) -> None:
        self._make = make
        self._close = close
        # loop -> (resource, the async generator whose finalisation closes it)
        self._by_loop: dict[asyncio.AbstractEventLoop, tuple[T, AsyncGenerator[None, None]]] = {}

    async def get(self) -> T:
        """The running loop's resource, made on first use."""
        loop = asyncio.get_running_loop()
        held = self._by_loop.get(loop)
        if held is None:
            self._by_loop = {other: h for other, h in self._by_loop.items() if not other.is_closed()}
            resource = self._make()
            lifetime = self._lifetime(resource)
            await lifetime.asend(None)  # now the loop knows it and finalises it at shutdown
            held = self._by_loop[loop] = (resource, lifetime)
        return held[0]

    async def _lifetime(self, resource: T) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await self._close(resource)

    async def aclose(self) -> None:
        """Close every loop's resource on its own loop: this one's now, a running other loop's
        there; a loop that has already shut down closed its own. Safe to call twice."""
        running = asyncio.get_running_loop()
        held, self._by_loop = self._by_loop, {}
        for loop, (_, lifetime) in held.items():
            if loop is running:
                await lifetime.aclose()
            elif loop.is_running():
                future = asyncio.run_coroutine_threadsafe(lifetime.aclose(), loop)
                with contextlib.suppress(RuntimeError):  # that loop stopped meanwhile
                    await asyncio.wrap_future(future)
