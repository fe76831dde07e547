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


class SkyworkCriticProtocol(PairwiseOnlyProtocol):
    name = "skywork"
    version = "1"
    contract = OutputContract(
        pairwise=VerdictContract("[[", tuple(SKYWORK_LABELS.items()), suffix="]]", marker=r"\[\["),
        single=None,
    )

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        fields = {"input": item.query, "response_a": item.response_1, "response_b": item.response_2}
        return Prompt(messages=(Message("user", fill(load_template("skywork_critic.txt"), fields)),))

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_bracket_verdict(text, SKYWORK_LABELS, finish_reason)


class CompassJudgerProtocol(PairwiseOnlyProtocol):
    name = "compassjudger"
    version = "1"
    contract = OutputContract(
        pairwise=VerdictContract("[[", tuple(COMPASS_LABELS.items()), suffix="]]", marker=r"\[\["),
        single=None,
    )

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        fields = {"prompt": item.query, "answer_a": item.response_1, "answer_b": item.response_2}
        return Prompt(messages=(Message("user", fill(load_template("compassjudger_pairwise.txt"), fields)),))

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_bracket_verdict(text, COMPASS_LABELS, finish_reason)


_CONJ_KEY = "更好的回答"
_CONJ_REASON = "原因"


def _conj_failed(text: str, reason: str, finish_reason: FinishReason | None) -> Judgment:
    if finish_reason == "length":
        reason += " (the output was cut off at the token limit)"
    return Judgment(kind="pairwise", status="parse_error", raw=text, critique=text.strip(), reason=reason)


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
        return _conj_failed(text, f'no JSON object with "{_CONJ_KEY}" found', finish_reason)
    at, data = objects[-1]
    choice = data[_CONJ_KEY]
    verdicts = dict(CONJ_LABELS)
    if isinstance(choice, bool) or str(choice).strip() not in verdicts:
        return _conj_failed(text, f'"{_CONJ_KEY}" is {choice!r}, not 1 or 2', None)
    reason = data.get(_CONJ_REASON)
    critique = reason.strip() if isinstance(reason, str) else text[:at].strip()
    return Judgment(
        kind="pairwise", status="ok", raw=text, critique=critique, verdict=verdicts[str(choice).strip()]
    )


class ConJProtocol(PairwiseOnlyProtocol):
    name = "con-j"
    version = "1"
    language = "zh"
    contract = OutputContract(
        pairwise=VerdictContract(f'"{_CONJ_KEY}": ', CONJ_LABELS, suffix="}", marker=rf'"{_CONJ_KEY}"\s*:'),
        single=None,
    )

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        fields = {"instruction": item.query, "output_1": item.response_1, "output_2": item.response_2}
        user = fill(load_template("conj.txt"), fields)
        return Prompt(messages=(Message("system", ""), Message("user", user)))

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_conj(text, finish_reason)
