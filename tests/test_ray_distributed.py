"""Ray Data execution gives the same judgments as the local engine (2 local CPU workers)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from autoj.backends.fake import FakeBackend
from autoj.protocols import get_protocol
from autoj.run.engine import Engine
from autoj.types import PairItem, SingleItem

ray = pytest.importorskip("ray")

from autoj.distributed import run_with_ray  # noqa: E402

VOLATILE = {"elapsed_s", "finished_at"}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def stable(record: dict) -> dict:  # type: ignore[type-arg]
    record = dict(record)
    record["provenance"] = {k: v for k, v in record["provenance"].items() if k not in VOLATILE}
    return record


def test_ray_run_matches_the_local_run(local_ray: None) -> None:
    items = [PairItem(f"query {n}", f"a{n}", f"b{n}", id=f"p{n}") for n in range(24)]
    items += [SingleItem(f"query {n}", f"r{n}", id=f"s{n}") for n in range(6)]
    local = asyncio.run(
        Engine(FakeBackend(seed=2), get_protocol("autoj"), both_orders=True, judge_spec="fake:2").run(items)
    )
    remote = run_with_ray(items, "fake:2", protocol="autoj", both_orders=True, num_workers=2, batch_size=4)
    assert [r.id for r in remote] == [i.id for i in items]
    assert [stable(r.to_dict()) for r in remote] == [stable(r.to_dict()) for r in local]
    assert {r.status for r in remote} == {"ok"}


@pytest.mark.model
def test_ray_run_of_the_embedded_model_matches_the_local_run(local_ray: None) -> None:
    """Two actors, each with its own embedded model: the same texts as one local process, given the
    deterministic mode and the same thread count on both sides."""
    from autoj import Judge
    from autoj.types import GenerationParams

    items = [
        PairItem("What is the capital of France?", "Paris.", "Lyon.", id="a"),
        PairItem("Add 2 and 3.", "5", "6", id="b"),
        PairItem("Name a primary colour.", "Blue.", "Green is primary.", id="c"),
        PairItem("Translate 'cat' to Spanish.", "gato", "perro", id="d"),
    ]
    params = GenerationParams(max_new_tokens=32)
    options = {"n_threads": 1, "deterministic": True}
    judge = Judge("llamacpp", params=params, cache=False, **options)
    local = judge.compare_many(items)
    judge.close()
    remote = run_with_ray(
        items, "llamacpp", params=params, num_workers=2, batch_size=2, cache=False, **options
    )
    assert [r.id for r in remote] == [i.id for i in items]
    assert [r.judgment.raw for r in remote] == [r.judgment.raw for r in local]
    assert [r.verdict for r in remote] == [r.verdict for r in local]
    assert all(r.judgment.raw for r in remote)


def test_ray_generation_matches_the_local_run(local_ray: None) -> None:
    """The model under test answers on two actors: the same records, in order, as one process."""
    from autoj.data.benchmarks import BenchmarkInstruction
    from autoj.distributed import generate_with_ray
    from autoj.run.generation import Generator

    instructions = [BenchmarkInstruction(f"i{n}", [f"question {n}"]) for n in range(10)]
    instructions += [BenchmarkInstruction(f"m{n}", [f"first {n}", f"then {n}"], "writing") for n in range(4)]
    with Generator(FakeBackend(seed=2), spec="fake:2", dataset="mine") as generator:
        local = generator.run(generator.answer_all(instructions))
    remote = generate_with_ray(
        instructions, "fake:2", dataset="mine", num_workers=2, batch_size=4, cache=False
    )
    volatile = {"elapsed_s", "finished_at", "cache_hits"}

    def steady(record: dict) -> dict:  # type: ignore[type-arg]
        return {**record, "provenance": {k: v for k, v in record["provenance"].items() if k not in volatile}}

    assert [r["id"] for r in remote] == [i.id for i in instructions]
    assert [steady(r) for r in remote] == [steady(r) for r in local]
    assert [len(r["turns"]) for r in remote[10:]] == [2] * 4 and all(r["status"] == "ok" for r in remote)
