"""How much markdown a response uses, counted as Arena-Hard's style control counts it: markdown
headers, list items and bold spans outside fenced code. One definition for every figure that asks
"which response has more markdown" (the bias panel, Bradley-Terry's style control).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

_CODE = re.compile(r"```[^`]*```")
_HEADERS = re.compile(r"^#{1,6}\s", re.MULTILINE)
_LISTS = re.compile(r"^\s*(?:\d+\.|[-*+])\s", re.MULTILINE)
_BOLD = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__")


class MarkdownCounts(NamedTuple):
    """Headers, list items and bold spans of one text (fenced code left out)."""

    headers: int
    list_items: int
    bold: int


@lru_cache(maxsize=1 << 16)
def markdown_counts(text: str) -> MarkdownCounts:
    """The counts of `text`, e.g. "# T\\n- a\\n- **b**" -> (1, 2, 1); plain prose -> (0, 0, 0).
    Remembered per text: a board pairs the same reference outputs with every model's."""
    prose = _CODE.sub("", text)
    return MarkdownCounts(len(_HEADERS.findall(prose)), len(_LISTS.findall(prose)), len(_BOLD.findall(prose)))


def markdown_elements(text: str) -> int:
    """All of `text`'s markdown counts together: what "more markdown" compares."""
    return sum(markdown_counts(text))
