"""Judge protocols: one module per judge family, each a prompt builder plus a parser.

`get_protocol(name)` returns one by name: `autoj` (English Auto-J), `autoj-zh` (bilingual Auto-J,
Chinese prompts), `chat` (any instruction-tuned chat model, through its chat template),
`chat+criteria` (the same, guided by the item's scenario criteria).
"""

from __future__ import annotations

from collections.abc import Callable

from autoj.errors import AutojError
from autoj.protocols.autoj import AutoJProtocol
from autoj.protocols.base import JudgeProtocol
from autoj.protocols.chat import ChatProtocol
from autoj.protocols.criteria import CriteriaChatProtocol

_FACTORIES: dict[str, Callable[[], JudgeProtocol]] = {
    "autoj": lambda: AutoJProtocol("en"),
    "autoj-zh": lambda: AutoJProtocol("zh"),
    "chat": ChatProtocol,
    "chat+criteria": CriteriaChatProtocol,
}


def register_protocol(name: str, factory: Callable[[], JudgeProtocol]) -> None:
    """Make a protocol available by name (to the CLI, the service and benchmarks)."""
    _FACTORIES[name] = factory


def protocol_names() -> list[str]:
    return sorted(_FACTORIES)


def get_protocol(name: str) -> JudgeProtocol:
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise AutojError(
            f"unknown protocol {name!r}: known protocols are {', '.join(protocol_names())}"
        ) from None
    return factory()


__all__ = [
    "AutoJProtocol",
    "ChatProtocol",
    "CriteriaChatProtocol",
    "JudgeProtocol",
    "get_protocol",
    "protocol_names",
    "register_protocol",
]

# Opt-in injection guard: registers `autoj+guard`, `autoj-zh+guard`, `chat+guard` (see sanitize.py).
from autoj.protocols.sanitize import register_guarded  # noqa: E402

register_guarded()
