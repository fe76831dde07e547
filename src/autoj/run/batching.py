"""Gathering the prompts of concurrently judged items into backend calls of up to `max_batch`.

The engine judges items as separate tasks (one or two prompts each); engines such as vLLM or a
transformers model are fast only when handed many prompts at once. The batcher queues prompts from
all tasks and sends them in batches of equal generation parameters, with at most
`max_concurrency` backend calls in flight. It is the one batching layer: a `SharedBatcher` gives
every engine of a Judge (one per call of `acompare`, one per service request, ...) the same
batcher for the running event loop, so concurrent calls coalesce into few backend calls.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from autoj.backends.base import Backend
from autoj.types import Completion, GenerationParams, Prompt

log = logging.getLogger(__name__)


@dataclass
class _Waiting:
    prompt: Prompt
    params: GenerationParams
    future: asyncio.Future[Completion]


class PromptBatcher:
    """Batches prompts for one backend within one event loop."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.max_batch = max(1, backend.max_batch)
        self._slots = asyncio.Semaphore(max(1, backend.max_concurrency))
        self._queue: list[_Waiting] = []
        self._draining = False
        self._running: set[asyncio.Task[None]] = set()
        #: backend calls made, retries of a failed batch's prompts one by one included
        self.calls = 0

    async def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        """Completions for `prompts`, generated together with whatever else is waiting."""
        loop = asyncio.get_running_loop()
        waiting = [_Waiting(prompt, params, loop.create_future()) for prompt in prompts]
        self._queue.extend(waiting)
        if not self._draining:
            self._draining = True
            # Start on the next turn of the loop, so tasks started together share the first batch.
            loop.call_soon(self._start_drain)
        return list(await asyncio.gather(*(w.future for w in waiting)))

    def _start_drain(self) -> None:
        task = asyncio.ensure_future(self._drain())
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def _take_batch(self) -> list[_Waiting]:
        """Up to `max_batch` queued prompts with the head's parameters, in queue order."""
        self._queue = [w for w in self._queue if not w.future.done()]  # drop cancelled items
        if not self._queue:
            return []
        params = self._queue[0].params
        batch: list[_Waiting] = []
        rest: list[_Waiting] = []
        for waiting in self._queue:
            if len(batch) < self.max_batch and waiting.params == params:
                batch.append(waiting)
            else:
                rest.append(waiting)
        self._queue = rest
        return batch

    async def _drain(self) -> None:
        try:
            while self._queue:
                await self._slots.acquire()
                if not self._queue:
                    self._slots.release()
                    break
                batch = self._take_batch()
                if not batch:
                    self._slots.release()
                    break
                task = asyncio.ensure_future(self._run(batch))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
                await asyncio.sleep(0)  # let the call start; more prompts may arrive meanwhile
        finally:
            self._draining = False
            if self._queue:  # prompts queued while the loop was finishing
                self._draining = True
                asyncio.get_running_loop().call_soon(self._start_drain)

    async def _run(self, batch: list[_Waiting]) -> None:
        try:
            try:
                completions = await self._call(batch)
            except Exception as exc:  # backends return failures as values; this is a bug
                if len(batch) == 1:
                    _fail(batch[0], exc)
                    return
                # The batch mixes prompts of unrelated callers: find the one that breaks the
                # backend, so that only its caller sees the error.
                log.warning("a batch of %d prompts failed (%s); retrying them one by one", len(batch), exc)
                for waiting in batch:
                    if waiting.future.done():
                        continue
                    try:
                        [completion] = await self._call([waiting])
                    except Exception as one:
                        _fail(waiting, one)
                    else:
                        _settle(waiting, completion)
                return
            for waiting, completion in zip(batch, completions, strict=True):
                _settle(waiting, completion)
        finally:
            self._slots.release()

    async def _call(self, batch: list[_Waiting]) -> list[Completion]:
        self.calls += 1
        completions = await self.backend.generate([w.prompt for w in batch], batch[0].params)
        if len(completions) != len(batch):
            raise RuntimeError(
                f"{self.backend.name} returned {len(completions)} completions for {len(batch)}"
            )
        return completions


def _settle(waiting: _Waiting, completion: Completion) -> None:
    if not waiting.future.done():  # its caller may have given up (a timeout, a cancelled run)
        waiting.future.set_result(completion)


def _fail(waiting: _Waiting, exc: Exception) -> None:
    if not waiting.future.done():
        waiting.future.set_exception(exc)


class SharedBatcher:
    """One PromptBatcher per event loop for one backend, shared by every engine handed this object.

    A batcher's queue and futures belong to one loop; the sync API and `asyncio.run` may use
    several loops over a Judge's life, so each running loop gets its own (closed loops are dropped).
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._by_loop: dict[asyncio.AbstractEventLoop, PromptBatcher] = {}

    def current(self) -> PromptBatcher:
        """The batcher of the running event loop, made on first use."""
        loop = asyncio.get_running_loop()
        batcher = self._by_loop.get(loop)
        if batcher is None:
            self._by_loop = {other: b for other, b in self._by_loop.items() if not other.is_closed()}
            batcher = self._by_loop[loop] = PromptBatcher(self.backend)
        return batcher
