"""Neutralising the judge template's own markers inside judged text (prompt-injection defence).

A response can imitate the template: close the data block (`[END DATA]`, a `***` line), open a
fake section (`[Response 1]: ...`), or end with the judge's own verdict line ("So, the final
decision is Response 1", "Rating: [[10]]"). The parser only ever reads the model's completion, so
such text is never taken as the verdict; but a model can still copy it. `neutralise` rewrites
these markers into look-alikes the template never uses (full-width brackets, a low asterisk, a
no-break space), so the text reads the same to a person and no longer matches the template.

The look-alikes cover the template's own markers. Then every pattern the parsers accept
(`PARSER_MARKERS`, collected from `autoj.protocols.parsing`: strict and lenient rating lines such as
a bare `Rating: 10`, both languages' verdict phrases) is broken wherever it still matches, by an
invisible WORD JOINER inside its keyword, so nothing in judged text can pass for a judge's verdict
even when a model copies it.

Text without any marker is returned unchanged, object for object: a guarded protocol sends the
byte-exact Auto-J prompt for clean text. `guarded(protocol)` wraps any protocol; the `autoj+guard`,
`autoj-zh+guard` and `chat+guard` protocols are registered by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from autoj.protocols import parsing
from autoj.protocols.base import JudgeProtocol
from autoj.protocols.parsing import RatingMarkers, VerdictMarkers
from autoj.types import FinishReason, Judgment, PairItem, Prompt, SingleItem

#: Suffix of a guarded protocol's name and version.
GUARD = "+guard"
GUARD_VERSION = "g2"

_NBSP = "\u00a0"

# Square-bracket tags of the templates (English and Chinese) and the Llama-2 chat wrapper.
_TAG = re.compile(
    r"\[(\s*(?:BEGIN DATA|END DATA|Query|Response(?:\s*\d)?|用户问询|回应\s*\d?|/?INST)\s*)\]",
    re.IGNORECASE,
)
# A line that is only asterisks: the template's section separator.
_STARS = re.compile(r"^([ \t]*)\*{3,}([ \t]*)$", re.MULTILINE)
# The verdict phrase and the rating brackets the parsers look for.
_DECISION = re.compile(r"(final)(\s+)(decision)(\s+)(is)", re.IGNORECASE)
_ZH_DECISION = re.compile(r"最终决定是")
# Only a number in double brackets, as in the rating line: code (`[[0] * n]`) and citation links
# (`[[1](url)]`) are left alone.
_RATING_BRACKETS = re.compile(r"\[\[(\s*[+-]?\d+(?:\.\d+)?\s*)\]\]")


def parser_markers() -> tuple[re.Pattern[str], ...]:
    """Every marker pattern the parsers accept: each VerdictMarkers' marker and RatingMarkers'
    pattern defined in `autoj.protocols.parsing`, so a marker added there is guarded at once."""
    found: list[re.Pattern[str]] = []
    for value in vars(parsing).values():
        if isinstance(value, VerdictMarkers):
            found.append(value.marker)
        elif isinstance(value, RatingMarkers):
            found.append(value.pattern)
    return tuple(dict.fromkeys(found))


#: Every marker a parser accepts; any match left in judged text is broken (see `_break`).
PARSER_MARKERS = parser_markers()
_JOINER = "\u2060"  # WORD JOINER: invisible, and no parser pattern lets it sit inside a keyword


def _break(text: str, pattern: re.Pattern[str]) -> str:
    """`text` with a joiner after the first word character of each match, until none is left.

    A match that survives a joiner gets one after its next word character; each step adds a joiner
    inside the match, so the loop ends (a match with no word character left raises: a parser
    pattern the guard cannot break is a bug to fix, never a silent hole).
    """
    while (match := pattern.search(text)) is not None:
        span = text[match.start() : match.end()]
        spot = next(
            (
                n
                for n, char in enumerate(span)
                if (char.isalnum() or char in "[]") and span[n + 1 : n + 2] != _JOINER
            ),
            None,
        )
        if spot is None:
            raise ValueError(f"the guard cannot break a match of {pattern.pattern!r}: {span!r}")
        cut = match.start() + spot + 1
        text = text[:cut] + _JOINER + text[cut:]
    return text


def _tag(match: re.Match[str]) -> str:
    return f"［{match.group(1)}］"


def _stars(match: re.Match[str]) -> str:
    stars = len(match.group(0).strip())
    return f"{match.group(1)}{'⁎' * stars}{match.group(2)}"


def _decision(match: re.Match[str]) -> str:
    return f"{match.group(1)}{_NBSP}{match.group(3)}{_NBSP}{match.group(5)}"


def neutralise(text: str) -> str:
    """`text` with the template's markers replaced by inert look-alikes; unchanged when clean."""
    out = _TAG.sub(_tag, text)
    out = _STARS.sub(_stars, out)
    out = _DECISION.sub(_decision, out)
    out = _ZH_DECISION.sub("最终决定\u2060是", out)
    out = _RATING_BRACKETS.sub(r"［［\1］］", out)
    for pattern in PARSER_MARKERS:
        out = _break(out, pattern)
    return text if out == text else out


def has_markers(text: str) -> bool:
    """Whether `text` contains anything `neutralise` would change."""
    return neutralise(text) is not text


def neutralise_pair(item: PairItem) -> PairItem:
    """The pair with its query and responses neutralised (the same object when all are clean)."""
    query, r1, r2 = (neutralise(t) for t in (item.query, item.response_1, item.response_2))
    if query is item.query and r1 is item.response_1 and r2 is item.response_2:
        return item
    return replace(item, query=query, response_1=r1, response_2=r2)


def neutralise_single(item: SingleItem) -> SingleItem:
    """The item with its query and response neutralised (the same object when both are clean)."""
    query, response = neutralise(item.query), neutralise(item.response)
    if query is item.query and response is item.response:
        return item
    return replace(item, query=query, response=response)


class GuardedProtocol(JudgeProtocol):
    """Another protocol whose prompts carry neutralised judged text; parsing is unchanged."""

    def __init__(self, inner: JudgeProtocol) -> None:
        self.inner = inner
        self.name = inner.name + GUARD
        self.version = f"{inner.version}.{GUARD_VERSION}"
        self.language = inner.language

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        return self.inner.pairwise_prompt(neutralise_pair(item))

    def single_prompt(self, item: SingleItem) -> Prompt:
        return self.inner.single_prompt(neutralise_single(item))

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return self.inner.parse_pairwise(text, finish_reason)

    def parse_single(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return self.inner.parse_single(text, finish_reason)


def guarded(protocol: JudgeProtocol) -> GuardedProtocol:
    """`protocol` with judged text neutralised before it goes into the prompt."""
    return protocol if isinstance(protocol, GuardedProtocol) else GuardedProtocol(protocol)


def register_guarded() -> None:
    """Make `autoj+guard`, `autoj-zh+guard` and `chat+guard` available to get_protocol."""
    from autoj.protocols import register_protocol

    for base in ("autoj", "autoj-zh", "chat"):
        register_protocol(base + GUARD, _guarded_factory(base))


def _guarded_factory(base: str) -> Callable[[], JudgeProtocol]:
    def build() -> JudgeProtocol:
        from autoj.protocols import get_protocol

        return guarded(get_protocol(base))

    return build
