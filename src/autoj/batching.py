"""Gathering the prompts of concurrently judged items into backend calls of up to `max_batch`.

The engine judges items as separate tasks (one or two prompts each); engines such as vLLM or a
transformers model are fast only when handed many prompts at once. The batcher queues prompts from
all tasks and sends them in batches of equal generation parameters, with at most
`max_concurrency` backend calls in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from autoj.backends.base import Backend
from autoj.types import Completion, GenerationParams, Prompt


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
            self.calls += 1
            try:
                completions = await self.backend.generate([w.prompt for w in batch], batch[0].params)
            except Exception as exc:  # backends return failures as values; this is a bug: raise it
                for waiting in batch:
                    if not waiting.future.done():
                        waiting.future.set_exception(exc)
                return
            for waiting, completion in zip(batch, completions, strict=True):
                if not waiting.future.done():
                    waiting.future.set_result(completion)
        finally:
            self._slots.release()
