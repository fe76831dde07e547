"""What a Judge and a Generator share: a backend, an optional cache and one private event loop.

Every blocking call runs on the session's own loop (`run`), so the backend's connections are
made, reused and closed on one loop; `close` releases all three in that order.
"""

from __future__ import annotations

from autoj.backends.base import Backend
from autoj.run.cache import JudgmentCache
from autoj.run.loop_thread import OwnLoop


class BackendSession(OwnLoop):
    """A backend, its cache and the loop thread they are used on (made on first use)."""

    backend: Backend
    cache: JudgmentCache | None
    _loop_name = "autoj-session"

    def __init__(self, backend: Backend, cache: JudgmentCache | None) -> None:
        self.backend = backend
        self.cache = cache

    def close(self) -> None:
        """Release the backend (model memory, connections: on the loop that made them), the cache
        file and the loop thread."""
        self.run(self.backend.aclose())
        if self.cache is not None:
            self.cache.close()
        super().close()
