"""Arena-Hard-Auto's judge (lmarena/arena-hard-auto, v0.1 settings), byte for byte.

The system prompt is their `OG_ARENA_HARD_PROMPT` (utils/judge_utils.py) and the user message
their `prompt_template` (config/arena-hard-v0.1.yaml), filled with the prompt, Assistant A's
answer (Response 1) and Assistant B's (Response 2). The judge writes its own answer first, then
one of five labels: `[[A>>B]]`, `[[A>B]]`, `[[A=B]]`, `[[B>A]]`, `[[B>>A]]`.

The label is read as their `gen_judgment.get_score` reads it: in the upper-cased text, the last
`[[label]]`, else the last `[label]`, of the characters A, B, <, >, =. A label other than the
five is a parse failure, as v0.1's `show_result.py` gives it no weight (counts no battle). The
judgment keeps the side (Response 1 / 2 / tie); the strength, which the score weighs (a strong
verdict counts three times), is read back from the raw text with `verdict_label` by
`autoj.evaluate.benchmark_scores`.
"""

from __future__ import annotations

import re

from autoj.protocols.base import PairwiseOnlyProtocol, fill, load_template
from autoj.protocols.contract import OutputContract, VerdictContract
from autoj.protocols.parsing import parse_failure
from autoj.protocols.registry import registered
from autoj.types import FinishReason, Judgment, Message, PairItem, Prompt, Verdict

#: The five labels the prompt offers, and the side each one favours.
LABELS: dict[str, Verdict] = {
    "A>>B": Verdict.RESPONSE_1,
    "A>B": Verdict.RESPONSE_1,
    "A=B": Verdict.TIE,
    "B>A": Verdict.RESPONSE_2,
    "B>>A": Verdict.RESPONSE_2,
}
#: Labels that say "significantly better": weighted by their show_result.py (3 by default).
STRONG = frozenset({"A>>B", "B>>A"})

# config/arena-hard-v0.1.yaml `regex_patterns`, tried in order on the upper-cased judgment.
PATTERNS = (re.compile(r"\[\[([AB<>=]+)\]\]"), re.compile(r"\[([AB<>=]+)\]"))

CONTRACT = OutputContract(
    pairwise=VerdictContract("[[", tuple(LABELS.items()), suffix="]]", marker_regex=r"\[\["),
    single=None,
)


def verdict_label(text: str) -> tuple[str, int] | None:
    """(label, where it starts) as the authors' get_score finds it, or None: the last match of
    the first pattern that matches in the upper-cased text."""
    upper = text.upper()
    for pattern in PATTERNS:
        found = [m for m in pattern.finditer(upper) if m.group(1)]
        if found:
            return found[-1].group(1).strip("\n"), found[-1].start()
    return None


@registered("arena-hard")
class ArenaHardProtocol(PairwiseOnlyProtocol):
    """Arena-Hard-Auto's pairwise judge: system + user messages, a five-way bracketed verdict."""

    name = "arena-hard"
    version = "1"
    contract = CONTRACT

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        fields = {"QUESTION": item.query, "ANSWER_A": item.response_1, "ANSWER_B": item.response_2}
        user = fill(load_template("arena_hard_user.txt"), fields)
        return Prompt(
            messages=(Message("system", load_template("arena_hard_system.txt")), Message("user", user))
        )

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        found = verdict_label(text)
        if found is None:
            allowed = " / ".join(f"[[{label}]]" for label in LABELS)
            return parse_failure("pairwise", text, f"no verdict {allowed} found", finish_reason)
        label, start = found
        critique = text[:start].strip()
        if label not in LABELS:
            return parse_failure(
                "pairwise", text, f"[[{label}]] is not one of the five verdicts", critique=critique
            )
        return Judgment(kind="pairwise", status="ok", raw=text, critique=critique, verdict=LABELS[label])
