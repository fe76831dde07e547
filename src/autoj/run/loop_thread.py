"""A private event loop on its own thread, so blocking calls work where a loop already runs.

`asyncio.run` and `loop.run_until_complete` refuse to run inside a running event loop (Jupyter,
an async web handler, a coroutine that calls library code), so the simple API runs its coroutines
here instead: on one long-lived loop, which also keeps one batcher across calls and lets several
threads' calls share backend batches.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from typing_extensions import Self

T = TypeVar("T")


class LoopThread:
    """An event loop running forever in a daemon thread; `run` blocks until a coroutine is done."""

    def __init__(self, name: str = "autoj-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """The coroutine's result (or exception), computed on the private loop."""
        if self.loop.is_closed():
            coro.close()
            raise RuntimeError("this loop thread is closed")
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            coro.close()
            raise RuntimeError("a blocking call from the loop it would wait for; await the async form")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # interrupted while waiting (Ctrl-C): stop the work too
            raise

    def close(self) -> None:
        """Stop the loop and its thread. Safe to call twice."""
        if self.loop.is_closed():
            return
        # finalise async generators on the loop, as asyncio.run does: loop-bound resources
        # (autoj.backends.loop_bound) close their connections there
        asyncio.run_coroutine_threadsafe(self.loop.shutdown_asyncgens(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class OwnLoop:
    """An object whose blocking calls run on its own loop thread, made on first use (`run`);
    `close` stops it, and `with` closes the object at the end of the block."""

    _loop_name = "autoj-loop"
    _loop: LoopThread | None = None

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine to its end on this object's own event loop: the loop its connections
        (kept-alive sockets) belong to."""
        if self._loop is None:
            self._loop = LoopThread(name=self._loop_name)
        return self._loop.run(coro)

    def close(self) -> None:
        """Stop the loop thread (a later `run` makes a new one)."""
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    def __enter__(self) -> Self:
        """`with ... as owner:` closes it at the end of the block."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close, whether the block ended normally or not."""
        self.close()
