"""What a protocol's output contract implies: a grammar, stop patterns, verdict probabilities.

`final_line_grammar` is a GBNF grammar that lets the judge write its reasons freely but only in
its family's shape: ending with a well-formed verdict ("So, the final decision is Response 1.",
"[RESULT] A", `{"更好的回答": 1}`) or rating ("Rating: [[7]]"), or opening with it ("1", "8 6").
`stop_pattern` ends generation once a final verdict line is complete. `verdict_probabilities`
and `expected_rating` read the judge's own token probabilities at the label / number: P(Response
1), P(Response 2), P(tie) and E[rating].
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING

from autoj.protocols.contract import (
    NOISE,
    NUMBER,
    Contract,
    RatingContract,
    ScorePairContract,
    VerdictContract,
)
from autoj.types import Item, TokenLogprob, Verdict

if TYPE_CHECKING:
    from autoj.protocols.base import JudgeProtocol

# Decorations between a marker and its label or number in tokens (a token may open a bracket).
_NOISE = NOISE + "([【"
_FREE_TEXT = "text ::= [^\\x00]*"


def _literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _numbers(low: int, high: int) -> str:
    return "(" + " | ".join(_literal(str(n)) for n in range(high, low - 1, -1)) + ")"


@cache  # a pure function of a frozen contract, asked for once per item
def grammar(contract: Contract) -> str:
    """GBNF for an answer in the contract's shape (reasons free, the verdict or rating exact)."""
    if isinstance(contract, ScorePairContract):
        number = _numbers(contract.low, contract.high)
        head = f"{number} {_literal(contract.separator)} {number}"
        return f'root ::= {head} "\\n" text\n{_FREE_TEXT}\n'
    if isinstance(contract, RatingContract):
        final = f"{_literal(contract.prefix)} {_numbers(contract.low, contract.high)}"
    else:
        choices = " | ".join(_literal(label) for label, _ in contract.choices)
        if contract.first_line:
            return f'root ::= ({choices}) "\\n" text\n{_FREE_TEXT}\n'
        final = f"{_literal(contract.prefix)} ({choices})"
    if contract.suffix:
        final += f" {_literal(contract.suffix)}"
    return f"root ::= text final\n{_FREE_TEXT}\nfinal ::= {final}\n"


def final_line_grammar(protocol: JudgeProtocol, item: Item) -> str:
    """The grammar of a well-formed answer of `protocol` for this item's task."""
    return protocol.grammar(item)


# What may close a verdict or rating before its sentence or line ends, and that end.
_CLOSERS = r"[*_\"'`”’」)\]]*"
_END = r"[ \t]*[.。!！;\n]"
_SENTENCE_ENDS = (".", "。", "!", "！")


def _flagged(pattern: re.Pattern[str]) -> tuple[str, str]:
    """A compiled pattern as inline flags and text, to open a combined regex (flags must lead)."""
    body = re.sub(r"^\(\?[aiLmsux]+\)", "", pattern.pattern)
    letters = "".join(c for c, f in (("i", re.IGNORECASE), ("m", re.MULTILINE)) if pattern.flags & f)
    return (f"(?{letters})" if letters else ""), body


@cache  # a pure function of a frozen contract, asked for once per item
def stop_pattern(contract: Contract) -> str | None:
    """A regex that matches once the answer's final verdict or rating is complete.

    None for a contract whose verdict opens the answer: the reasons come after it. A verdict
    counts only once its line or sentence ends ("A" must not stop "A bit", nor a quoted format
    line '"[[A]]" if assistant A is better'); a rating once its closing bracket is written, or,
    without one, its line or sentence ends; a bare "Rating: 7" once its line ends ("7/10").
    """
    if isinstance(contract, ScorePairContract) or (
        isinstance(contract, VerdictContract) and contract.first_line
    ):
        return None
    noise = f"[{re.escape(NOISE)}]*"
    suffix = contract.suffix.strip()
    closing = noise + re.escape(suffix) if suffix and suffix not in _SENTENCE_ENDS else ""
    if isinstance(contract, RatingContract):
        if contract.line:
            flags, _ = _flagged(contract.pattern)
            return rf"{flags}^\W*{contract.lead}\s*\**\s*\d+(?:\.\d+)?[^\n]*\n"
        flags, marker = _flagged(contract.marker)
        return f"{flags}(?:{marker}){noise}{NUMBER}{closing or _CLOSERS + _END}"
    flags, marker = _flagged(contract.marker)
    labels = "|".join(f"(?:{pattern.pattern})" for pattern, _ in contract.labels)
    return f"{flags}(?:{marker}){noise}(?:{labels}){closing}{_CLOSERS}{_END}"


def _norm(text: str) -> str:
    return re.sub(r"[\s" + re.escape(_NOISE) + "]+", "", text.lower())


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


def _top(entry: TokenLogprob) -> Mapping[str, float]:
    return dict(entry.top) or {entry.token: entry.logprob}


def _past_noise(text: str, offset: int) -> int | None:
    """The first offset from `offset` on that is not decoration; None when only decoration is left."""
    while offset < len(text) and text[offset] in _NOISE:
        offset += 1
    return offset if offset < len(text) else None


def _after_marker(text: str, marker: re.Pattern[str]) -> int | None:
    """Where the answer starts in `text`: past the last marker and the decoration after it."""
    matches = list(marker.finditer(text))
    return _past_noise(text, matches[-1].end()) if matches else None


def _label_offset(text: str, contract: VerdictContract) -> int | None:
    """Where the label starts in `text`: after the last marker, or at the start of a first line."""
    if contract.first_line:
        return _past_noise(text, 0)
    return _after_marker(text, contract.marker)


def _split(
    logprobs: Sequence[TokenLogprob], after: int, consumed: str, candidates: list[tuple[str, Verdict]]
) -> dict[Verdict, float]:
    """Shares among `candidates` (labels that all begin with `consumed`) from the next tokens.

    Tokens that fit every candidate ("应" after "回" of 回应1 / 回应2) are walked past; the first
    token whose alternatives tell the candidates apart decides; none: an even split.
    """
    distinct = {v for _, v in candidates}
    for entry in logprobs[after : after + 3]:
        fitting: list[tuple[float, set[Verdict]]] = []
        for token, lp in _top(entry).items():
            extended = consumed + _norm(token)
            fits = {v for label, v in candidates if label.startswith(extended) or extended.startswith(label)}
            if _norm(token) and fits:
                fitting.append((math.exp(lp), fits))
        if not fitting:
            break
        if all(fits == distinct for _, fits in fitting):
            consumed += _norm(entry.token)
            continue
        shares = dict.fromkeys(distinct, 0.0)
        for weight, fits in fitting:
            for verdict in fits:
                shares[verdict] += weight / len(fits)
        total = sum(shares.values())
        return {v: s / total for v, s in shares.items()}
    return {v: 1 / len(distinct) for v in distinct}


def verdict_probabilities(
    logprobs: Sequence[TokenLogprob], contract: VerdictContract | ScorePairContract | RatingContract
) -> dict[str, float] | None:
    """P of each verdict at the label of the contract's verdict; None when it isn't there.

    The label's first token may start several labels ("Response" of "Response 1" and "Response
    2"): the tokens after it split that share. Score-pair verdicts ("8 6") have no label token.
    """
    if not logprobs or not isinstance(contract, VerdictContract):
        return None
    text, starts = _spans(logprobs)
    offset = _label_offset(text, contract)
    if offset is None:
        return None
    first = _token_at(starts, offset)
    labels = [(_norm(label), verdict) for label, verdict in (*contract.choices, *contract.aliases)]
    mass: dict[Verdict, float] = {v: 0.0 for _, v in contract.choices}
    for token, lp in _top(logprobs[first]).items():
        piece = _norm(token)
        if not piece:
            continue
        fits = [(label, v) for label, v in labels if label.startswith(piece) or piece.startswith(label)]
        verdicts = {v for _, v in fits}
        if len(verdicts) == 1:
            mass[verdicts.pop()] += math.exp(lp)
        elif verdicts:
            for verdict, share in _split(logprobs, first + 1, piece, fits).items():
                mass[verdict] += math.exp(lp) * share
    total = sum(mass.values())
    if total <= 0:
        return None
    return {verdict.value: mass.get(verdict, 0.0) / total for verdict in Verdict}


def expected_rating(logprobs: Sequence[TokenLogprob], contract: Contract) -> float | None:
    """E[rating] over the number tokens after the contract's last rating marker; None without one."""
    if not logprobs or not isinstance(contract, RatingContract):
        return None
    text, starts = _spans(logprobs)
    offset = _after_marker(text, contract.marker)
    if offset is None:
        return None
    weights: dict[int, float] = {}
    for token, lp in _top(logprobs[_token_at(starts, offset)]).items():
        digits = token.strip(_NOISE)
        if digits.isdigit() and contract.low <= int(digits) <= contract.high:
            weights[int(digits)] = weights.get(int(digits), 0.0) + math.exp(lp)
    total = sum(weights.values())
    if total <= 0:
        return None
    return sum(value * weight for value, weight in weights.items()) / total
