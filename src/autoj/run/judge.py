"""The simple Python API: a Judge holds a backend and a protocol and judges items.

Async methods (`acompare`, `arate`, `ajudge_many`) are the real ones; the plain methods run them on
the Judge's own event loop in a private thread, so scripts call them directly and so do notebooks
and async code, where an event loop is already running. Every engine a Judge makes shares one
batcher, so concurrent calls on one Judge reach the backend together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from autoj.backends.base import Backend, UnsupportedFeature, check_request
from autoj.backends.redaction import redact
from autoj.backends.registry import create_backend
from autoj.errors import AutojError
from autoj.io.results import Result
from autoj.judges.config import DEFAULT_JUDGE, PARAM_CHECKS, JudgeConfig
from autoj.protocols import JudgeProtocol, get_protocol
from autoj.protocols.item_inputs import judge_inputs
from autoj.run.batching import SharedBatcher
from autoj.run.cache import CacheOption, JudgmentCache, resolve_cache
from autoj.run.engine import Engine
from autoj.run.ranking import Method, Ranking, rank_items, ranking_of
from autoj.run.session import BackendSession
from autoj.types import Item, PairItem, SingleItem

T = TypeVar("T")


def default_protocol_name(backend: Backend, language: str = "en") -> str:
    """Auto-J's own prompt for Auto-J weights (and the fake judge); the chat protocol otherwise.

    Small general chat models write no verdict when given the raw Auto-J prompt, so they get the
    generic protocol through their chat template.
    """
    model = backend.model_id.lower().replace("-", "").replace("_", "")
    if "autoj" in model or backend.name == "fake":
        return "autoj-zh" if language == "zh" else "autoj"
    return "chat"


def _cache_field(cache: CacheOption) -> bool | str | None:
    """A `cache=` argument as the config's field: a JudgmentCache object stays out of the config."""
    if isinstance(cache, JudgmentCache):
        return None
    return str(cache) if isinstance(cache, Path) else cache


class Judge(BackendSession):
    """A judge: `Judge("llamacpp")`, `Judge("openai:MODEL@URL")`, `Judge("fake")`, a judge file
    (`Judge("my-judge.yaml")`), a catalog name, a `JudgeConfig`, or a ready Backend.

    Keyword arguments change the config they are given with, as `JudgeConfig.with_changes` does
    (None leaves a setting as it is): a field (`both_orders=True`, `stop_early=False`), a decoding
    setting (`max_new_tokens=64`) or a backend option (`n_ctx=4096`). The cache is on by default, as
    on the command line (`autoj.judges.config.DEFAULT_CACHE`): finished generations are kept in the
    default cache file, so asking again costs a lookup; `cache=False` turns it off and a path or a
    JudgmentCache picks another file. A ready Backend gets no cache unless asked: an object's
    outputs can depend on state its identity does not show.
    """

    _loop_name = "autoj-judge"

    def __init__(
        self,
        judge: JudgeConfig | str | Backend = DEFAULT_JUDGE,
        protocol: str | JudgeProtocol | None = None,
        cache: CacheOption = None,
        **settings: Any,
    ) -> None:
        ready: Backend | None = None
        if isinstance(judge, Backend):
            known = {*JudgeConfig.model_fields, *PARAM_CHECKS} - {"options"}
            stray = sorted(set(settings) - known)
            if stray:
                raise AutojError(
                    f"backend options ({', '.join(stray)}) apply to a backend spec, not to a ready Backend"
                )
            ready, base = judge, JudgeConfig(judge=judge.name, cache=False, source="backend")
        else:
            base = JudgeConfig.load(judge)
        self.config: JudgeConfig = base.with_changes(
            protocol=protocol.name if isinstance(protocol, JudgeProtocol) else protocol,  # recorded
            cache=_cache_field(cache),
            **settings,
        )
        config = self.config
        self.spec = redact(config.judge)  # how the judge is named in records and answers
        self.backend = ready or create_backend(config.judge, **config.options)
        if isinstance(protocol, JudgeProtocol):
            self.protocol = protocol
        else:
            self.protocol = get_protocol(
                config.protocol or default_protocol_name(self.backend, config.language)
            )
        self.params = config.params
        try:  # a feature the backend would not honour is refused now, not at the first call
            check_request(self.backend, self.params)
        except UnsupportedFeature as exc:
            raise UnsupportedFeature(f"judge config ({config.source}) params: {exc}") from None
        if config.constrain and "grammar" not in self.backend.capabilities:
            raise UnsupportedFeature(
                f"judge config ({config.source}) constrain: the {self.backend.name} backend takes no "
                "grammar; turn constrain off (--no-constrain) or pick one that takes one (llamacpp, vllm)"
            )
        self.both_orders = config.both_orders
        self.concurrency = config.concurrency
        super().__init__(
            self.backend, resolve_cache(cache if isinstance(cache, JudgmentCache) else config.cache)
        )
        self._batcher = SharedBatcher(self.backend)

    def engine(self, both_orders: bool | None = None) -> Engine:
        """An Engine for this judge (streaming, concurrency, resumable runs); all share one batcher."""
        return Engine(
            self.backend,
            self.protocol,
            self.params,
            both_orders=self.both_orders if both_orders is None else both_orders,
            concurrency=self.concurrency,
            judge_spec=self.spec,
            cache=self.cache,
            stop_early=self.config.stop_early,
            constrain=self.config.constrain,
            batcher=self._batcher,
        )

    async def acompare(
        self,
        query: str,
        response_1: str,
        response_2: str,
        both_orders: bool | None = None,
        **inputs: Any,
    ) -> Result:
        """Async `compare`; calls made together share backend batches."""
        item = PairItem(query, response_1, response_2, id="1", **judge_inputs(**inputs))
        return await self.engine(both_orders).judge(item)

    async def arate(self, query: str, response: str, **inputs: Any) -> Result:
        """Async `rate`; calls made together share backend batches."""
        return await self.engine().judge(SingleItem(query, response, id="1", **judge_inputs(**inputs)))

    async def ajudge_many(self, items: Iterable[Item], both_orders: bool | None = None) -> list[Result]:
        """Judge pairs and/or single items concurrently; results in the order of the items."""
        return await self.engine(both_orders).run(items)

    def compare(
        self,
        query: str,
        response_1: str,
        response_2: str,
        both_orders: bool | None = None,
        **inputs: Any,
    ) -> Result:
        """Which of two responses is better (or a tie), with the judge's reasons.

        `inputs` are the optional judge inputs (`reference_answer`, `rubric`, `conversation`: see
        `autoj.protocols.item_inputs.judge_inputs`); a protocol that cannot use one refuses it.
        """
        return self.run(self.acompare(query, response_1, response_2, both_orders, **inputs))

    def rate(self, query: str, response: str, **inputs: Any) -> Result:
        """A critique and a rating of one response (optional judge inputs as for `compare`)."""
        return self.run(self.arate(query, response, **inputs))

    def compare_many(self, items: Sequence[PairItem], both_orders: bool | None = None) -> list[Result]:
        """Compare many pairs concurrently, batched for the backend; results in the items' order."""
        return self.run(self.ajudge_many(items, both_orders))

    def judge_many(self, items: Iterable[Item], both_orders: bool | None = None) -> list[Result]:
        """Judge pairs and/or single items concurrently; results in the order of the items."""
        return self.run(self.ajudge_many(items, both_orders))

    def rate_many(self, items: Sequence[SingleItem]) -> list[Result]:
        """Rate many responses concurrently, batched for the backend; results in the items' order."""
        return self.run(self.ajudge_many(items))

    async def arank(self, query: str, candidates: Sequence[str], method: Method = "pairwise") -> Ranking:
        """Async `rank`."""
        items = rank_items(method, query, candidates)
        # Pairs always run in both orders: a verdict that follows the position is a tie.
        results = await self.engine(both_orders=True).run(items)
        return ranking_of(method, len(candidates), results)

    def rank(self, query: str, candidates: Sequence[str], method: Method = "pairwise") -> Ranking:
        """Order N candidate responses best first: a both-orders pairwise tournament (every pair,
        wins plus half the ties), or `method="rate"` by ratings (Best-of-N); see autoj.run.ranking."""
        return self.run(self.arank(query, candidates, method))
