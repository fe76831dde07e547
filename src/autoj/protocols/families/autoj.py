"""The Auto-J protocol (GAIR), byte for byte, so the released weights work unchanged.

English (autoj-13b and its GPTQ quant) and Chinese (autoj-bilingual-6b): `[INST] {message} [/INST]`
raw text, no system message; `pairwise_tie` and `single` messages from the shipped templates.
"""

from __future__ import annotations

from autoj.protocols.base import JudgeProtocol, fill, load_template
from autoj.protocols.contract import OutputContract, RatingContract, VerdictContract
from autoj.protocols.parsing import (
    CHINESE_RATING,
    CHINESE_VERDICT,
    ENGLISH_RATING,
    ENGLISH_VERDICT,
    parse_rating,
    parse_verdict,
    rating_stop_pattern,
    verdict_stop_pattern,
)
from autoj.types import FinishReason, Item, Judgment, PairItem, Prompt, SingleItem, Verdict

#: Auto-J's answers; the parsers also accept the variants in parsing.py (last marker wins).
CONTRACTS = {
    "en": OutputContract(
        pairwise=VerdictContract(
            "So, the final decision is ",
            (("Response 1", Verdict.RESPONSE_1), ("Response 2", Verdict.RESPONSE_2), ("Tie", Verdict.TIE)),
            suffix=".",
            marker="(?i)final decision is ",
            aliases=(("a tie", Verdict.TIE),),
        ),
        single=RatingContract("Rating: [[", 1, 10, suffix="]]", marker=r"\[\["),
    ),
    "zh": OutputContract(
        pairwise=VerdictContract(
            "所以，最终决定是",
            (("回应1", Verdict.RESPONSE_1), ("回应2", Verdict.RESPONSE_2), ("平局", Verdict.TIE)),
            suffix="。",
            marker="最终决定是",
        ),
        single=RatingContract("评分：[[", 1, 10, suffix="]]", marker=r"\[\["),
    ),
}


def llama2_wrap(user_message: str) -> str:
    """The chat wrapper Auto-J was trained with (the tokenizer adds BOS)."""
    return f"[INST] {user_message} [/INST]"


class AutoJProtocol(JudgeProtocol):
    """Auto-J's own prompts; parses the English and, for the bilingual model, Chinese markers."""

    version = "1"

    def __init__(self, language: str = "en") -> None:
        if language not in ("en", "zh"):
            raise ValueError(f"Auto-J speaks 'en' or 'zh', not {language!r}")
        self.language = language
        self.name = "autoj" if language == "en" else "autoj-zh"
        prefix = "autoj" if language == "en" else "autoj_zh"
        self._pairwise = load_template(f"{prefix}_pairwise_tie.txt")
        self._single = load_template(f"{prefix}_single.txt")
        # Accept both languages' markers: the bilingual model sometimes answers in the other one.
        english_first = language == "en"
        self._verdicts = (
            (ENGLISH_VERDICT, CHINESE_VERDICT) if english_first else (CHINESE_VERDICT, ENGLISH_VERDICT)
        )
        self._ratings = (ENGLISH_RATING, CHINESE_RATING)

    @property
    def contract(self) -> OutputContract:
        return CONTRACTS[self.language]

    def pairwise_message(self, item: PairItem) -> str:
        """The user message of `pairwise_tie` (without the wrapper)."""
        fields = {"query": item.query, "response_1": item.response_1, "response_2": item.response_2}
        return fill(self._pairwise, fields)

    def single_message(self, item: SingleItem) -> str:
        """The user message of `single` (without the wrapper)."""
        return fill(self._single, {"query": item.query, "response": item.response})

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        return Prompt(text=llama2_wrap(self.pairwise_message(item)))

    def single_prompt(self, item: SingleItem) -> Prompt:
        return Prompt(text=llama2_wrap(self.single_message(item)))

    def stop_patterns(self, item: Item) -> tuple[str, ...]:
        if isinstance(item, PairItem):
            return tuple(verdict_stop_pattern(markers) for markers in self._verdicts)
        return tuple(rating_stop_pattern(markers) for markers in self._ratings)

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_verdict(text, self._verdicts, finish_reason)

    def parse_single(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_rating(text, self._ratings, finish_reason)
