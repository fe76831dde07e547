"""Micro-batching: requests that arrive close together are judged in one engine call.

The first waiting item opens a short window; everything that arrives within it (up to
`max_batch` items) goes to the engine together, so a batching backend (vLLM, an OpenAI-compatible
server, llama.cpp with several slots) sees many prompts at once instead of one per request.
The number of items waiting or running is bounded: past `max_pending` a submission is refused
(`QueueFull`) instead of queueing without limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from autoj.results import Result
from autoj.types import Item

log = logging.getLogger(__name__)

#: Judges a batch of items in one order setting; returns one Result per item, in order.
RunBatch = Callable[[list[Item], bool], Awaitable[list[Result]]]


class QueueFull(Exception):
    """More items are pending than the service accepts; the client should retry later."""


class JudgeFailed(Exception):
    """The engine raised while judging a batch (the cause is logged, not sent to clients)."""


@dataclass
class _Job:
    item: Item
    both_orders: bool
    future: asyncio.Future[Result]


class MicroBatcher:
    """Collects submitted items into batches and runs them with `run_batch`, one batch at a time."""

    def __init__(self, run_batch: RunBatch, *, window_s: float, max_batch: int, max_pending: int) -> None:
        self._run_batch = run_batch
        self._window_s = window_s
        self._max_batch = max_batch
        self._max_pending = max_pending
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._pending = 0
        self._worker: asyncio.Task[None] | None = None
        self.batches = 0

    @property
    def pending(self) -> int:
        """Items accepted and not yet finished (queued or being judged)."""
        return self._pending

    @property
    def max_pending(self) -> int:
        return self._max_pending

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._work(), name="autoj-batcher")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.future.done():
                job.future.cancel()
        self._pending = 0

    def submit(self, items: Sequence[Item], both_orders: bool) -> list[asyncio.Future[Result]]:
        """Queue all of `items` or none of them (QueueFull) so that a request is never half-done."""
        if self._worker is None:
            raise RuntimeError("the batcher is not running (start() it inside the event loop)")
        if self._pending + len(items) > self._max_pending:
            raise QueueFull(f"{self._pending} items pending, limit {self._max_pending}")
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[Result]] = []
        for item in items:
            future: asyncio.Future[Result] = loop.create_future()
            self._queue.put_nowait(_Job(item, both_orders, future))
            futures.append(future)
        self._pending += len(items)
        return futures

    async def _collect(self) -> list[_Job]:
        """The next batch: the first job, then whatever arrives within the window."""
        jobs = [await self._queue.get()]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._window_s
        while len(jobs) < self._max_batch:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                jobs.append(await asyncio.wait_for(self._queue.get(), remaining))
            except asyncio.TimeoutError:
                break
        while len(jobs) < self._max_batch and not self._queue.empty():
            jobs.append(self._queue.get_nowait())
        return jobs

    async def _work(self) -> None:
        while True:
            jobs = await self._collect()
            live = [job for job in jobs if not job.future.done()]  # a timed-out request's jobs
            self._pending -= len(jobs) - len(live)
            try:
                await asyncio.gather(
                    *(self._run(group, flag) for flag in (False, True) if (group := _with(live, flag)))
                )
            finally:
                self._pending -= len(live)
            self.batches += 1

    async def _run(self, jobs: list[_Job], both_orders: bool) -> None:
        try:
            results = await self._run_batch([job.item for job in jobs], both_orders)
            if len(results) != len(jobs):
                raise RuntimeError(f"{len(results)} results for {len(jobs)} items")
        except Exception as exc:  # one failed batch must not stop the service
            log.exception("judging a batch of %d items failed", len(jobs))
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(JudgeFailed(type(exc).__name__))
            return
        for job, result in zip(jobs, results, strict=True):
            if not job.future.done():
                job.future.set_result(result)


def _with(jobs: list[_Job], both_orders: bool) -> list[_Job]:
    return [job for job in jobs if job.both_orders == both_orders]
