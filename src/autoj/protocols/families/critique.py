"""Critique comparison (Eval-C live form): which of two critics' critiques of one answer is better.

Our own prompt (templates/critique_compare*.txt), sent as chat messages; the answer ends like an
Auto-J verdict, with Critique 1 / Critique 2 / Tie.
"""

from __future__ import annotations

import re

from autoj.protocols.base import JudgeProtocol, ProtocolInputError, fill, load_template
from autoj.protocols.contract import OutputContract, VerdictContract
from autoj.protocols.parsing import VerdictMarkers, parse_verdict
from autoj.types import FinishReason, Judgment, Message, PairItem, Prompt, SingleItem, Verdict

CRITIQUE_VERDICT = VerdictMarkers(
    marker=re.compile(r"final decision is ", re.IGNORECASE),
    labels=(
        (re.compile(r"critique\s*1(?!\d)", re.IGNORECASE), Verdict.RESPONSE_1),
        (re.compile(r"critique\s*2(?!\d)", re.IGNORECASE), Verdict.RESPONSE_2),
        (re.compile(r"tie\b", re.IGNORECASE), Verdict.TIE),
    ),
)

CONTRACT = OutputContract(
    pairwise=VerdictContract(
        "So, the final decision is ",
        (("Critique 1", Verdict.RESPONSE_1), ("Critique 2", Verdict.RESPONSE_2), ("Tie", Verdict.TIE)),
        marker="(?i)final decision is ",
    ),
    single=None,
)


class CritiqueComparisonProtocol(JudgeProtocol):
    """Compare two critiques of one answer. Items are PairItems whose responses are the critiques
    and whose `meta["response"]` is the answer being critiqued."""

    name = "critique-compare"
    version = "1"
    contract = CONTRACT

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        answer = item.meta.get("response")
        if not isinstance(answer, str):
            raise ProtocolInputError(f"item {item.id!r}: a critique comparison needs meta['response']")
        fields = {
            "query": item.query,
            "response": answer,
            "response_1": item.response_1,
            "response_2": item.response_2,
        }
        user = fill(load_template("critique_compare.txt"), fields)
        system = load_template("critique_compare_system.txt")
        return Prompt(messages=(Message("system", system), Message("user", user)))

    def single_prompt(self, item: SingleItem) -> Prompt:
        raise ProtocolInputError("the critique comparison protocol only compares two critiques")

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_verdict(text, (CRITIQUE_VERDICT,), finish_reason)

    def parse_single(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        raise ProtocolInputError("the critique comparison protocol gives no ratings")
