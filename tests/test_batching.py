"""The prompt batcher: many item tasks, few backend calls, each answer back to its own prompt."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from autoj.backends.fake import FakeBackend
from autoj.io.results import Result
from autoj.protocols import get_protocol
from autoj.run.batching import PromptBatcher, SharedBatcher
from autoj.run.engine import Engine
from autoj.run.judge import Judge
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


def test_16_concurrent_acompare_calls_on_one_judge_reach_the_backend_in_at_most_2_calls() -> None:
    backend = Recording(max_batch=16, max_concurrency=2)
    judge = Judge(backend, cache=False)

    async def main() -> list[Result]:
        return await asyncio.gather(*(judge.acompare(f"q{n}", f"a{n}", f"b{n}") for n in range(16)))

    results = asyncio.run(main())
    assert [f"[Query]: q{n}\n" in r.judgment.raw for n, r in enumerate(results)] == [True] * 16
    assert len(backend.sizes) <= 2 and sum(backend.sizes) == 16, backend.sizes
    # both orders: 32 prompts, still the fewest calls the batch size allows
    backend.sizes.clear()

    async def both() -> list[Result]:
        return await asyncio.gather(
            *(judge.acompare(f"q{n}", f"a{n}", f"b{n}", both_orders=True) for n in range(16))
        )

    assert all(r.swapped is not None for r in asyncio.run(both()))
    assert backend.sizes == [16, 16]


def test_the_sync_api_shares_one_batcher_across_threads() -> None:
    backend = Recording(max_batch=16)
    judge = Judge(backend, cache=False)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: judge.rate(f"q{n}", f"r{n}"), range(8)))
    judge.close()
    assert [f"[Query]: q{n}\n" in r.judgment.raw for n, r in enumerate(results)] == [True] * 8
    assert len(backend.sizes) < 8, backend.sizes  # calls from separate threads coalesced


def test_a_batch_that_raises_is_retried_one_by_one_so_only_the_bad_prompt_fails() -> None:
    class BreaksOnPoison(Recording):
        async def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
            if any("poison" in p.render() for p in prompts):
                self.sizes.append(len(prompts))
                raise RuntimeError("backend bug")
            return await super().generate(prompts, params)

    backend = BreaksOnPoison(max_batch=8)

    async def main() -> list[list[Completion] | BaseException]:
        batcher = PromptBatcher(backend)
        asks = [[Prompt(text="poison" if n == 3 else f"p{n}")] for n in range(6)]
        return await asyncio.gather(
            *(batcher.generate(a, GenerationParams()) for a in asks), return_exceptions=True
        )

    outcomes = asyncio.run(main())
    assert isinstance(outcomes[3], RuntimeError)
    assert [o[0].text for n, o in enumerate(outcomes) if n != 3] == [  # type: ignore[index]
        f"echo:p{n}" for n in range(6) if n != 3
    ]
    assert backend.sizes == [6, 1, 1, 1, 1, 1, 1]  # the batch, then each prompt alone


def test_a_backend_returning_too_few_completions_fails_its_callers_instead_of_hanging() -> None:
    class Short(FakeBackend):
        async def generate(self, prompts, params):  # type: ignore[no-untyped-def]
            return []

    async def main() -> None:
        await asyncio.wait_for(PromptBatcher(Short()).generate([Prompt(text="x")], GenerationParams()), 5)

    with pytest.raises(RuntimeError, match="0 completions for 1"):
        asyncio.run(main())


def test_engines_given_one_shared_batcher_coalesce_and_each_loop_gets_its_own() -> None:
    backend = Recording(max_batch=32)
    shared = SharedBatcher(backend)
    protocol = get_protocol("autoj")

    async def main() -> tuple[PromptBatcher, list[Result]]:
        engines = [Engine(backend, protocol, batcher=shared) for _ in range(10)]
        items = [PairItem(f"q{n}", "a", "b", id=str(n)) for n in range(10)]
        results = await asyncio.gather(*(e.judge(i) for e, i in zip(engines, items, strict=True)))
        return shared.current(), list(results)

    first, results = asyncio.run(main())
    assert len(results) == 10 and backend.sizes == [10]
    second, _ = asyncio.run(main())
    assert second is not first  # a new loop, a new batcher (futures belong to one loop)
    with pytest.raises(ValueError, match="another backend"):
        Engine(FakeBackend(), protocol, batcher=shared)
