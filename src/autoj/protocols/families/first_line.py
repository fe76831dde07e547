"""Judges whose verdict opens the answer, on a line of its own, with the reasons after it.

- `judgelm` (JudgeLM, baaivision/JudgeLM judgelm/llm_judge/common.py `conv_judge_pair` and
  `conv_judge_pair_w_reference`): raw text `system + "\\n" + template + "### Response:"`; the
  first line holds the two assistants' scores 1-10 ("8 6", a comma allowed as in its parser),
  the explanation follows. The higher score wins; equal scores are a tie (its threshold 0).
- `pandalm` (PandaLM, WeOpenML/PandaLM pandalm/utils/pandalm_inference.py `build_pandalm_prompt`):
  raw text ending "### Evaluation:\\n", both responses stripped and cleared of special-token
  strings as its builder does; the answer's first line is "1", "2" or "Tie", then "### Reason:".
  Its own parser maps an unreadable first line to a tie; here that is a parse failure.
"""

from __future__ import annotations

import re

from autoj.protocols.base import PairwiseOnlyProtocol, fill, load_template
from autoj.protocols.contract import OutputContract, ScorePairContract, VerdictContract
from autoj.protocols.parsing import parse_failure
from autoj.protocols.registry import registered
from autoj.types import FinishReason, Judgment, PairItem, Prompt, Verdict

# PandaLM's builder removes these strings from each response (its `pattern`).
_SPECIAL_TOKENS = re.compile(
    r"<unk>|<pad>|<s>|</s>|\[PAD\]|<\|endoftext\|>|\[UNK\]|\[CLS\]|\[MASK\]|<\|startofpiece\|>"
    r"|<\|endofpiece\|>|\[gMASK\]|\[sMASK\]"
)
PANDALM_LABELS = (("1", Verdict.RESPONSE_1), ("2", Verdict.RESPONSE_2), ("Tie", Verdict.TIE))


def _head_and_rest(text: str) -> tuple[str, str]:
    head, _, rest = text.strip().partition("\n")
    return head.strip(), rest.strip()


def parse_judgelm(
    text: str, low: float = 1, high: float = 10, finish_reason: FinishReason | None = None
) -> Judgment:
    """Two scores on the first line ("8 6" or "8,6"), one per response, each in range."""
    head, rest = _head_and_rest(text)
    parts = head.replace(",", " ").split()
    try:
        first, second = (float(part) for part in parts)
    except ValueError:
        return parse_failure(
            "pairwise", text, f"the first line is not two scores: {head[:40]!r}", finish_reason
        )
    outside = [score for score in (first, second) if not low <= score <= high]
    if outside:
        return parse_failure("pairwise", text, f"score {outside[0]:g} is outside {low:g}-{high:g}", None)
    verdict = Verdict.TIE if first == second else Verdict.RESPONSE_1 if first > second else Verdict.RESPONSE_2
    return Judgment(
        kind="pairwise", status="ok", raw=text, critique=rest, verdict=verdict, scores=(first, second)
    )


def parse_pandalm(text: str, finish_reason: FinishReason | None = None) -> Judgment:
    """ "1", "2" or "Tie" alone on the first line; the "### Reason:" after it is the critique."""
    head, rest = _head_and_rest(text)
    verdicts = {label.lower(): verdict for label, verdict in PANDALM_LABELS}
    verdict = verdicts.get(head.lower())
    if verdict is None:
        return parse_failure(
            "pairwise", text, f"the first line is not 1, 2 or Tie: {head[:40]!r}", finish_reason
        )
    critique = rest.removeprefix("### Reason:").split("\n\n### Reference:")[0].strip()
    return Judgment(kind="pairwise", status="ok", raw=text, critique=critique, verdict=verdict)


@registered("judgelm")
class JudgeLMProtocol(PairwiseOnlyProtocol):
    """JudgeLM's pairwise judge, with or without a reference answer."""

    name = "judgelm"
    version = "1"
    contract = OutputContract(pairwise=ScorePairContract(1, 10), single=None)
    inputs = frozenset({"reference_answer"})

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        fields = {
            "question": item.query,
            "answer_1": item.response_1,
            "answer_2": item.response_2,
            "prompt": load_template("judgelm_prompt.txt"),
        }
        name = "judgelm_pair.txt"
        if item.reference_answer is not None:
            fields["reference"] = item.reference_answer
            name = "judgelm_pair_reference.txt"
        body = fill(load_template(name), fields)
        return Prompt(text=load_template("judgelm_system.txt") + "\n" + body + "### Response:")

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_judgelm(text, 1, 10, finish_reason)


def pandalm_response(text: str) -> str:
    """A response as PandaLM's builder puts it into the prompt."""
    return _SPECIAL_TOKENS.sub("", text.strip()).strip()


@registered("pandalm")
class PandaLMProtocol(PairwiseOnlyProtocol):
    """PandaLM's pairwise judge (no separate Input: the query is the whole instruction)."""

    name = "pandalm"
    version = "1"
    contract = OutputContract(
        pairwise=VerdictContract("", PANDALM_LABELS, first_line=True, marker_regex=r"\A"), single=None
    )

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        fields = {
            "instruction": item.query,
            "resp1": pandalm_response(item.response_1),
            "resp2": pandalm_response(item.response_2),
        }
        return Prompt(text=fill(load_template("pandalm.txt"), fields))

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_pandalm(text, finish_reason)
