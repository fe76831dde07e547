"""What a Judge and a Generator share: a backend, an optional cache and one private event loop.

Every blocking call runs on the session's own loop (`run`), so the backend's connections are
made, reused and closed on one loop; `close` releases all three in that order.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

from typing_extensions import Self

from autoj.backends.base import Backend
from autoj.run.cache import JudgmentCache
from autoj.run.loop_thread import LoopThread

T = TypeVar("T")


class BackendSession:
    """A backend, its cache and the loop thread they are used on (made on first use)."""

    backend: Backend
    cache: JudgmentCache | None
    _loop_name = "autoj-session"

    def __init__(self, backend: Backend, cache: JudgmentCache | None) -> None:
        self.backend = backend
        self.cache = cache
        self._loop: LoopThread | None = None

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine to its end on this session's own event loop (a private thread, made on
        first use): the loop the backend's connections (kept-alive sockets) belong to."""
        if self._loop is None:
            self._loop = LoopThread(name=self._loop_name)
        return self._loop.run(coro)

    def close(self) -> None:
        """Release the backend (model memory, connections: on the loop that made them), the cache
        file and the loop thread."""
        self.run(self.backend.aclose())
        if self.cache is not None:
            self.cache.close()
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    def __enter__(self) -> Self:
        """`with ... as session:` closes the session at the end of the block."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the session, whether the block ended normally or not."""
        self.close()
