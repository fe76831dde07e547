"""Runs items through a protocol and a backend: bounded concurrency, both orders, context cuts.

Items are pulled lazily and results are yielded as each item finishes, so a run over a large file
holds only the items in flight, and the caller can stream results to disk.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import aclosing
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from autoj.backends.base import Backend
from autoj.io.results import Result
from autoj.protocols.base import JudgeProtocol
from autoj.run.batching import PromptBatcher, SharedBatcher
from autoj.run.cache import JudgmentCache, cache_key
from autoj.run.streaming import as_finished
from autoj.run.truncation import fit_item
from autoj.types import (
    Completion,
    GenerationParams,
    Item,
    Judgment,
    PairItem,
    Prompt,
    TaskKind,
    check_item_types,
)
from autoj.version import __version__

# Tokens kept free besides the generation budget, for the BOS token and template differences.
CONTEXT_MARGIN = 16


def prompt_hash(prompt: Prompt) -> str:
    return hashlib.sha256(prompt.render().encode("utf-8")).hexdigest()


def _judgment_of(protocol: JudgeProtocol, item: Item, completion: Completion) -> Judgment:
    """A failed call is a backend error; anything the judge wrote is for the protocol to read."""
    if completion.error is not None:
        kind: TaskKind = "pairwise" if isinstance(item, PairItem) else "single"
        return Judgment(kind=kind, status="backend_error", raw="", reason=completion.error)
    return protocol.read(item, completion)


@dataclass
class RunStats:
    """Running totals of one engine run, for progress lines and benchmark figures."""

    items: int = 0
    generations: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    failures: int = 0
    cache_hits: int = 0
    started: float = 0.0

    def elapsed(self) -> float:
        return time.perf_counter() - self.started if self.started else 0.0


class Engine:
    """Judges items with one protocol on one backend.

    `both_orders` judges each pair as given and swapped (deterministically: every pair, always the
    same swap), maps the second verdict back and records both. With a `cache`, each prompt is
    looked up first and only the missing ones reach the backend; successful generations are stored.
    `batcher` is shared with other engines on the same backend (a Judge gives all of its engines
    one), so that items judged by separate engines at once still reach the backend together.
    `stop_early` asks the backend to stop once the verdict / rating line is complete (the
    protocol's stop patterns); `constrain` adds a grammar so the output must end with a valid one.
    With `params.logprobs`, judgments carry verdict probabilities / an expected rating.
    """

    def __init__(
        self,
        backend: Backend,
        protocol: JudgeProtocol,
        params: GenerationParams | None = None,
        both_orders: bool = False,
        concurrency: int | None = None,
        judge_spec: str = "",
        cache: JudgmentCache | None = None,
        stop_early: bool = True,
        constrain: bool = False,
        batcher: SharedBatcher | None = None,
    ) -> None:
        self.backend = backend
        self.protocol = protocol
        self.params = params or GenerationParams()
        self.both_orders = both_orders
        # Enough items in flight to fill the backend's batches (vLLM wants hundreds of prompts).
        self.concurrency = max(1, concurrency or max(backend.max_concurrency, backend.max_batch))
        self.judge_spec = judge_spec or backend.name
        self.cache = cache
        self.stop_early = stop_early
        self.constrain = constrain
        self.stats = RunStats()
        if batcher is not None and batcher.backend is not backend:
            raise ValueError("the shared batcher belongs to another backend")
        self.batcher = batcher or SharedBatcher(backend)

    def setup(self) -> dict[str, Any]:
        """What identifies this run's judge: everything that decides a judgment, and the spec.

        Results files record it on every line, and a resume with a different one is refused.
        `judge` (the spec as written) is descriptive: `fake` and `fake:delay=1` make the same
        judgments; the backend's identity (model, file sha256, revision, server) is what counts.
        Concurrency and the cache change how fast a run goes, never its results, so are left out.
        """
        return {
            "judge": self.judge_spec,
            "backend": self.backend.identity(),
            "protocol": self.protocol.id,
            "both_orders": self.both_orders,
            "params": self.params.to_dict(),
            "stop_early": self.stop_early,
            "constrain": self.constrain,
        }

    def _batched(self) -> PromptBatcher:
        """The prompt batcher of the running event loop (the sync API may use several loops)."""
        return self.batcher.current()

    def _budget(self) -> int | None:
        window = self.backend.context_window
        if window is None:
            return None
        return window - self.params.max_new_tokens - CONTEXT_MARGIN

    def _fit(self, item: Item) -> tuple[Item, dict[str, int] | None]:
        budget = self._budget()
        if budget is None:
            return item, None
        return fit_item(item, self.protocol.prompt, self.backend.count_tokens, budget)

    def _prompts(self, item: Item) -> tuple[list[Prompt], Item | None]:
        """The item's prompt, and the swapped item and its prompt when both orders run."""
        prompts = [self.protocol.prompt(item)]
        if self.both_orders and isinstance(item, PairItem):
            swapped = item.swapped()
            return [*prompts, self.protocol.prompt(swapped)], swapped
        return prompts, None

    async def judge(self, item: Item) -> Result:
        """One item, in one or both orders."""
        started = time.perf_counter()
        params = self._params_for(item)
        # An item judged before without a cut is served from the cache before anything is
        # tokenized: a finished evaluation re-runs without loading the model at all.
        prompts, swapped_item = self._prompts(item)
        found = self._lookup(prompts, params)
        if all(completion is not None for completion in found):
            completions = [c for c in found if c is not None]
            return self._result(
                item, item, swapped_item, prompts, completions, None, started, params, len(prompts)
            )
        try:
            fitted, cut = self._fit(item)
        except ValueError as exc:
            failed = Judgment(
                kind="pairwise" if isinstance(item, PairItem) else "single",
                status="backend_error",
                raw="",
                reason=f"input does not fit the judge's context: {exc}",
            )
            result = Result(item=item, judgment=failed, provenance=self._provenance([], [], None, 0.0))
            self._count(result, [])
            return result
        if cut is not None:
            prompts, swapped_item = self._prompts(fitted)
            found = self._lookup(prompts, params)
        completions, hits = await self._generate(prompts, params, found)
        return self._result(item, fitted, swapped_item, prompts, completions, cut, started, params, hits)

    def _result(
        self,
        item: Item,
        fitted: Item,
        swapped_item: Item | None,
        prompts: list[Prompt],
        completions: list[Completion],
        cut: dict[str, int] | None,
        started: float,
        params: GenerationParams,
        hits: int,
    ) -> Result:
        self.stats.cache_hits += hits
        judgment = _judgment_of(self.protocol, fitted, completions[0])
        swapped = _judgment_of(self.protocol, swapped_item, completions[1]) if swapped_item else None
        elapsed = time.perf_counter() - started
        result = Result(
            item=item,
            judgment=judgment,
            swapped=swapped,
            provenance=self._provenance(prompts, completions, cut, elapsed, params),
        )
        self._count(result, completions)
        return result

    def _keys(self, prompts: list[Prompt], params: GenerationParams) -> list[str]:
        identity = self.backend.identity()
        return [cache_key(identity, self.protocol.id, prompt, params) for prompt in prompts]

    def _lookup(self, prompts: list[Prompt], params: GenerationParams) -> list[Completion | None]:
        """Each prompt's cached completion, None where there is none (all None without a cache)."""
        if self.cache is None:
            return [None] * len(prompts)
        return self.cache.get_many(self._keys(prompts, params))

    def _params_for(self, item: Item) -> GenerationParams:
        """The run's params plus this item kind's stop patterns and grammar, when asked for."""
        params = self.params
        if self.stop_early and not params.stop_patterns and "stop_patterns" in self.backend.capabilities:
            params = replace(params, stop_patterns=self.protocol.stop_patterns(item))
        if self.constrain and params.grammar is None:
            params = replace(params, grammar=self.protocol.grammar(item))
        return params

    async def _generate(
        self, prompts: list[Prompt], params: GenerationParams, found: list[Completion | None]
    ) -> tuple[list[Completion], int]:
        """Completions for the prompts, generating those `found` lacks, and the cache hits."""
        missing = [n for n, completion in enumerate(found) if completion is None]
        if missing:
            fresh = await self._batched().generate([prompts[n] for n in missing], params)
            if self.cache is not None:
                keys = self._keys(prompts, params)
                stored = [(keys[n], c) for n, c in zip(missing, fresh, strict=True)]
                self.cache.put_many(stored, self.backend.identity(), self.protocol.id)
            found = list(found)
            for n, completion in zip(missing, fresh, strict=True):
                found[n] = completion
        completions = [c for c in found if c is not None]
        return completions, len(prompts) - len(missing)

    def _count(self, result: Result, completions: list[Completion]) -> None:
        self.stats.items += 1
        self.stats.generations += len(completions)
        self.stats.prompt_tokens += sum(c.prompt_tokens for c in completions)
        self.stats.completion_tokens += sum(c.completion_tokens for c in completions)
        self.stats.failures += 0 if result.ok else 1

    def _provenance(
        self,
        prompts: list[Prompt],
        completions: list[Completion],
        cut: dict[str, int] | None,
        elapsed: float,
        params: GenerationParams | None = None,
    ) -> dict[str, Any]:
        return {
            "judge": self.judge_spec,
            **self.backend.identity(),
            "protocol": self.protocol.id,
            "setup": self.setup(),
            "prompt_sha256": [prompt_hash(p) for p in prompts],
            "params": (params or self.params).to_dict(),
            "prompt_tokens": [c.prompt_tokens for c in completions],
            "completion_tokens": [c.completion_tokens for c in completions],
            "finish_reasons": [c.finish_reason for c in completions],
            "truncated": cut,
            "elapsed_s": round(elapsed, 4),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "autoj": __version__,
        }

    async def stream(self, items: Iterable[Item]) -> AsyncIterator[Result]:
        """Results in the order they finish; at most `concurrency` items are in flight."""
        self.stats = replace(RunStats(), started=time.perf_counter())
        async with aclosing(as_finished(self.judge, items, self.concurrency)) as results:
            async for result in results:
                yield result

    async def run(self, items: Iterable[Item]) -> list[Result]:
        """All results, in the order of the items."""
        materialised = list(items)
        check_item_types(materialised)
        self.protocol.check_items(materialised)
        order = {id(item): n for n, item in enumerate(materialised)}
        results = [r async for r in self.stream(materialised)]
        return sorted(results, key=lambda r: order[id(r.item)])
