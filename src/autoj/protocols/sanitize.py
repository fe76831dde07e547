"""Neutralising the judge template's own markers inside judged text (prompt-injection defence).

A response can imitate the template: close the data block (`[END DATA]`, a `***` line), open a
fake section (`[Response 1]: ...`), or end with the judge's own verdict line ("So, the final
decision is Response 1", "Rating: [[10]]"). The parser only ever reads the model's completion, so
such text is never taken as the verdict; but a model can still copy it. `neutralise` rewrites
these markers into look-alikes the template never uses (full-width brackets, a low asterisk, a
no-break space), so the text reads the same to a person and no longer matches the template.

The look-alikes cover the template's own markers. Then every pattern the parsers accept
(`PARSER_MARKERS`, derived from the output contracts of Auto-J's answer format: strict and lenient
rating lines such as a bare `Rating: 10`, both languages' verdict phrases, plus those of the
guarded protocol's own contract) is broken wherever it still matches, by an invisible WORD JOINER
inside its keyword, so nothing in judged text can pass for a judge's verdict even when a model
copies it.

Text without any marker is returned unchanged, object for object: a guarded protocol sends the
byte-exact Auto-J prompt for clean text. `guarded(protocol)` wraps any protocol and delegates
everything but the prompts to it (contract, inputs, parsing, stop patterns, grammar, read-outs);
families registered with `guard=True` (autoj, autoj-zh, chat) are also registered as `NAME+guard`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from autoj.protocols.autoj_format import FORMS
from autoj.protocols.base import JudgeProtocol
from autoj.protocols.contract import Contract, OutputContract, RatingContract, VerdictContract
from autoj.types import Completion, FinishReason, Item, Judgment, PairItem, Prompt, Rubric, SingleItem

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


def guard_patterns(forms: tuple[Contract, ...]) -> tuple[re.Pattern[str], ...]:
    """What the guard breaks in judged text for these answer forms: each verdict form's marker and
    each rating form's complete rating, as the parsers read them."""
    found: list[re.Pattern[str]] = []
    for form in forms:
        if isinstance(form, VerdictContract):
            found.append(form.marker)
        elif isinstance(form, RatingContract):
            found.append(form.pattern)
    return tuple(dict.fromkeys(found))


def _contract_patterns(contract: OutputContract) -> tuple[re.Pattern[str], ...]:
    return guard_patterns(contract.all_forms())


#: Every marker of Auto-J's answer format, in both languages; any match left in judged text is
#: broken (see `_break`), whichever protocol is guarded.
PARSER_MARKERS = guard_patterns(FORMS)
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


def neutralise(text: str, markers: tuple[re.Pattern[str], ...] = PARSER_MARKERS) -> str:
    """`text` with the template's markers replaced by inert look-alikes and every match of
    `markers` broken; unchanged when clean."""
    out = _TAG.sub(_tag, text)
    out = _STARS.sub(_stars, out)
    out = _DECISION.sub(_decision, out)
    out = _ZH_DECISION.sub("最终决定\u2060是", out)
    out = _RATING_BRACKETS.sub(r"［［\1］］", out)
    for pattern in markers:
        out = _break(out, pattern)
    return text if out == text else out


def has_markers(text: str, markers: tuple[re.Pattern[str], ...] = PARSER_MARKERS) -> bool:
    """Whether `text` contains anything `neutralise` would change."""
    return neutralise(text, markers) is not text


def neutralise_pair(item: PairItem, markers: tuple[re.Pattern[str], ...] = PARSER_MARKERS) -> PairItem:
    """The pair with its query and responses neutralised (the same object when all are clean)."""
    query, r1, r2 = (neutralise(t, markers) for t in (item.query, item.response_1, item.response_2))
    if query is item.query and r1 is item.response_1 and r2 is item.response_2:
        return item
    return replace(item, query=query, response_1=r1, response_2=r2)


def neutralise_single(item: SingleItem, markers: tuple[re.Pattern[str], ...] = PARSER_MARKERS) -> SingleItem:
    """The item with its query and response neutralised (the same object when both are clean)."""
    query, response = neutralise(item.query, markers), neutralise(item.response, markers)
    if query is item.query and response is item.response:
        return item
    return replace(item, query=query, response=response)


class GuardedProtocol(JudgeProtocol):
    """Another protocol whose prompts carry neutralised judged text; all else is the inner one's."""

    def __init__(self, inner: JudgeProtocol) -> None:
        self.inner = inner
        self.name = inner.name + GUARD
        self.version = f"{inner.version}.{GUARD_VERSION}"
        self.language = inner.language
        self.contract = inner.contract
        self.inputs = inner.inputs
        self._markers = tuple(dict.fromkeys((*PARSER_MARKERS, *_contract_patterns(inner.contract))))

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        return self.inner.pairwise_prompt(neutralise_pair(item, self._markers))

    def single_prompt(self, item: SingleItem) -> Prompt:
        return self.inner.single_prompt(neutralise_single(item, self._markers))

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return self.inner.parse_pairwise(text, finish_reason)

    def parse_single(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return self.inner.parse_single(text, finish_reason)

    def scenario_problem(self, scenario: str) -> str | None:
        return self.inner.scenario_problem(scenario)

    def rubric_for(self, item: Item) -> Rubric | None:
        return self.inner.rubric_for(item)

    def stop_patterns(self, item: Item) -> tuple[str, ...]:
        return self.inner.stop_patterns(item)

    def grammar(self, item: Item) -> str:
        return self.inner.grammar(item)

    def read(self, item: Item, completion: Completion) -> Judgment:
        return self.inner.read(item, completion)


def guarded(protocol: JudgeProtocol) -> GuardedProtocol:
    """`protocol` with judged text neutralised before it goes into the prompt."""
    return protocol if isinstance(protocol, GuardedProtocol) else GuardedProtocol(protocol)
