"""Keeping credentials out of what autoj records and prints: results, provenance, logs, errors.

A server URL may carry `user:pass@`; a judge spec (`openai:MODEL@http://user:pass@host/v1`) is
recorded in every result line, so it is recorded with the credentials replaced by `***`.
"""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(//)[^/@\s]*@")


def redact_url(text: str) -> str:
    """`text` with the `user:pass@` of every URL in it replaced by `***@`."""
    return _USERINFO.sub(r"\1***@", text)
