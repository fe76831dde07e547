"""Judge protocols: one module per judge family, each a prompt builder, an output contract and,
where its authors parse in their own way, a parser.

`get_protocol(name)` returns one by name; `protocol_names()` lists them (autoj, autoj-zh, chat,
chat+criteria, prometheus, mtbench, arena-hard, skywork, ... and the `+guard` forms). Families register
themselves with `@registered(name)` (see `autoj.protocols.registry`); every module under
`autoj.protocols.families` is imported here, so adding one needs no edit to this file.
"""

from __future__ import annotations

import importlib
import pkgutil

from autoj.protocols import families
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
from autoj.protocols.registry import (
    get_protocol,
    protocol_names,
    protocols_using,
    register_protocol,
    registered,
)

# Each family module registers itself on import; a new module is found without an edit here.
for _module in pkgutil.iter_modules(families.__path__):
    importlib.import_module(f"{families.__name__}.{_module.name}")

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
    "registered",
]
