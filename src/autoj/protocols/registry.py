"""Judge protocols by name: each family registers itself with `@registered(...)` in its own module.

Every module of `autoj.protocols.families` is imported when `autoj.protocols` is, so a new family
is its module and its template files; code outside the package (a plugin, a test) registers its
own family the same way, with the decorator or `register_protocol`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from autoj.errors import AutojError
from autoj.protocols.base import JudgeProtocol
from autoj.protocols.sanitize import GUARD, guarded

_FACTORIES: dict[str, Callable[[], JudgeProtocol]] = {}

Family = TypeVar("Family", bound=type[JudgeProtocol])


def register_protocol(name: str, factory: Callable[[], JudgeProtocol]) -> None:
    """Make a protocol available by name (to the CLI, the service and benchmarks)."""
    _FACTORIES[name] = factory


def registered(name: str, guard: bool = False, **options: Any) -> Callable[[Family], Family]:
    """Class decorator: register the family as `name`, built with `options`; with `guard`, also
    as `name+guard`, its prompts' judged text neutralised (see `autoj.protocols.sanitize`)."""

    def register(family: Family) -> Family:
        factory = partial(family, **options)
        register_protocol(name, factory)
        if guard:
            register_protocol(name + GUARD, lambda: guarded(factory()))
        return family

    return register


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


def protocols_using(input_name: str) -> list[str]:
    """The protocols whose templates use an optional item input (`reference_answer`, `rubric`,
    `conversation`), for messages that say which protocol to pick."""
    return [name for name in protocol_names() if input_name in get_protocol(name).inputs]
