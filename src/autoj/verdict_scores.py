"""Constrained final lines and verdict probabilities from logprobs.

`final_line_grammar` is a GBNF grammar that lets the judge write anything but end only with a
well-formed verdict ("So, the final decision is Response 1.") or rating ("Rating: [[7]]").
`verdict_probabilities` and `expected_rating` read the judge's own token probabilities at the
verdict label / rating number: P(Response 1), P(Response 2), P(tie) and E[rating].
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from autoj.protocols.base import JudgeProtocol
from autoj.types import Item, PairItem, TokenLogprob

_LABELS = {
    "en": ("So, the final decision is ", ("Response 1", "Response 2", "Tie"), "Rating: [[", "."),
    "zh": ("所以，最终决定是", ("回应1", "回应2", "平局"), "评分：[[", "。"),
}
_MARKER = {"en": re.compile(r"final decision is ", re.I), "zh": re.compile(r"最终决定是")}
_NOISE = " \t\n*_\"'`:：“”‘’「」"
# First label tokens (lower-cased, decoration stripped) and what they stand for.
_RESPONSE = re.compile(r"response|respon|resp|回应|回")
_RESPONSE_1 = re.compile(r"(?:response|回应)\s*1")
_RESPONSE_2 = re.compile(r"(?:response|回应)\s*2")
_TIE = re.compile(r"(?:a\s*)?(?:tie|平局|平)|a")


def _gbnf_literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def final_line_grammar(protocol: JudgeProtocol, item: Item) -> str:
    """GBNF: free text, then the protocol's final verdict or rating line, then the end."""
    marker, labels, rating, period = _LABELS.get(protocol.language, _LABELS["en"])
    if isinstance(item, PairItem):
        choices = " | ".join(_gbnf_literal(label) for label in labels)
        final = f"{_gbnf_literal(marker)} ({choices}) {_gbnf_literal(period)}"
    else:
        final = f'{_gbnf_literal(rating)} ([1-9] | "10") "]]"'
    return f"root ::= text final\ntext ::= [^\\x00]*\nfinal ::= {final}\n"


def _spans(logprobs: Sequence[TokenLogprob]) -> tuple[str, list[int]]:
    starts, text = [], ""
    for entry in logprobs:
        starts.append(len(text))
        text += entry.token
    return text, starts


def _token_at(starts: list[int], offset: int) -> int:
    index = 0
    for n, start in enumerate(starts):
        if start <= offset:
            index = n
    return index


def _mass(top: Mapping[str, float], accept: re.Pattern[str]) -> float:
    return sum(math.exp(lp) for token, lp in top.items() if accept.fullmatch(token.strip(_NOISE).lower()))


def verdict_probabilities(logprobs: Sequence[TokenLogprob], language: str = "en") -> dict[str, float] | None:
    """P of each verdict at the label after the last decision marker; None when it isn't there.

    The first label token decides "Response" against "Tie"; the digit token after "Response"
    splits the first between 1 and 2 (evenly when the judge chose Tie and no digit was sampled).
    """
    if not logprobs:
        return None
    text, starts = _spans(logprobs)
    matches = list(_MARKER.get(language, _MARKER["en"]).finditer(text))
    if not matches:
        return None
    offset = matches[-1].end()
    while offset < len(text) and text[offset] in _NOISE:
        offset += 1
    if offset >= len(text):
        return None
    first = _token_at(starts, offset)
    top = dict(logprobs[first].top) or {logprobs[first].token: logprobs[first].logprob}
    p_one = _mass(top, _RESPONSE_1)
    p_two = _mass(top, _RESPONSE_2)
    p_response = _mass(top, _RESPONSE)
    p_tie = _mass(top, _TIE)
    if p_response > 0:
        split = (0.5, 0.5)
        for entry in logprobs[first + 1 : first + 3]:
            tops = dict(entry.top) or {entry.token: entry.logprob}
            one, two = _mass(tops, re.compile("1")), _mass(tops, re.compile("2"))
            if one + two > 0:
                split = (one / (one + two), two / (one + two))
                break
        p_one += p_response * split[0]
        p_two += p_response * split[1]
    total = p_one + p_two + p_tie
    if total <= 0:
        return None
    return {"response_1": p_one / total, "response_2": p_two / total, "tie": p_tie / total}


def expected_rating(logprobs: Sequence[TokenLogprob], low: int = 1, high: int = 10) -> float | None:
    """E[rating] over the number tokens after the last `[[`; None when there is none."""
    if not logprobs:
        return None
    text, starts = _spans(logprobs)
    at = text.rfind("[[")
    if at < 0:
        return None
    offset = at + 2
    while offset < len(text) and text[offset] == " ":
        offset += 1
    if offset >= len(text):
        return None
    entry = logprobs[_token_at(starts, offset)]
    top = dict(entry.top) or {entry.token: entry.logprob}
    weights: dict[int, float] = {}
    for token, lp in top.items():
        digits = token.strip()
        if digits.isdigit() and low <= int(digits) <= high:
            weights[int(digits)] = weights.get(int(digits), 0.0) + math.exp(lp)
    total = sum(weights.values())
    if total <= 0:
        return None
    return sum(value * weight for value, weight in weights.items()) / total
