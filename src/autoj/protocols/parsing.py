"""Pure parsers that turn a judge's text into a typed Judgment.

Rules: the *last* marker wins; what follows it must be an allowed label or a rating
in range; anything else is a parse failure that keeps the raw text and says why. A label is
never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from autoj.types import FinishReason, Judgment, TaskKind, Verdict


@dataclass(frozen=True)
class VerdictMarkers:
    """Where a pairwise verdict starts and which words after it name which verdict."""

    marker: re.Pattern[str]
    labels: tuple[tuple[re.Pattern[str], Verdict], ...]


@dataclass(frozen=True)
class RatingMarkers:
    """The pattern of a rating line; group 1 is the number."""

    pattern: re.Pattern[str]
    low: float = 1.0
    high: float = 10.0


# Decorations a chat model may put between the marker and the label ("**Response 1**", '"Tie"').
_LEADING_NOISE = " \t\n*_\"'`:：“”‘’「」"

ENGLISH_VERDICT = VerdictMarkers(
    marker=re.compile(r"final decision is ", re.IGNORECASE),
    labels=(
        (re.compile(r"response\s*1(?!\d)", re.IGNORECASE), Verdict.RESPONSE_1),
        (re.compile(r"response\s*2(?!\d)", re.IGNORECASE), Verdict.RESPONSE_2),
        # "a tie" is unambiguous; small chat models write it often.
        (re.compile(r"(?:a\s+)?tie\b", re.IGNORECASE), Verdict.TIE),
    ),
)

CHINESE_VERDICT = VerdictMarkers(
    marker=re.compile(r"最终决定是"),
    labels=(
        (re.compile(r"回应\s*1(?!\d)"), Verdict.RESPONSE_1),
        (re.compile(r"回应\s*2(?!\d)"), Verdict.RESPONSE_2),
        (re.compile(r"平局"), Verdict.TIE),
    ),
)

_NUMBER = r"\[\[\s*([+-]?\d+(?:\.\d+)?)\s*\]\]"
ENGLISH_RATING = RatingMarkers(re.compile(r"Rating\s*[:：]\s*" + _NUMBER, re.IGNORECASE))
# Chat models told to write "Rating: [[n]]" sometimes drop the brackets ("Rating: 7", "Rating: 7/10");
# only the generic chat protocol accepts that, and only on a line of its own.
LENIENT_RATING = RatingMarkers(
    re.compile(r"^\W*Rating\s*[:：]\s*\**\s*(\d+(?:\.\d+)?)\s*(?:/\s*10)?\**\s*\.?\s*$", re.I | re.M)
)
# The bilingual model writes any of 评分：, 评分:, 打分:, 评级： before the brackets.
CHINESE_RATING = RatingMarkers(re.compile(r"(?:评分|打分|评级)\s*[:：]\s*" + _NUMBER))


# Between two options of an echoed format line: "Response 1 / Response 2 / Tie", "Response 1 or 2".
_OPTION_SEPARATOR = re.compile(r"[\s*_\"'`”’]*(?:/|／|\bor\b|或|、|,)[\s*_\"'`“‘]*", re.IGNORECASE)
# What ends a complete verdict line: closing decorations, then a full stop or a line break.
_VERDICT_END = r"[*_\"'`”’」)]*[ \t]*[.。!！;\n]"


def _is_echoed_options(rest: str, family: VerdictMarkers) -> bool:
    """Whether the decision lists the options (the prompt's format line copied) instead of one."""
    separator = _OPTION_SEPARATOR.match(rest)
    if separator is None or separator.end() == 0:
        return False
    after = rest[separator.end() :]
    bare_number = re.match(r"\d(?!\d)", after) is not None  # "Response 1 or 2"
    return bare_number or any(pattern.match(after) for pattern, _ in family.labels)


def parse_failure(
    kind: TaskKind,
    text: str,
    reason: str,
    finish_reason: FinishReason | None = None,
    critique: str | None = None,
) -> Judgment:
    """A parse failure that keeps the raw text and says why; a missing answer in an output cut at
    the token limit says so (pass `finish_reason` only where the cut can explain the failure).
    Every family's parser fails through here."""
    if finish_reason == "length":
        reason += " (the output was cut off at the token limit)"
    return Judgment(
        kind=kind,
        status="parse_error",
        raw=text,
        critique=text.strip() if critique is None else critique,
        reason=reason,
    )


def rating_judgment(text: str, critique: str, number: str, low: float, high: float) -> Judgment:
    """The rating `number` (as written) when it is within low-high, else a parse failure."""
    value = float(number)
    if not low <= value <= high:
        return parse_failure(
            "single", text, f"rating {number} is outside {low:g}-{high:g}", critique=critique
        )
    return Judgment(kind="single", status="ok", raw=text, critique=critique, rating=value)


def parse_verdict(
    text: str,
    markers: tuple[VerdictMarkers, ...] = (ENGLISH_VERDICT,),
    finish_reason: FinishReason | None = None,
) -> Judgment:
    """Read the verdict after the last decision marker of any of `markers`."""
    last: tuple[int, int, VerdictMarkers] | None = None
    for family in markers:
        for match in family.marker.finditer(text):
            if last is None or match.start() > last[0]:
                last = (match.start(), match.end(), family)
    if last is None:
        return parse_failure("pairwise", text, "no final-decision marker found", finish_reason)
    _, end, family = last
    rest = text[end:].lstrip(_LEADING_NOISE)
    critique = text.strip()
    for pattern, verdict in family.labels:
        label = pattern.match(rest)
        if label is None:
            continue
        if _is_echoed_options(rest[label.end() :], family):
            reason = "the decision copies the format line (it lists the options), not one verdict"
            return parse_failure("pairwise", text, reason, critique=critique)
        return Judgment(kind="pairwise", status="ok", raw=text, critique=critique, verdict=verdict)
    shown = rest[:40].replace("\n", " ")
    reason = f"the final decision names no allowed verdict: {shown!r}"
    return parse_failure("pairwise", text, reason, finish_reason, critique)


def parse_rating(
    text: str,
    markers: tuple[RatingMarkers, ...] = (ENGLISH_RATING,),
    finish_reason: FinishReason | None = None,
) -> Judgment:
    """Read the number of the last rating marker and check it is in range."""
    last: tuple[re.Match[str], RatingMarkers] | None = None
    for family in markers:
        for match in family.pattern.finditer(text):
            if last is None or match.start() > last[0].start():
                last = (match, family)
    if last is None:
        return parse_failure("single", text, "no rating marker found", finish_reason)
    match, family = last
    return rating_judgment(text, text[: match.start()].strip(), match.group(1), family.low, family.high)


def _inline_flags(pattern: re.Pattern[str]) -> str:
    return "(?i)" if pattern.flags & re.IGNORECASE else ""


def verdict_stop_pattern(markers: VerdictMarkers) -> str:
    """A regex that matches once a verdict line is complete: marker, label, then its full stop or end.

    Waiting for the full stop or line end tells "Response 1" from "Response 12", "Tie" from
    "Tiebreak", and a verdict from a copied format line ("Response 1 / Response 2 / Tie"); used to
    stop generation early (the matched text stays in the output, so the parser sees it).
    """
    labels = "|".join(f"(?:{pattern.pattern})" for pattern, _ in markers.labels)
    noise = re.escape(_LEADING_NOISE)
    flags = _inline_flags(markers.marker)
    return f"{flags}(?:{markers.marker.pattern})[{noise}]*(?:{labels}){_VERDICT_END}"


def rating_stop_pattern(markers: RatingMarkers) -> str:
    """A regex that matches once a bracketed rating (`Rating: [[7]]`) is complete."""
    return f"{_inline_flags(markers.pattern)}(?:{markers.pattern.pattern})"
