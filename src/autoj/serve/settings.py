"""What a judge service is configured with: the judge, its limits, and its access token.

Every limit has a finite default, so a service started with no options cannot be made to hold
unbounded memory or work by one client.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

#: Environment variable read for the bearer token when none is given explicitly.
TOKEN_ENV = "AUTOJ_SERVE_TOKEN"


@dataclass(frozen=True)
class ServeSettings:
    """Configuration of one service instance (judge spec, limits, auth).

    Batching is the judge's (one batcher below every engine); the service only admits requests.
    """

    judge: str = "llamacpp"
    protocol: str | None = None
    #: bearer token; None means $AUTOJ_SERVE_TOKEN, and neither means no auth (for loopback use).
    #: An empty token is refused: it must never turn off a token set in the environment.
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
    #: items waiting or being judged across all requests; beyond it requests get 429 (an idle
    #: service admits any one request, so none is refused forever)
    max_pending: int = 256
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
            "request_timeout_s": self.request_timeout_s,
            "retry_after_s": self.retry_after_s,
        }
        # `not value > 0`, not `value <= 0`: NaN compares false both ways and must not mean "no limit"
        bad = [name for name, value in positive.items() if not (value > 0 and math.isfinite(value))]
        if bad:
            raise ValueError(f"service limits must be positive finite numbers: {', '.join(bad)}")
        if self.max_candidates < 2:
            raise ValueError("max_candidates must allow at least 2 candidates")
        if self.token is not None and not self.token.strip():
            raise ValueError(
                "the token is empty: give a non-empty token, or none to use "
                f"${TOKEN_ENV} (an empty token never turns authentication off)"
            )
        if self.token is not None:
            check_token(self.token, "the token")

    def resolved_token(self) -> str | None:
        """The configured token, else the environment's (an empty variable counts as none)."""
        if self.token is not None:
            return self.token
        token = os.environ.get(TOKEN_ENV, "").strip() or None
        return None if token is None else check_token(token, f"${TOKEN_ENV}")


#: What a bearer token may hold (RFC 6750's b64token): a token with a space or a control
#: character can never arrive intact in an Authorization header, so it could never match.
_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def check_token(token: str, where: str) -> str:
    """`token` when a client can send it as `Authorization: Bearer TOKEN`; ValueError otherwise."""
    if not _TOKEN.fullmatch(token):
        raise ValueError(
            f"{where} holds characters a bearer token cannot carry (spaces, quotes, control or "
            "non-ASCII characters): use letters, digits and - . _ ~ + / only"
        )
    return token
