"""Pairwise-only judge families, each byte for byte to its authors' prompt.

- `skywork` (Skywork-Critic): one user message, verdict `[[A]]` / `[[B]]`, no tie. The template
  is the one ScalerLab/JudgeBench runs Skywork-Critic with (utils/templates), as rendered there.
- `compassjudger` (CompassJudger, as JudgeBench runs it): one user message asking for its own
  answer first and a final label `[[A>>B]]` / `[[A>B]]` / `[[A=B]]` / `[[B>A]]` / `[[B>>A]]`;
  the strength of a preference is not kept, only its side.
- `con-j` (Con-J, the JSON-verdict family): its Chinese prompt (README usage and training
  preprocessing agree), an empty system message as in its usage, and a JSON answer
  `{"原因": "...", "更好的回答": 1 | 2}`, no tie.
"""

from __future__ import annotations

import json
import re
from typing import Any

from autoj.protocols.base import PairwiseOnlyProtocol, fill, load_template
from autoj.protocols.bracket import parse_bracket_verdict
from autoj.protocols.contract import OutputContract, VerdictContract
from autoj.protocols.parsing import parse_failure
from autoj.protocols.registry import registered
from autoj.types import FinishReason, Judgment, Message, PairItem, Prompt, Verdict

SKYWORK_LABELS = {"A": Verdict.RESPONSE_1, "B": Verdict.RESPONSE_2}
COMPASS_LABELS = {
    "A>>B": Verdict.RESPONSE_1,
    "A>B": Verdict.RESPONSE_1,
    "A=B": Verdict.TIE,
    "B>A": Verdict.RESPONSE_2,
    "B>>A": Verdict.RESPONSE_2,
}
CONJ_LABELS = (("1", Verdict.RESPONSE_1), ("2", Verdict.RESPONSE_2))


def bracket_contract(labels: dict[str, Verdict]) -> OutputContract:
    """A verdict written as `[[label]]`, one of `labels`."""
    verdicts = VerdictContract("[[", tuple(labels.items()), suffix="]]", marker_regex=r"\[\[")
    return OutputContract(pairwise=verdicts, single=None)


class BracketVerdictProtocol(PairwiseOnlyProtocol):
    """A judge whose prompt is one user message, its authors' template filled with the query and
    the two responses, and whose verdict is the last `[[label]]` of its label set.

    A family declares its template, the template's names for the query and the two responses
    (`slots`), and its labels; the contract follows from the labels (`bracket_contract`).
    """

    template: str
    slots: tuple[str, str, str]
    labels: dict[str, Verdict]

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        query, first, second = self.slots
        fields = {query: item.query, first: item.response_1, second: item.response_2}
        return Prompt(messages=(Message("user", fill(load_template(self.template), fields)),))

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_bracket_verdict(text, self.labels, finish_reason)


@registered("skywork")
class SkyworkCriticProtocol(BracketVerdictProtocol):
    name = "skywork"
    version = "1"
    template = "skywork_critic.txt"
    slots = ("input", "response_a", "response_b")
    labels = SKYWORK_LABELS
    contract = bracket_contract(SKYWORK_LABELS)


@registered("compassjudger")
class CompassJudgerProtocol(BracketVerdictProtocol):
    name = "compassjudger"
    version = "1"
    template = "compassjudger_pairwise.txt"
    slots = ("prompt", "answer_a", "answer_b")
    labels = COMPASS_LABELS
    contract = bracket_contract(COMPASS_LABELS)


_CONJ_KEY = "更好的回答"
_CONJ_REASON = "原因"


def _json_objects(text: str) -> list[tuple[int, dict[str, Any]]]:
    """(offset, object) of every JSON object in the text (the reasons may hold braces of their own)."""
    decoder = json.JSONDecoder()
    found: list[tuple[int, dict[str, Any]]] = []
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            found.append((match.start(), value))
    return found


def parse_conj(text: str, finish_reason: FinishReason | None = None) -> Judgment:
    """The last JSON object naming "更好的回答": 1 or 2; its "原因" is the critique."""
    objects = [(at, data) for at, data in _json_objects(text) if _CONJ_KEY in data]
    if not objects:
        return parse_failure("pairwise", text, f'no JSON object with "{_CONJ_KEY}" found', finish_reason)
    at, data = objects[-1]
    choice = data[_CONJ_KEY]
    verdicts = dict(CONJ_LABELS)
    if isinstance(choice, bool) or str(choice).strip() not in verdicts:
        return parse_failure("pairwise", text, f'"{_CONJ_KEY}" is {choice!r}, not 1 or 2', None)
    reason = data.get(_CONJ_REASON)
    critique = reason.strip() if isinstance(reason, str) else text[:at].strip()
    return Judgment(
        kind="pairwise", status="ok", raw=text, critique=critique, verdict=verdicts[str(choice).strip()]
    )


@registered("con-j")
class ConJProtocol(PairwiseOnlyProtocol):
    name = "con-j"
    version = "1"
    language = "zh"
    contract = OutputContract(
        pairwise=VerdictContract(
            f'"{_CONJ_KEY}": ',
            CONJ_LABELS,
            suffix="}",
            marker_regex=rf'"{_CONJ_KEY}"\s*:',
            opening=f'{{"{_CONJ_REASON}": "两个回答的准确性不同。", ',
        ),
        single=None,
    )

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        fields = {"instruction": item.query, "output_1": item.response_1, "output_2": item.response_2}
        user = fill(load_template("conj.txt"), fields)
        return Prompt(messages=(Message("system", ""), Message("user", user)))

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_conj(text, finish_reason)
