"""OffsetBias (NCSOFT Llama-3-OffsetBias-8B): which of "Output (a)" / "Output (b)" is better.

The prompt is ncsoft/offsetbias `prompt/offsetbias.py`'s user template, filled as its
`make_conversation` does (instruction, output_1, output_2), one user message and no system message
(the module defines none); the model's chat template wraps it. The judge answers with the label
alone, "Output (a)" or "Output (b)": no tie, no reasons, and no single-answer task.

Its authors read a label at the start of a line (one space allowed) and, when both appear, take
(a). Here an answer naming both at line starts is a parse failure: picking (a) would be the very
position bias the judge was trained against.
"""

from __future__ import annotations

import re

from autoj.protocols.base import PairwiseOnlyProtocol, fill, load_template
from autoj.protocols.contract import OutputContract, VerdictContract
from autoj.protocols.parsing import parse_failure
from autoj.protocols.registry import registered
from autoj.types import FinishReason, Judgment, Message, PairItem, Prompt, Verdict

OFFSETBIAS_LABELS = (("a", Verdict.RESPONSE_1), ("b", Verdict.RESPONSE_2))
# The authors' `output_pattern`: a label at the start of the answer or of a line.
_LABEL = re.compile(r"(?:^|\n) ?Output \(([ab])\)")


def parse_offsetbias(text: str, finish_reason: FinishReason | None = None) -> Judgment:
    """The "Output (a)" / "Output (b)" label that opens the answer or one of its lines."""
    answer = text.strip()
    found = {match.group(1): match for match in _LABEL.finditer(answer)}
    if not found:
        return parse_failure("pairwise", text, "no line starts with Output (a) or Output (b)", finish_reason)
    if len(found) > 1:
        return parse_failure("pairwise", text, "both Output (a) and Output (b) start a line", None)
    [(label, match)] = found.items()
    critique = (answer[: match.start()] + answer[match.end() :]).strip()
    return Judgment(
        kind="pairwise", status="ok", raw=text, critique=critique, verdict=dict(OFFSETBIAS_LABELS)[label]
    )


@registered("offsetbias")
class OffsetBiasProtocol(PairwiseOnlyProtocol):
    name = "offsetbias"
    version = "1"
    contract = OutputContract(
        pairwise=VerdictContract(
            "Output (", OFFSETBIAS_LABELS, suffix=")", marker_regex=r"(?:^|\n) ?Output \(", reasons=False
        ),
        single=None,
    )

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        fields = {"input": item.query, "output_1": item.response_1, "output_2": item.response_2}
        return Prompt(messages=(Message("user", fill(load_template("offsetbias_pairwise.txt"), fields)),))

    def parse_pairwise(self, text: str, finish_reason: FinishReason | None = None) -> Judgment:
        return parse_offsetbias(text, finish_reason)
