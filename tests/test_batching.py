"""The prompt batcher: many item tasks, few backend calls, each answer back to its own prompt."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from autoj.backends.fake import FakeBackend
from autoj.batching import PromptBatcher
from autoj.engine import Engine
from autoj.protocols import get_protocol
from autoj.types import Completion, GenerationParams, PairItem, Prompt


class Recording(FakeBackend):
    """Echoes each prompt's text and records the size of every call."""

    def __init__(self, max_batch: int, max_concurrency: int = 1) -> None:
        super().__init__(script=lambda p: f"echo:{p.render()}")
        self.max_batch = max_batch
        self.max_concurrency = max_concurrency
        self.sizes: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        self.sizes.append(len(prompts))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        return await super().generate(prompts, params)


def test_concurrent_requests_share_calls_and_get_their_own_answers() -> None:
    backend = Recording(max_batch=16, max_concurrency=2)

    async def main() -> list[list[Completion]]:
        batcher = PromptBatcher(backend)
        asks = [[Prompt(text=f"q{n}a"), Prompt(text=f"q{n}b")] for n in range(40)]
        return await asyncio.gather(*(batcher.generate(a, GenerationParams()) for a in asks))

    answers = asyncio.run(main())
    assert [[c.text for c in pair] for pair in answers] == [[f"echo:q{n}a", f"echo:q{n}b"] for n in range(40)]
    assert sum(backend.sizes) == 80 and max(backend.sizes) == 16 and len(backend.sizes) == 5
    assert backend.most_in_flight == 2


def test_different_generation_params_never_share_a_call() -> None:
    backend = Recording(max_batch=64)
    seen: list[tuple[int, ...]] = []

    async def generate(prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        seen.append(tuple(sorted({params.max_new_tokens})))
        return [Completion(text=str(params.max_new_tokens)) for _ in prompts]

    backend.generate = generate  # type: ignore[method-assign]

    async def main() -> list[list[Completion]]:
        batcher = PromptBatcher(backend)
        return await asyncio.gather(
            *(
                batcher.generate([Prompt(text=str(n))], GenerationParams(max_new_tokens=8 + n % 2))
                for n in range(10)
            )
        )

    answers = asyncio.run(main())
    assert [a[0].text for a in answers] == [str(8 + n % 2) for n in range(10)]
    assert sorted(seen) == [(8,), (9,)]


def test_a_raising_backend_fails_the_run_instead_of_hanging() -> None:
    class Broken(FakeBackend):
        async def generate(self, prompts, params):  # type: ignore[no-untyped-def]
            raise RuntimeError("engine crashed")

    async def main() -> None:
        await asyncio.wait_for(PromptBatcher(Broken()).generate([Prompt(text="x")], GenerationParams()), 5)

    with pytest.raises(RuntimeError, match="engine crashed"):
        asyncio.run(main())


def test_the_engine_hands_a_batching_backend_many_prompts_per_call() -> None:
    backend = Recording(max_batch=32)
    items = [PairItem(f"q{n}", "a", "b", id=str(n)) for n in range(48)]
    engine = Engine(backend, get_protocol("autoj"), both_orders=True)
    results = asyncio.run(engine.run(items))
    assert [r.id for r in results] == [str(n) for n in range(48)]
    assert all(f"[Query]: q{n}\n" in r.judgment.raw for n, r in enumerate(results))
    assert sum(backend.sizes) == 96 and max(backend.sizes) == 32 and len(backend.sizes) <= 4
