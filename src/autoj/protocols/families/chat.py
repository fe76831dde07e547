"""A generic judge protocol for any instruction-tuned chat model.

Its own prompts, sent as chat messages so the model's chat template applies, asking for the same
final markers as Auto-J ("So, the final decision is ...", "Rating: [[n]]") so one parser serves both.
"""

from __future__ import annotations

from autoj.protocols.autoj_format import ENGLISH_RATING, ENGLISH_VERDICT, LENIENT_RATING
from autoj.protocols.base import JudgeProtocol, fill, load_template
from autoj.protocols.contract import OutputContract
from autoj.protocols.registry import registered
from autoj.types import Message, PairItem, Prompt, SingleItem

#: Auto-J's English lines; a rating without its brackets is read too, on a line of its own.
CONTRACT = OutputContract(pairwise=ENGLISH_VERDICT, single=ENGLISH_RATING, single_variants=(LENIENT_RATING,))


@registered("chat", guard=True)
class ChatProtocol(JudgeProtocol):
    """Plain chat-model judge: system message + one user message per task."""

    name = "chat"
    version = "1"
    contract = CONTRACT

    def __init__(self, system: str | None = None) -> None:
        self.system = system if system is not None else load_template("chat_system.txt")
        self._pairwise = load_template("chat_pairwise.txt")
        self._single = load_template("chat_single.txt")

    def _messages(self, user: str) -> Prompt:
        return Prompt(messages=(Message("system", self.system), Message("user", user)))

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        fields = {"query": item.query, "response_1": item.response_1, "response_2": item.response_2}
        return self._messages(fill(self._pairwise, fields))

    def single_prompt(self, item: SingleItem) -> Prompt:
        return self._messages(fill(self._single, {"query": item.query, "response": item.response}))
