"""autoj: generative LLM judges in the Auto-J protocol and others.

from autoj import Judge
judge = Judge("llamacpp")            # the embedded CPU model; "openai:MODEL@URL", "fake", a judge
                                     # file ("my-judge.yaml"), a catalog name, or a JudgeConfig
result = judge.compare(query, response_1, response_2)
print(result.verdict, result.critique)
"""

from autoj.backends import Backend, FakeBackend, create_backend
from autoj.errors import AutojError, InputError, MissingExtraError
from autoj.io.frames import results_frame
from autoj.io.results import Result, ResultsWriter, read_results
from autoj.judges.config import JudgeConfig
from autoj.protocols import JudgeProtocol, get_protocol
from autoj.run.engine import Engine
from autoj.run.judge import Judge
from autoj.run.ranking import Ranking
from autoj.types import (
    Completion,
    GenerationParams,
    Judgment,
    PairItem,
    Prompt,
    SingleItem,
    Verdict,
)
from autoj.version import __version__

__all__ = [
    "AutojError",
    "Backend",
    "Completion",
    "Engine",
    "FakeBackend",
    "GenerationParams",
    "InputError",
    "Judge",
    "JudgeConfig",
    "JudgeProtocol",
    "Judgment",
    "MissingExtraError",
    "PairItem",
    "Prompt",
    "Ranking",
    "Result",
    "ResultsWriter",
    "SingleItem",
    "Verdict",
    "__version__",
    "create_backend",
    "get_protocol",
    "read_results",
    "results_frame",
]
