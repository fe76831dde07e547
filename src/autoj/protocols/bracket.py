"""Verdicts and ratings in double brackets ("[[A]]", "[[A>B]]", "[[7]]"), as MT-Bench-style judges write them.

The last bracketed label wins (a judge may quote the format before deciding); a label outside the
family's set, or none at all, is a parse failure with the reason, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from autoj.protocols.parsing import parse_failure, rating_judgment
from autoj.types import FinishReason, Judgment, Verdict

_BRACKETED = re.compile(r"\[\[\s*([^\[\]\n]{1,12}?)\s*\]\]")
_DOUBLE_NUMBER = re.compile(r"\[\[\s*([+-]?\d+(?:\.\d+)?)\s*\]\]")
_SINGLE_NUMBER = re.compile(r"\[\s*([+-]?\d+(?:\.\d+)?)\s*\]")
# The "Rating:" that leads into the number belongs to the rating, not to the critique.
_RATING_LEAD = re.compile(r"[\s*_]*Rating\s*[:：]?\s*$", re.IGNORECASE)


def parse_bracket_verdict(
    text: str, labels: Mapping[str, Verdict], finish_reason: FinishReason | None = None
) -> Judgment:
    """The verdict of the last `[[label]]` whose label is one of `labels`."""
    found = [m for m in _BRACKETED.finditer(text) if m.group(1) in labels]
    if not found:
        allowed = " / ".join(f"[[{label}]]" for label in labels)
        return parse_failure("pairwise", text, f"no verdict {allowed} found", finish_reason)
    last = found[-1]
    return Judgment(
        kind="pairwise",
        status="ok",
        raw=text,
        critique=text[: last.start()].strip(),
        verdict=labels[last.group(1)],
    )


def parse_bracket_rating(
    text: str, low: float, high: float, finish_reason: FinishReason | None = None
) -> Judgment:
    """The number of the last `[[n]]`, else of the last `[n]` (FastChat's backup form), in range."""
    found = list(_DOUBLE_NUMBER.finditer(text)) or list(_SINGLE_NUMBER.finditer(text))
    if not found:
        return parse_failure("single", text, "no [[rating]] found", finish_reason)
    last = found[-1]
    critique = _RATING_LEAD.sub("", text[: last.start()]).strip()
    return rating_judgment(text, critique, last.group(1), low, high)
