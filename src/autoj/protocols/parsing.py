"""Pure parsers that turn a judge's text into a typed Judgment.

Rules: the *last* marker wins; what follows it must be an allowed label or a rating
in range; anything else is a parse failure that keeps the raw text and says why. A label is
never guessed. What counts as a marker, a label or a rating line is the family's output
contract (`autoj.protocols.contract`); Auto-J's format is the default.
"""

from __future__ import annotations

import re

from autoj.protocols.autoj_format import ENGLISH_RATING, ENGLISH_VERDICT
from autoj.protocols.contract import NOISE, RatingContract, VerdictContract
from autoj.types import FinishReason, Judgment, TaskKind

# Between two options of an echoed format line: "Response 1 / Response 2 / Tie", "Response 1 or 2".
_OPTION_SEPARATOR = re.compile(r"[\s*_\"'`”’]*(?:/|／|\bor\b|或|、|,)[\s*_\"'`“‘]*", re.IGNORECASE)


def _is_echoed_options(rest: str, family: VerdictContract) -> bool:
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
    markers: tuple[VerdictContract, ...] = (ENGLISH_VERDICT,),
    finish_reason: FinishReason | None = None,
) -> Judgment:
    """Read the verdict after the last decision marker of any of the contracts `markers`."""
    last: tuple[int, int, VerdictContract] | None = None
    for family in markers:
        for match in family.marker.finditer(text):
            if last is None or match.start() > last[0]:
                last = (match.start(), match.end(), family)
    if last is None:
        return parse_failure("pairwise", text, "no final-decision marker found", finish_reason)
    _, end, family = last
    rest = text[end:].lstrip(NOISE)
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
    markers: tuple[RatingContract, ...] = (ENGLISH_RATING,),
    finish_reason: FinishReason | None = None,
) -> Judgment:
    """Read the number of the last complete rating of any of the contracts `markers`, in range."""
    last: tuple[re.Match[str], RatingContract] | None = None
    for family in markers:
        for match in family.pattern.finditer(text):
            if last is None or match.start() > last[0].start():
                last = (match, family)
    if last is None:
        return parse_failure("single", text, "no rating marker found", finish_reason)
    match, family = last
    return rating_judgment(text, text[: match.start()].strip(), match.group(1), family.low, family.high)
