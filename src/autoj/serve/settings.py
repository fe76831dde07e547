"""What a judge service is configured with: the judge, its limits, and its access token.

Every limit has a finite default, so a service started with no options cannot be made to hold
unbounded memory or work by one client.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

#: Environment variable read for the bearer token when none is given explicitly.
TOKEN_ENV = "AUTOJ_SERVE_TOKEN"


@dataclass(frozen=True)
class ServeSettings:
    """Configuration of one service instance (judge spec, limits, micro-batching, auth)."""

    judge: str = "llamacpp"
    protocol: str | None = None
    #: bearer token; None (and no environment token) means no auth, for loopback use
    token: str | None = None
    max_new_tokens: int = 1024
    #: whole request body, bytes (413 above it)
    max_body_bytes: int = 1_000_000
    #: one query or response, characters (413 above it)
    max_field_chars: int = 50_000
    #: pairs per /v1/compare, items per /v1/rate, queries per /v1/classify
    max_items: int = 64
    #: candidates per /v1/rank
    max_candidates: int = 32
    #: items waiting or being judged across all requests; beyond it requests get 429
    max_pending: int = 256
    #: how long the batcher waits to collect more requests after the first one
    batch_window_s: float = 0.01
    #: most items handed to the engine in one batch
    max_batch: int = 32
    #: how long one request may wait for its judgments (504 after it)
    request_timeout_s: float = 300.0
    #: seconds a client is told to wait after a 429
    retry_after_s: int = 1
    #: judge pairs in both orders unless a request says otherwise
    both_orders: bool = False
    #: the generation cache: True = the default file ($AUTOJ_CACHE), a path = that file, None = off
    cache: bool | str | None = None

    def __post_init__(self) -> None:
        positive = {
            "max_body_bytes": self.max_body_bytes,
            "max_field_chars": self.max_field_chars,
            "max_items": self.max_items,
            "max_candidates": self.max_candidates,
            "max_pending": self.max_pending,
            "max_batch": self.max_batch,
            "request_timeout_s": self.request_timeout_s,
            "retry_after_s": self.retry_after_s,
        }
        bad = [name for name, value in positive.items() if value <= 0]
        if bad or self.batch_window_s < 0:
            raise ValueError(f"service limits must be positive: {', '.join(bad) or 'batch_window_s'}")
        if self.max_candidates < 2:
            raise ValueError("max_candidates must allow at least 2 candidates")

    def resolved_token(self) -> str | None:
        """The configured token, else the environment's; an empty string counts as none."""
        token = self.token if self.token is not None else os.environ.get(TOKEN_ENV)
        return token or None
