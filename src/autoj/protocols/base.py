"""The seam between judge families: a protocol builds prompts and parses outputs, nothing else."""

from __future__ import annotations

import abc
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources

from autoj.types import FinishReason, Item, Judgment, PairItem, Prompt, SingleItem

_PLACEHOLDER = re.compile(r"\{(query|response|response_1|response_2)\}")


@cache
def load_template(name: str) -> str:
    """A prompt template shipped with the package (one trailing newline, if any, is not part of it)."""
    text = resources.files("autoj.protocols").joinpath("templates", name).read_text(encoding="utf-8")
    return text[:-1] if text.endswith("\n") else text


def fill(template: str, fields: Mapping[str, str]) -> str:
    """Put the fields into the template in one pass, so braces inside judged text stay literal."""
    return _PLACEHOLDER.sub(lambda m: fields[m.group(1)], template)


class JudgeProtocol(abc.ABC):
    """One judge family's prompt format and output format."""

    name: str
    version: str
    language: str = "en"

    @abc.abstractmethod
    def pairwise_prompt(self, item: PairItem) -> Prompt:
        """The prompt that asks for a comparison of the item's two responses."""

    @abc.abstractmethod
    def single_prompt(self, item: SingleItem) -> Prompt:
        """The prompt that asks for a critique and a rating of the item's response."""

    @abc.abstractmethod
    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        """Read a comparison's verdict."""

    @abc.abstractmethod
    def parse_single(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        """Read a critique's rating."""

    def stop_patterns(self, item: Item) -> tuple[str, ...]:
        """Regexes matching a complete final verdict / rating line, to stop generating there.

        None by default: a protocol whose answer ends with its verdict line overrides this.
        """
        return ()

    def prompt(self, item: Item) -> Prompt:
        if isinstance(item, PairItem):
            return self.pairwise_prompt(item)
        return self.single_prompt(item)

    def parse(self, item: Item, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        if isinstance(item, PairItem):
            return self.parse_pairwise(text, finish_reason)
        return self.parse_single(text, finish_reason)

    @property
    def id(self) -> str:
        """Name and version, as recorded in every result and in cache keys."""
        return f"{self.name}@{self.version}"
