"""The seam between judge families: a protocol builds prompts and parses outputs, nothing else."""

from __future__ import annotations

import abc
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, replace
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from autoj.errors import AutojError
from autoj.io.readers import unstorable
from autoj.protocols.contract import Contract, OutputContract, RatingContract, VerdictContract
from autoj.protocols.parsing import parse_rating, parse_verdict
from autoj.protocols.verdict_scores import expected_rating, grammar, stop_pattern, verdict_probabilities
from autoj.types import (
    Completion,
    FinishReason,
    Item,
    Judgment,
    Message,
    PairItem,
    Prompt,
    Rubric,
    SingleItem,
    TaskKind,
    Verdict,
)

_Form = TypeVar("_Form", VerdictContract, RatingContract)

#: The optional item inputs a protocol may use (see PairItem / SingleItem).
OPTIONAL_INPUTS = ("reference_answer", "rubric", "conversation")


class ProtocolInputError(AutojError):
    """An item cannot be prompted: it carries an input its protocol cannot use, lacks one it needs,
    or holds a value that is not text (NaN, a lone surrogate, a number); found before any call."""


def given_inputs(item: Item) -> list[str]:
    """The optional inputs an item carries."""
    return [name for name in OPTIONAL_INPUTS if getattr(item, name)]


def bad_value(item: Item) -> tuple[str, str] | None:
    """(field, why) for the first value of an item built in Python that no judge could take, or None.

    Files are checked as they are read; an item made in code gets the same checks (the file
    reader's `unstorable`) plus the types a file's text fields already have.
    """
    texts = ("query", "response_1", "response_2") if isinstance(item, PairItem) else ("query", "response")
    for name in (*texts, "id"):
        value = getattr(item, name)
        if not isinstance(value, str):
            return name, f"expected text, got {type(value).__name__} {value!r:.40}"
    for name in ("scenario", "reference_answer"):
        value = getattr(item, name)
        if value is not None and not isinstance(value, str):
            return name, f"expected text or None, got {type(value).__name__} {value!r:.40}"
    expected: dict[str, tuple[type, ...]] = {"rubric": (Rubric,)}
    if isinstance(item, PairItem):
        expected["label"] = (Verdict,)
    else:
        score = item.reference_score
        if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
            return "reference_score", f"expected a number or None, got {type(score).__name__}"
        if isinstance(score, float) and not math.isfinite(score):
            return "reference_score", f"{score!r} is not a score: use None or a number"
    for name, types in expected.items():
        value = getattr(item, name)
        if value is not None and not isinstance(value, types):
            return name, f"expected {types[0].__name__} or None, got {type(value).__name__}"
    for n, message in enumerate(item.conversation):
        if not isinstance(message, Message) or not isinstance(message.content, str):
            return f"conversation[{n}]", "expected a Message with text content"
    values: dict[str, Any] = {
        name: getattr(item, name) for name in (*texts, "id", "scenario", "reference_answer")
    }
    values["meta"] = dict(item.meta)
    values["rubric"] = item.rubric.to_dict() if item.rubric is not None else None
    values["conversation"] = [asdict(message) for message in item.conversation]
    bad = unstorable(values)
    return None if bad is None else (bad[0] or "item", bad[1])


@cache
def load_template(name: str) -> str:
    """A prompt template shipped with the package (one trailing newline, if any, is not part of it)."""
    text = resources.files("autoj.protocols").joinpath("templates", name).read_text(encoding="utf-8")
    return text[:-1] if text.endswith("\n") else text


def fill(template: str, fields: Mapping[str, str]) -> str:
    """Put the fields into the template's `{name}` slots in one pass, so braces inside judged text
    (and slots the fields do not name, such as JSON examples) stay literal."""
    slots = re.compile(r"\{(" + "|".join(re.escape(name) for name in fields) + r")\}")
    return slots.sub(lambda m: fields[m.group(1)], template)


class JudgeProtocol(abc.ABC):
    """One judge family's prompt format and output format.

    A family declares its `contract` (the answer formats) and its prompts; parsing, stop
    patterns, grammars and probability read-outs follow from the contract unless a family's
    authors parse in their own way (then it overrides `parse_pairwise` / `parse_single`). What
    other code needs to know about a protocol is declared here: the optional item inputs it
    uses (`inputs`) and which scenarios it can prompt with (`scenario_problem`).
    """

    name: str
    version: str
    language: str = "en"
    #: The answer formats; grammars, stop patterns and verdict probabilities derive from them.
    contract: OutputContract
    #: The optional item inputs its templates use; an item carrying any other is refused.
    inputs: frozenset[str] = frozenset()

    @abc.abstractmethod
    def pairwise_prompt(self, item: PairItem) -> Prompt:
        """The prompt that asks for a comparison of the item's two responses."""

    @abc.abstractmethod
    def single_prompt(self, item: SingleItem) -> Prompt:
        """The prompt that asks for a critique and a rating of the item's response."""

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        """Read a comparison's verdict: the last marker of any accepted verdict form."""
        return parse_verdict(text, self._forms("pairwise", VerdictContract), finish_reason)

    def parse_single(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        """Read a critique's rating: the last complete rating of any accepted form."""
        return parse_rating(text, self._forms("single", RatingContract), finish_reason)

    def _forms(self, kind: TaskKind, shape: type[_Form]) -> tuple[_Form, ...]:
        """The accepted forms of a task's answer, when the generic parser reads them."""
        forms = self.contract.forms(kind)
        if not forms:
            raise ProtocolInputError(f"the {self.name} protocol has no {kind} task")
        readable = tuple(form for form in forms if isinstance(form, shape))
        if len(readable) != len(forms):
            raise NotImplementedError(f"{type(self).__name__} must parse its {kind} answers itself")
        return readable

    def scenario_problem(self, scenario: str) -> str | None:
        """Why an item's scenario cannot be prompted with (None: any scenario will do)."""
        return None

    def rubric_for(self, item: Item) -> Rubric | None:
        """The rubric this protocol grades `item` against: the item's own, or the default a family
        falls back to (reports show it beside the judgment); None when the protocol uses none."""
        return item.rubric if "rubric" in self.inputs else None

    def contract_for(self, item: Item) -> Contract:
        """The answer format for this item's task; an error for a task the family does not do."""
        kind = "pairwise" if isinstance(item, PairItem) else "single"
        contract = self.contract.pairwise if kind == "pairwise" else self.contract.single
        if contract is None:
            raise ProtocolInputError(f"the {self.name} protocol has no {kind} task")
        return contract

    def check_item(self, item: Item) -> None:
        """Refuse an item that holds a value no judge can take, or optional inputs this protocol
        would otherwise drop."""
        bad = bad_value(item)
        if bad is not None:
            raise ProtocolInputError(f"item {item.id or '(no id)'} field {bad[0]!r}: {bad[1]}")
        unused = [name for name in given_inputs(item) if name not in self.inputs]
        if unused:
            usable = ", ".join(sorted(self.inputs)) or "none of them"
            raise ProtocolInputError(
                f"item {item.id or '(no id)'}: the {self.name} protocol cannot use "
                f"{' and '.join(unused)} (it uses {usable}); drop the field or pick a protocol that uses it"
            )

    def check_items(self, items: Iterable[Item]) -> None:
        """`check_item` for a whole run, before its first model call."""
        for item in items:
            self.check_item(item)

    def stop_patterns(self, item: Item) -> tuple[str, ...]:
        """Regexes matching a complete final verdict / rating line of any accepted form, to stop
        generating there."""
        kind: TaskKind = "pairwise" if isinstance(item, PairItem) else "single"
        self.contract_for(item)
        patterns = (stop_pattern(form) for form in self.contract.forms(kind))
        return tuple(dict.fromkeys(p for p in patterns if p is not None))

    def grammar(self, item: Item) -> str:
        """The GBNF grammar of a well-formed answer for this item's task."""
        return grammar(self.contract_for(item))

    def prompt(self, item: Item) -> Prompt:
        """The item's prompt, carrying the answer format it asks for."""
        self.check_item(item)
        prompt = self.pairwise_prompt(item) if isinstance(item, PairItem) else self.single_prompt(item)
        return replace(prompt, answer_format=self.contract_for(item))

    def parse(self, item: Item, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        if isinstance(item, PairItem):
            return self.parse_pairwise(text, finish_reason)
        return self.parse_single(text, finish_reason)

    def read(self, item: Item, completion: Completion) -> Judgment:
        """The judgment in a completion: its parse, plus the verdict probabilities or expected
        rating the judge's own token log-probabilities give, when the backend returned them."""
        judgment = self.parse(item, completion.text, completion.finish_reason)
        if not completion.logprobs:
            return judgment
        contract = self.contract_for(item)
        if isinstance(item, PairItem):
            return replace(judgment, verdict_probs=verdict_probabilities(completion.logprobs, contract))
        return replace(judgment, expected_rating=expected_rating(completion.logprobs, contract))

    @property
    def id(self) -> str:
        """Name and version, as recorded in every result and in cache keys."""
        return f"{self.name}@{self.version}"


class PairwiseOnlyProtocol(JudgeProtocol):
    """A family that only compares two responses: single items are refused before any call."""

    def single_prompt(self, item: SingleItem) -> Prompt:
        raise ProtocolInputError(f"the {self.name} protocol compares two responses; it gives no ratings")

    def parse_single(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        raise ProtocolInputError(f"the {self.name} protocol gives no ratings")
