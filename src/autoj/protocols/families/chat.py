"""A generic judge protocol for any instruction-tuned chat model.

Its own prompts, sent as chat messages so the model's chat template applies, asking for the same
final markers as Auto-J ("So, the final decision is ...", "Rating: [[n]]") so one parser serves both.
"""

from __future__ import annotations

from autoj.protocols.base import JudgeProtocol, fill, load_template
from autoj.protocols.contract import OutputContract
from autoj.protocols.families.autoj import CONTRACTS
from autoj.protocols.parsing import (
    ENGLISH_RATING,
    ENGLISH_VERDICT,
    LENIENT_RATING,
    parse_rating,
    parse_verdict,
    rating_stop_pattern,
    verdict_stop_pattern,
)
from autoj.types import FinishReason, Item, Judgment, Message, PairItem, Prompt, SingleItem


class ChatProtocol(JudgeProtocol):
    """Plain chat-model judge: system message + one user message per task."""

    name = "chat"
    version = "1"

    def __init__(self, system: str | None = None) -> None:
        self.system = system if system is not None else load_template("chat_system.txt")
        self._pairwise = load_template("chat_pairwise.txt")
        self._single = load_template("chat_single.txt")

    @property
    def contract(self) -> OutputContract:
        return CONTRACTS["en"]

    def _messages(self, user: str) -> Prompt:
        return Prompt(messages=(Message("system", self.system), Message("user", user)))

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        fields = {"query": item.query, "response_1": item.response_1, "response_2": item.response_2}
        return self._messages(fill(self._pairwise, fields))

    def single_prompt(self, item: SingleItem) -> Prompt:
        return self._messages(fill(self._single, {"query": item.query, "response": item.response}))

    def stop_patterns(self, item: Item) -> tuple[str, ...]:
        # The lenient "Rating: 7" form counts only once its line has ended ("7" may become "7/10").
        if isinstance(item, PairItem):
            return (verdict_stop_pattern(ENGLISH_VERDICT),)
        return (rating_stop_pattern(ENGLISH_RATING), r"(?im)^\W*Rating\s*[:：]\s*\**\s*\d+(?:\.\d+)?[^\n]*\n")

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_verdict(text, (ENGLISH_VERDICT,), finish_reason)

    def parse_single(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_rating(text, (ENGLISH_RATING, LENIENT_RATING), finish_reason)
