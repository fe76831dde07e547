"""Keeping credentials out of everything autoj records and prints: results, the cache, boards,
logs, error messages and the service's answers.

Two kinds of hiding, applied together by `redact`: the `user:pass@` of any URL (a judge spec
`openai:MODEL@http://user:pass@host/v1` is recorded in every result line), and every credential a
backend holds (its API key, its URL's password), registered with `register_secret` when the
backend is made. A registered secret is hidden in every form a server may echo it back in: as
is, URL-encoded, JSON-escaped, base64 (alone, and as the `user:pass` of HTTP Basic auth, which is
how URL credentials travel). One place, so every sink hides the same things.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import traceback
import urllib.parse
from collections.abc import Mapping
from typing import Any

REDACTED = "***"
# A secret this short would hide ordinary text everywhere it appears; none is that short.
MIN_SECRET_CHARS = 4
# `//user:pass@`: everything up to the last `@` before the host's end (a raw `@` in a password
# included); not across whitespace, quotes or angle brackets (the URL ends there).
_USERINFO = re.compile(r"(//)[^/\s\"'<>]*@")

_lock = threading.Lock()
_forms: list[str] = []  # every registered secret in every encoding, longest first


def _encodings(secret: str) -> set[str]:
    """The forms a secret travels in: raw, URL-encoded, JSON-escaped, base64."""
    forms = {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    raw = secret.encode("utf-8")
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode("ascii")
        forms |= {text, text.rstrip("=")}
    return forms


def register_secret(secret: str | None, user: str | None = None) -> None:
    """Hide `secret` from every later `redact`; with `user`, also the Basic auth credential
    `user:secret` (base64) that an HTTP client sends for a URL's `user:pass@`."""
    if not secret or len(secret) < MIN_SECRET_CHARS:
        return
    found = _encodings(secret)
    if user is not None:
        basic = base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
        found |= {basic, basic.rstrip("=")}
    with _lock:
        known = set(_forms) | {f for f in found if len(f) >= MIN_SECRET_CHARS}
        _forms[:] = sorted(known, key=len, reverse=True)


def redact_url(text: str) -> str:
    """`text` with the `user:pass@` of every URL in it replaced by `***@`."""
    return _USERINFO.sub(rf"\1{REDACTED}@", text)


def redact(text: str) -> str:
    """`text` with URL credentials and every registered secret, in every encoding, hidden."""
    text = redact_url(text)
    for form in _forms:
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def redact_data(value: Any) -> Any:
    """A JSON-like value (dicts, lists, strings) with every string redacted; keys included."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact_data(k): redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value


def _redact_arg(value: Any) -> Any:
    """A log argument with its secrets hidden; text only (numbers keep their %d formatting)."""
    return redact(value) if isinstance(value, str) else redact(str(value)) if _is_text_like(value) else value


def _is_text_like(value: Any) -> bool:
    """Objects logged through %s whose text could hold a secret (URLs, exceptions, paths)."""
    return not isinstance(value, int | float | bool | type(None))


def install_log_redaction() -> None:
    """Redact every log record as it is made (its message, and its traceback's text), whichever
    logger and handler it goes to: the CLI and the service call this once at start."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "autoj_redacts", False):
        return

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        # the arguments keep their shape: formatters such as uvicorn's access log unpack them
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {k: _redact_arg(v) for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(v) for v in record.args)
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        return record

    make.autoj_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make)
