"""Bounded concurrency over a stream of work: at most N tasks in flight, results as they finish.

Judging (`Engine.stream`) and generation (`autoj.run.generation`) both pull their items lazily
through here, so a run over a large file holds only the items in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


async def as_finished(
    work: Callable[[T], Awaitable[R]], items: Iterable[T], concurrency: int
) -> AsyncGenerator[R, None]:
    """`work(item)` for every item, at most `concurrency` at once, yielded in the order they finish.

    An exception (a model that does not load) stops the run once the finished results are out;
    every failed task's exception is read, so none is reported twice. Leaving early cancels the rest.
    """
    iterator = iter(items)
    pending: set[asyncio.Task[R]] = set()
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < concurrency:
                try:
                    item = next(iterator)
                except StopIteration:
                    exhausted = True
                    break
                pending.add(asyncio.ensure_future(work(item)))
            if not pending:
                return
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            failed = [task.exception() for task in done]
            for task, error in zip(done, failed, strict=True):
                if error is None:
                    yield task.result()
            for error in failed:
                if error is not None:
                    raise error
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
