"""Cutting inputs that do not fit the judge's context, explicitly and on the record.

The middle of the longest text is replaced by "..." (as the Auto-J authors' classifier does): the
start of a response and its conclusion usually matter most to a judge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from autoj.types import Item, PairItem, Prompt

CUT_MARK = "..."


def cut_middle(text: str, keep_chars: int) -> str:
    """`text` with its middle replaced by CUT_MARK so that about `keep_chars` characters remain."""
    if keep_chars >= len(text):
        return text
    keep_chars = max(keep_chars, 0)
    head = keep_chars - keep_chars // 2
    tail = keep_chars // 2
    return text[:head] + CUT_MARK + (text[len(text) - tail :] if tail else "")


def _fields(item: Item) -> list[str]:
    if isinstance(item, PairItem):
        return ["query", "response_1", "response_2"]
    return ["query", "response"]


def fit_item(
    item: Item,
    build: Callable[[Item], Prompt],
    count_tokens: Callable[[str], int],
    budget: int,
    max_rounds: int = 8,
) -> tuple[Item, dict[str, int] | None]:
    """The item cut to fit `budget` prompt tokens, and how many characters each field lost.

    Returns (item, None) when it fits as is. Raises ValueError when it cannot be made to fit
    (the fixed template alone is longer than the budget).
    """
    tokens = count_tokens(build(item).render())
    if tokens <= budget:
        return item, None
    removed: dict[str, int] = {}
    current = item
    for _ in range(max_rounds):
        overflow = tokens - budget
        if overflow <= 0:
            return current, removed
        name = max(_fields(current), key=lambda f: len(getattr(current, f)))
        text: str = getattr(current, name)
        chars_per_token = max(len(text) / max(count_tokens(text), 1), 1.0)
        # Remove a little more than the overflow so a few rounds suffice.
        drop = int(overflow * chars_per_token * 1.1) + len(CUT_MARK) + 8
        if drop >= len(text):
            drop = len(text) - 1
        if drop <= 0:
            break
        shorter = cut_middle(text, len(text) - drop)
        removed[name] = removed.get(name, 0) + len(text) - len(shorter) + len(CUT_MARK)
        current = replace(current, **{name: shorter})  # type: ignore[arg-type]
        tokens = count_tokens(build(current).render())
    if tokens <= budget:
        return current, removed
    raise ValueError(f"the prompt needs {tokens} tokens even after cutting; the budget is {budget}")
