"""Rewriting a pairwise judgment for the swapped order of its two responses; pure functions.

Every positional reference is exchanged in one pass (so "Response 1 ... Response 2" cannot end up
as "Response 2 ... Response 2"): "Response 1"/"response 2"/"Response #1"/"Response1",
"responses 1 and 2", "the first/second response", "1st/2nd response", and in Chinese
"回应1"/"回应 2"/"回复1"/"回答2" and "第一个回应"/"第二个回应". The verdict line is such a reference,
so it flips with the rest. References relative to the text ("the former", "the latter") keep
pointing at the right response after the swap and are left alone.
"""

from __future__ import annotations

import re

_DIGIT = {"1": "2", "2": "1"}
_ORDINAL = {"first": "second", "second": "first", "1st": "2nd", "2nd": "1st"}
_ZH_ORDINAL = {"一": "二", "二": "一"}

# "responses 1 and 2" (both numbers after one noun) must be matched whole, before the single form.
_PATTERN = re.compile(
    r"(?P<plural>\bresponses\s*)(?P<pa>[12])(?P<join>\s*(?:and|or|&|,|/)\s*)(?P<pb>[12])(?!\d)"
    r"|(?P<noun>\bresponse\s*#?\s*)(?P<digit>[12])(?!\d)"
    r"|(?P<ordinal>\b(?:first|second|1st|2nd))(?P<ordtail>\s+(?:response|answer)s?\b)"
    r"|(?P<zh>(?:回应|回复|回答)\s*)(?P<zhdigit>[12])(?!\d)"
    r"|(?P<zhord>第)(?P<zhnum>[一二])(?P<zhtail>个?(?:回应|回复|回答))",
    re.IGNORECASE,
)


def _same_case(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _swap_match(match: re.Match[str]) -> str:
    g = match.groupdict()
    if g["plural"] is not None:
        return g["plural"] + _DIGIT[g["pa"]] + g["join"] + _DIGIT[g["pb"]]
    if g["noun"] is not None:
        return g["noun"] + _DIGIT[g["digit"]]
    if g["ordinal"] is not None:
        word = g["ordinal"]
        return _same_case(_ORDINAL[word.lower()], word) + g["ordtail"]
    if g["zh"] is not None:
        return g["zh"] + _DIGIT[g["zhdigit"]]
    return g["zhord"] + _ZH_ORDINAL[g["zhnum"]] + g["zhtail"]


def swap_references(text: str) -> str:
    """The judgment as it reads when Response 1 and Response 2 trade places."""
    return _PATTERN.sub(_swap_match, text)


def count_references(text: str) -> int:
    """How many positional references `swap_references` would rewrite (0: nothing to swap)."""
    return sum(1 for _ in _PATTERN.finditer(text))
