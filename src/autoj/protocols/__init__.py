"""Judge protocols: one module per judge family, each a prompt builder, a parser and an output contract.

`get_protocol(name)` returns one by name:

- `autoj` / `autoj-zh`: Auto-J (English; bilingual 6B in Chinese; the 6B's English prompts are the 13B's)
- `chat`, `chat+criteria`: any instruction-tuned chat model, through its chat template
- `prometheus`: Prometheus 2 (prometheus-eval's current prompts: absolute 1-5, relative A/B)
- `prometheus-legacy`: the older "Feedback:" absolute-grading prompt
- `mtbench`: MT-Bench / GPT-4-class API judges ([[A]] / [[B]] / [[C]], [[rating]])
- `skywork`: Skywork-Critic ([[A]] / [[B]])
- `compassjudger`: CompassJudger ([[A>>B]] ... [[B>>A]])
- `arena-hard`: Arena-Hard-Auto's judge (its own answer first, then [[A>>B]] ... [[B>>A]])
- `con-j`: Con-J (a JSON verdict)
- `judgelm`: JudgeLM ("8 6" first line), `pandalm`: PandaLM ("1" / "2" / "Tie" first line)
- `offsetbias`: OffsetBias ("Output (a)" / "Output (b)")
- `critique-compare`: which of two critiques of one answer is better (Eval-C)
- `*+guard`: the injection guard around autoj, autoj-zh and chat
"""

from __future__ import annotations

from collections.abc import Callable

from autoj.errors import AutojError
from autoj.protocols.base import JudgeProtocol, ProtocolInputError
from autoj.protocols.families.arena_hard import ArenaHardProtocol
from autoj.protocols.families.autoj import AutoJProtocol
from autoj.protocols.families.chat import ChatProtocol
from autoj.protocols.families.criteria import CriteriaChatProtocol
from autoj.protocols.families.critique import CritiqueComparisonProtocol
from autoj.protocols.families.first_line import JudgeLMProtocol, PandaLMProtocol
from autoj.protocols.families.mtbench import MTBenchProtocol
from autoj.protocols.families.offsetbias import OffsetBiasProtocol
from autoj.protocols.families.pairwise_judges import (
    CompassJudgerProtocol,
    ConJProtocol,
    SkyworkCriticProtocol,
)
from autoj.protocols.families.prometheus import PrometheusLegacyProtocol, PrometheusProtocol
from autoj.protocols.sanitize import register_guarded

_FACTORIES: dict[str, Callable[[], JudgeProtocol]] = {
    "autoj": lambda: AutoJProtocol("en"),
    "autoj-zh": lambda: AutoJProtocol("zh"),
    "chat": ChatProtocol,
    "chat+criteria": CriteriaChatProtocol,
    "prometheus": PrometheusProtocol,
    "prometheus-legacy": PrometheusLegacyProtocol,
    "mtbench": MTBenchProtocol,
    "skywork": SkyworkCriticProtocol,
    "compassjudger": CompassJudgerProtocol,
    "arena-hard": ArenaHardProtocol,
    "con-j": ConJProtocol,
    "judgelm": JudgeLMProtocol,
    "pandalm": PandaLMProtocol,
    "offsetbias": OffsetBiasProtocol,
    "critique-compare": CritiqueComparisonProtocol,
}


def register_protocol(name: str, factory: Callable[[], JudgeProtocol]) -> None:
    """Make a protocol available by name (to the CLI, the service and benchmarks)."""
    _FACTORIES[name] = factory


def protocol_names() -> list[str]:
    return sorted(_FACTORIES)


def protocols_using(input_name: str) -> list[str]:
    """The protocols whose templates use an optional item input (`reference_answer`, `rubric`,
    `conversation`), for messages that say which protocol to pick."""
    return [name for name in protocol_names() if input_name in get_protocol(name).inputs]


def get_protocol(name: str) -> JudgeProtocol:
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise AutojError(
            f"unknown protocol {name!r}: known protocols are {', '.join(protocol_names())}"
        ) from None
    return factory()


__all__ = [
    "ArenaHardProtocol",
    "AutoJProtocol",
    "ChatProtocol",
    "CompassJudgerProtocol",
    "ConJProtocol",
    "CriteriaChatProtocol",
    "CritiqueComparisonProtocol",
    "JudgeLMProtocol",
    "JudgeProtocol",
    "MTBenchProtocol",
    "OffsetBiasProtocol",
    "PandaLMProtocol",
    "PrometheusLegacyProtocol",
    "PrometheusProtocol",
    "ProtocolInputError",
    "SkyworkCriticProtocol",
    "get_protocol",
    "protocol_names",
    "protocols_using",
    "register_protocol",
]

# Opt-in injection guard: registers `autoj+guard`, `autoj-zh+guard`, `chat+guard` (see sanitize.py).
register_guarded()
