"""The Auto-J protocol (GAIR), byte for byte, so the released weights work unchanged.

English (autoj-13b and its GPTQ quant) and Chinese (autoj-bilingual-6b): `[INST] {message} [/INST]`
raw text, no system message; `pairwise_tie` and `single` messages from the shipped templates.
"""

from __future__ import annotations

from autoj.protocols.autoj_format import (
    CHINESE_RATING,
    CHINESE_VERDICT,
    ENGLISH_RATING,
    ENGLISH_VERDICT,
)
from autoj.protocols.base import JudgeProtocol, fill, load_template
from autoj.protocols.contract import OutputContract
from autoj.protocols.registry import registered
from autoj.types import PairItem, Prompt, SingleItem

#: Auto-J's answers. The bilingual model sometimes answers in the other language: both
#: languages' verdicts and ratings are read (the last marker wins), each language's generated.
CONTRACTS = {
    "en": OutputContract(
        pairwise=ENGLISH_VERDICT,
        single=ENGLISH_RATING,
        pairwise_variants=(CHINESE_VERDICT,),
        single_variants=(CHINESE_RATING,),
    ),
    "zh": OutputContract(
        pairwise=CHINESE_VERDICT,
        single=CHINESE_RATING,
        pairwise_variants=(ENGLISH_VERDICT,),
        single_variants=(ENGLISH_RATING,),
    ),
}


def llama2_wrap(user_message: str) -> str:
    """The chat wrapper Auto-J was trained with (the tokenizer adds BOS)."""
    return f"[INST] {user_message} [/INST]"


@registered("autoj", guard=True, language="en")
@registered("autoj-zh", guard=True, language="zh")
class AutoJProtocol(JudgeProtocol):
    """Auto-J's own prompts; parses the English and, for the bilingual model, Chinese markers."""

    version = "1"

    def __init__(self, language: str = "en") -> None:
        if language not in ("en", "zh"):
            raise ValueError(f"Auto-J speaks 'en' or 'zh', not {language!r}")
        self.language = language
        self.name = "autoj" if language == "en" else "autoj-zh"
        self.contract = CONTRACTS[language]
        prefix = "autoj" if language == "en" else "autoj_zh"
        self._pairwise = load_template(f"{prefix}_pairwise_tie.txt")
        self._single = load_template(f"{prefix}_single.txt")

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
