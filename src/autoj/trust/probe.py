"""Counterfactual probes: judge changed copies of each pair and count how often the verdict flips.

Each change leaves the quality of the answers as it was, so a judge that reads quality should keep
its verdict:
- swapped: the two responses exchanged (the verdict, mapped back, should stay);
- padded: the response the judge did not prefer gets content-free filler about as long as itself
  (a flip towards it is length bias);
- plain: the preferred response loses its markdown, text kept (a flip away from it is style bias;
  only pairs whose preferred response has markdown are probed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from autoj.backends.base import Backend
from autoj.bench.runner import judge_name, run_items
from autoj.io.results import Result
from autoj.judges.config import JudgeConfig
from autoj.run.judge import Judge
from autoj.stats.bias import Share
from autoj.stats.metrics import map_back
from autoj.types import PairItem, Verdict

PROBES = ("swapped", "padded", "plain")
#: Sentences that add length and no content.
FILLER = (
    "I hope this helps.",
    "Let me know if you have any other questions.",
    "Feel free to ask if anything here needs more detail.",
    "Thank you for the question.",
)


def pad(text: str) -> str:
    """`text` followed by filler about as long as itself (at least 200 characters)."""
    wanted = max(200, len(text))
    filler: list[str] = []
    while sum(len(s) + 1 for s in filler) < wanted:
        filler.append(FILLER[len(filler) % len(FILLER)])
    return f"{text.rstrip()}\n\n{' '.join(filler)}"


#: Token types that are markup the plain copy drops (block tokens, and inline ones' children).
MARKUP = frozenset(
    {
        "heading_open",
        "list_item_open",
        "strong_open",
        "em_open",
        "fence",
        "code_block",
        "code_inline",
        "tr_open",
        "link_open",
        "blockquote_open",
        "hr",
    }
)


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def markdown_tokens(text: str) -> list[Token]:
    """`text` parsed as CommonMark with tables (block tokens; inline ones are their children)."""
    return _parser().parse(text)


def has_markup(text: str) -> bool:
    """Whether stripping would take any markup from `text` (headings, lists, emphasis, code,
    tables, links, quotes, rules): the pairs the plain probe can change."""
    return any(
        token.type in MARKUP or any(child.type in MARKUP for child in token.children or ())
        for token in markdown_tokens(text)
    )


def strip_markdown(text: str) -> str:
    """The text of `text` without its markdown: headings, list markers, emphasis, code fences and
    table pipes go, words and line structure stay."""
    lines: list[str] = []
    row: list[str] | None = None  # the cells of the table row being read
    for token in markdown_tokens(text):
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            lines.append(" ".join(row))
            row = None
        elif token.type == "inline":
            words = "".join(
                "\n" if child.type in ("softbreak", "hardbreak") else child.content
                for child in token.children or ()
                if child.type in ("text", "code_inline", "softbreak", "hardbreak")
            )
            (row if row is not None else lines).append(words)
        elif token.type in ("fence", "code_block"):
            lines.append(token.content.rstrip("\n"))
    return "\n".join(line for line in lines if line.strip())


def _id(item: PairItem, probe: str) -> str:
    return f"{item.id}#{probe}"


def probe_items(item: PairItem, verdict: Verdict | None) -> list[PairItem]:
    """The changed copies of `item` given the judge's verdict on it (none when it failed)."""
    if verdict is None:
        return []
    preferred_first = verdict is not Verdict.RESPONSE_2  # a tie: response 1 counts as preferred
    copies = [replace(item, id=_id(item, "swapped"), response_1=item.response_2, response_2=item.response_1)]
    if preferred_first:
        copies.append(replace(item, id=_id(item, "padded"), response_2=pad(item.response_2)))
    else:
        copies.append(replace(item, id=_id(item, "padded"), response_1=pad(item.response_1)))
    preferred = item.response_1 if preferred_first else item.response_2
    if has_markup(preferred):
        plain = strip_markdown(preferred)
        copies.append(
            replace(item, id=_id(item, "plain"), response_1=plain)
            if preferred_first
            else replace(item, id=_id(item, "plain"), response_2=plain)
        )
    return copies


@dataclass(frozen=True)
class ProbeReport:
    """Per probe: the share of probed pairs whose verdict changed, with its interval."""

    judge: str
    pairs: int
    flips: dict[str, Share]
    examples: dict[str, list[str]]  # ids of pairs that flipped, per probe

    def to_dict(self) -> dict[str, Any]:
        return {
            "judge": self.judge,
            "pairs": self.pairs,
            "flips": {name: share.to_dict() for name, share in self.flips.items()},
            "flipped_ids": self.examples,
        }


def flip_report(judge: str, originals: Sequence[Result], probed: Sequence[Result]) -> ProbeReport:
    """How often each probe changed the verdict (pairs where either judgment failed are left out)."""
    by_id = {r.id: r for r in probed}
    hits: dict[str, list[bool]] = {name: [] for name in PROBES}
    flipped: dict[str, list[str]] = {name: [] for name in PROBES}
    for original in originals:
        before = original.verdict
        for name in PROBES:
            result = by_id.get(f"{original.id}#{name}")
            if before is None or result is None or result.verdict is None:
                continue
            after = map_back(result.verdict) if name == "swapped" else result.verdict
            hits[name].append(after != before)
            if after != before:
                flipped[name].append(original.id)
    return ProbeReport(judge, len(originals), {name: Share.of(hits[name]) for name in PROBES}, flipped)


def run_probe(
    items: Sequence[PairItem],
    judge: JudgeConfig | str | Backend,
    output: str | Path,
    *,
    overwrite: bool = False,
) -> ProbeReport:
    """Judge `items` in one order, then their changed copies, into one resumable results file."""

    with Judge(judge, both_orders=False) as j:
        originals = j.run(run_items(j.engine(), items, output, overwrite))
        copies = [
            c for r in originals if isinstance(r.item, PairItem) for c in probe_items(r.item, r.verdict)
        ]
        probed = j.run(run_items(j.engine(), copies, output))
    return flip_report(judge_name(judge), originals, probed)
