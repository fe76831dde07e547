"""The `llm` classifier mode: the Auto-J authors' classifier prompt sent through any backend.

For users who run GAIR's 13B scenario classifier (or any model prompted the same way). The
prompt is sent as raw text, with no chat wrapper, byte for byte as the authors' code builds it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

from autoj.backends.base import Backend
from autoj.scenarios._prediction import ClassificationFailure, ScenarioPrediction
from autoj.scenarios._taxonomy import SCENARIOS, UnknownScenarioError, normalize_scenario
from autoj.types import Completion, GenerationParams, Prompt

CLASSIFIER_PROMPT = (
    "Identify the scenario for the user's query, output 'default' if you are uncertain.\n"
    "Query:\n{query}\nScenario:\n"
)
DEFAULT_PARAMS = GenerationParams(max_new_tokens=16, temperature=0.0, stop=("\n",))
MAX_QUERY_CHARS = 10_000
"""Queries longer than this lose their middle (joined with "..."), as the authors' code did,
so prompt + answer stay inside a 4,096-token context."""

LLMResult = ScenarioPrediction | ClassificationFailure


class ScenarioAnswer:
    """The classifier's answer format: a bare scenario name (a dry run answers `others`)."""

    def example(self, pick: int) -> str:
        return "others"


SCENARIO_ANSWER = ScenarioAnswer()


def cut_middle(query: str, max_chars: int = MAX_QUERY_CHARS) -> str:
    """Keep the head and tail of an over-long query; both usually say what the user wants."""
    if len(query) <= max_chars:
        return query
    half = max_chars // 2
    return f"{query[:half]}...{query[-half:]}"


def build_classifier_prompt(query: str, max_chars: int = MAX_QUERY_CHARS) -> Prompt:
    """The authors' prompt for one query, as raw text."""
    return Prompt(
        text=CLASSIFIER_PROMPT.format(query=cut_middle(query, max_chars)), answer_format=SCENARIO_ANSWER
    )


def parse_scenario_output(text: str) -> str | ClassificationFailure:
    """The scenario named by a bare-name answer (`default` -> `others`; retired labels fold into
    `others`); anything else is a failure with the raw text, never a guess."""
    lines = text.strip().splitlines()
    if not lines:
        return ClassificationFailure(raw=text, reason="empty output")
    label = lines[0].strip().strip("\"'`.").strip()
    try:
        return normalize_scenario(label, map_retired=True)
    except UnknownScenarioError:
        return ClassificationFailure(raw=text, reason=f"not a scenario name: {label[:80]!r}")


def _confidence(completion: Completion) -> float | None:
    """Probability of the generated answer from its token logprobs, when the backend gave them."""
    if not completion.logprobs:
        return None
    return math.exp(sum(t.logprob for t in completion.logprobs if t.token.strip()))


class LLMClassifier:
    """Classify queries by prompting a model through an autoj backend."""

    def __init__(
        self,
        backend: Backend,
        params: GenerationParams = DEFAULT_PARAMS,
        max_query_chars: int = MAX_QUERY_CHARS,
    ) -> None:
        self.backend = backend
        self.params = params
        self.max_query_chars = max_query_chars

    async def apredict(self, queries: Sequence[str]) -> list[LLMResult]:
        """One result per query, in order; failures are values, not exceptions."""
        prompts = [build_classifier_prompt(q, self.max_query_chars) for q in queries]
        step = max(1, self.backend.max_batch)
        batches = [prompts[i : i + step] for i in range(0, len(prompts), step)]
        limit = asyncio.Semaphore(max(1, self.backend.max_concurrency))

        async def run(batch: list[Prompt]) -> list[Completion]:
            async with limit:
                return await self.backend.generate(batch, self.params)

        done = await asyncio.gather(*(run(batch) for batch in batches))
        return [self._result(c) for completions in done for c in completions]

    def predict(self, queries: Sequence[str]) -> list[LLMResult]:
        """Blocking form of `apredict` for scripts (not inside a running event loop)."""
        return asyncio.run(self.apredict(queries))

    @staticmethod
    def _result(completion: Completion) -> LLMResult:
        if completion.error is not None:
            return ClassificationFailure(raw=completion.text, reason=completion.error, status="backend_error")
        parsed = parse_scenario_output(completion.text)
        if isinstance(parsed, ClassificationFailure):
            return parsed
        return ScenarioPrediction(parsed, SCENARIOS[parsed].group, _confidence(completion))
