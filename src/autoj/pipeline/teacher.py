"""Stage 4, teacher judgments: each sample judged once by a teacher model, guided by criteria.

The teacher sees the scenario's criteria in a system message and the plain Auto-J user message,
and answers in the Auto-J output formats (key factors + final decision; critique + rating), so
that its judgments parse with Auto-J's parsers and can become training targets verbatim.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from autoj.judges.config import JudgeConfig
from autoj.pipeline.scenario_support import criteria_text
from autoj.protocols.base import JudgeProtocol
from autoj.protocols.families.autoj import AutoJProtocol
from autoj.run.judge import Judge
from autoj.types import Item, Message, PairItem, Prompt, SingleItem

# Dry runs estimate tokens from characters: ~4 characters per token for English BPE vocabularies.
CHARS_PER_TOKEN = 4.0


def _template(name: str) -> str:
    text = resources.files("autoj.pipeline").joinpath("templates", name).read_text(encoding="utf-8")
    return text.rstrip("\n")


def teacher_system(kind: str, scenario: str | None) -> str:
    """The system message: the scenario's criteria plus the instruction to look beyond them."""
    criteria = criteria_text(scenario) or _template("teacher_no_criteria.txt")
    template = _template(f"teacher_{kind}_system.txt")
    return template.replace("{scenario}", scenario or "unknown").replace("{criteria}", criteria)


class TeacherProtocol(JudgeProtocol):
    """Criteria-guided Auto-J prompts for a chat teacher; parsed with Auto-J's own parsers."""

    name = "autoj-teacher"
    version = "1"

    def __init__(self, language: str = "en") -> None:
        self.language = language
        self._autoj = AutoJProtocol(language)
        # Auto-J's answer formats: the teacher is asked for them and parsed by them (Auto-J's
        # parser already refuses a copied "Response 1 / Response 2 / Tie" format line).
        self.contract = self._autoj.contract

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        return Prompt(
            messages=(
                Message("system", teacher_system("pairwise", item.scenario)),
                Message("user", self._autoj.pairwise_message(item)),
            )
        )

    def single_prompt(self, item: SingleItem) -> Prompt:
        return Prompt(
            messages=(
                Message("system", teacher_system("single", item.scenario)),
                Message("user", self._autoj.single_message(item)),
            )
        )


@dataclass(frozen=True)
class TokenEstimate:
    """Tokens a teacher run will cost: prompt tokens estimated, completion tokens bounded."""

    samples: int
    prompt_tokens: int
    completion_tokens_max: int
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "prompt_tokens_est": self.prompt_tokens,
            "completion_tokens_max": self.completion_tokens_max,
            "total_tokens_max": self.prompt_tokens + self.completion_tokens_max,
            "method": self.method,
        }


def estimate_tokens(
    protocol: JudgeProtocol, samples: Sequence[Item], max_new_tokens: int, count: Any = None
) -> TokenEstimate:
    """What a run over `samples` costs before it is made; `count(text)` overrides the heuristic."""
    if count is None:
        total = sum(math.ceil(len(protocol.prompt(s).render()) / CHARS_PER_TOKEN) for s in samples)
        method = f"{CHARS_PER_TOKEN:g} characters per token"
    else:
        total = sum(int(count(protocol.prompt(s).render())) for s in samples)
        method = "the teacher's tokenizer"
    return TokenEstimate(len(samples), total, len(samples) * max_new_tokens, method)


def teacher_judge(judge: JudgeConfig | str) -> Judge:
    """A Judge that asks `judge` (a config, spec, judge file or catalog name: any backend) for
    criteria-guided Auto-J-format judgments, in the config's language; its protocol is replaced."""
    config = JudgeConfig.load(judge)
    return Judge(config, protocol=TeacherProtocol(config.language))
