"""Critique comparison (Eval-C live form): which of two critics' critiques of one answer is better.

Our own prompt (templates/critique_compare*.txt), sent as chat messages; the answer ends like an
Auto-J verdict, with Critique 1 / Critique 2 / Tie.
"""

from __future__ import annotations

from autoj.protocols.base import PairwiseOnlyProtocol, ProtocolInputError, fill, load_template
from autoj.protocols.contract import OutputContract, VerdictContract
from autoj.protocols.registry import registered
from autoj.types import Message, PairItem, Prompt, Verdict

CONTRACT = OutputContract(
    pairwise=VerdictContract(
        "So, the final decision is ",
        (("Critique 1", Verdict.RESPONSE_1), ("Critique 2", Verdict.RESPONSE_2), ("Tie", Verdict.TIE)),
        marker_regex="(?i)final decision is ",
    ),
    single=None,
)


@registered("critique-compare")
class CritiqueComparisonProtocol(PairwiseOnlyProtocol):
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
