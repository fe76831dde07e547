"""Judging and generating on Ray Data: the same work spread over actor replicas.

Each judging actor holds one autoj Judge (any backend: the embedded model, `openai:` pointed at a
server, `vllm:` on a GPU node) and judges whole batches through the ordinary Engine, so a
distributed run gives the same judgments as a local one. Each generating actor holds one
Generator (the model under test) and answers whole batches of instructions the same way.
Ray does the scheduling; autoj adds none of its own.

    results = run_with_ray(items, "llamacpp", num_workers=2)   # or a JudgeConfig, a YAML file
    records = generate_with_ray(instructions, "vllm:MODEL", num_workers=4, gpus_per_worker=1)
"""

from __future__ import annotations

import asyncio
import json
import pickle
import socket
import time
from collections import abc
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import asdict, replace
from typing import Any

from autoj.data.benchmarks import BenchmarkInstruction
from autoj.errors import AutojError, MissingExtraError
from autoj.io.results import Result
from autoj.judges.config import JudgeConfig
from autoj.run.engine import RunStats
from autoj.run.generation import Generator, tally
from autoj.run.judge import Judge
from autoj.run.loop_thread import OwnLoop
from autoj.types import GenerationParams, Item


class JudgeActor:
    """A Ray Data callable class: builds its Judge once, from the judge config sent as plain data
    (`JudgeConfig.to_dict()`), then judges batches of pickled items."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._judge = Judge(JudgeConfig.from_dict(config))

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        items: list[Item] = [pickle.loads(blob) for blob in batch["item"]]
        results = self._judge.judge_many(items)
        return {"index": list(batch["index"]), "result": [json.dumps(r.to_dict()) for r in results]}


def _generator_of(arguments: Mapping[str, Any]) -> Generator:
    """A Generator from `_generator_arguments`' plain data."""
    arguments = dict(arguments)
    given = arguments.pop("params", None)
    params = GenerationParams(**given) if given else None
    return Generator.from_spec(params=params, **arguments)


class GeneratorActor:
    """A Ray Data callable class: builds its Generator once from plain arguments (the spec, the
    parameters as a dict), then answers batches of pickled instructions."""

    def __init__(self, model: Mapping[str, Any]) -> None:
        self._generator = _generator_of(model)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        instructions: list[BenchmarkInstruction] = [pickle.loads(blob) for blob in batch["instruction"]]
        records = self._generator.run(self._generator.answer_all(instructions))
        return {"index": list(batch["index"]), "result": [json.dumps(r) for r in records]}


def connect(address: str | None = None) -> Any:
    """The `ray` module, connected: to the cluster at `address` (or $RAY_ADDRESS) when given, else
    to a local Ray started here; a connection already made is kept."""
    try:
        import ray
    except ImportError:
        raise MissingExtraError("running on Ray", "ray", "ray") from None
    if not ray.is_initialized():
        if address:
            _check_answers(address)
        try:
            ray.init(address=address, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
        except ConnectionError as exc:
            raise AutojError(f"no Ray cluster answers at {address!r}: {exc}") from None
    return ray


def _check_answers(address: str) -> None:
    """Ray waits for ever on a HOST:PORT where nothing listens: say so at once instead."""
    host, colon, port = address.removeprefix("ray://").rpartition(":")
    if not colon or not port.isdigit():
        return  # "auto", "local": Ray's own words
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except OSError as exc:
        raise AutojError(
            f"no Ray cluster answers at {address!r} ({exc.strerror or exc}): start one there "
            "(`ray start --head`), or give no address for a local Ray"
        ) from None


def _on_ray(
    rows: list[dict[str, Any]],
    actor: type,
    arguments: Mapping[str, Any],
    num_workers: int,
    batch_size: int,
    cpus_per_worker: float,
    gpus_per_worker: float,
) -> abc.Generator[tuple[int, str], None, None]:
    """Each row's (index, `result`) from `actor` replicas, as they come back (in no set order)."""
    ray = connect()
    if not rows:
        return
    dataset = ray.data.from_items(rows).map_batches(
        actor,
        fn_constructor_kwargs=dict(arguments),
        batch_size=batch_size,
        concurrency=num_workers,
        num_cpus=cpus_per_worker,
        num_gpus=gpus_per_worker,
        batch_format="numpy",
    )
    for row in dataset.iter_rows():
        yield int(row["index"]), str(row["result"])


def _map_on_ray(rows: list[dict[str, Any]], *on_ray: Any) -> list[str]:
    """Each row's `result` (see `_on_ray`), in the rows' order."""
    out: list[str | None] = [None] * len(rows)
    for index, result in _on_ray(rows, *on_ray):
        out[index] = result
    return [r for r in out if r is not None]


def run_with_ray(
    items: Iterable[Item],
    judge: JudgeConfig | str,
    num_workers: int = 2,
    batch_size: int = 8,
    cpus_per_worker: float = 1.0,
    gpus_per_worker: float = 0.0,
    **settings: Any,
) -> list[Result]:
    """Judge `items` on `num_workers` Ray actors; results come back in the order of the items.

    `judge` is a config, spec, judge file or catalog name; `settings` change it as `Judge(...)`'s
    keywords do (`protocol=`, `both_orders=`, `max_new_tokens=`, backend options; None leaves a
    setting as it is).
    """
    config = JudgeConfig.load(judge).with_changes(**settings)
    rows = [{"index": n, "item": pickle.dumps(item)} for n, item in enumerate(items)]
    found = _map_on_ray(
        rows,
        JudgeActor,
        {"config": config.to_dict()},
        num_workers,
        batch_size,
        cpus_per_worker,
        gpus_per_worker,
    )
    return [Result.from_dict(json.loads(text)) for text in found]


def _generator_arguments(
    model: str,
    name: str | None,
    params: GenerationParams | None,
    system_prompt: str | None,
    dataset: str,
    cache: bool | str | None,
    backend_options: Mapping[str, Any],
) -> dict[str, Any]:
    """`Generator.from_spec`'s arguments as plain data, for a GeneratorActor."""
    return {
        "spec": model,
        "name": name,
        "params": asdict(params) if params is not None else None,
        "system_prompt": system_prompt,
        "dataset": dataset,
        "cache": cache,
        **backend_options,
    }


def generate_with_ray(
    instructions: Sequence[BenchmarkInstruction],
    model: str,
    name: str | None = None,
    params: GenerationParams | None = None,
    system_prompt: str | None = None,
    dataset: str = "",
    num_workers: int = 2,
    batch_size: int = 8,
    cpus_per_worker: float = 1.0,
    gpus_per_worker: float = 0.0,
    cache: bool | str | None = True,
    **backend_options: Any,
) -> list[dict[str, Any]]:
    """The model under test (`model`, a backend spec) answers `instructions` on `num_workers` Ray
    actors; the records (alpaca_eval's format, as `autoj generate` writes them) come back in the
    instructions' order, the same as a local run's.

    `cache` is opened by each worker where it runs: True is that machine's default cache
    ($AUTOJ_CACHE there, else ~/.cache/autoj), a path that file on that machine (a shared
    filesystem makes it one cache for the cluster); a local Ray's workers share this machine's.
    """
    arguments = _generator_arguments(model, name, params, system_prompt, dataset, cache, backend_options)
    rows = [{"index": n, "instruction": pickle.dumps(i)} for n, i in enumerate(instructions)]
    found = _map_on_ray(
        rows, GeneratorActor, {"model": arguments}, num_workers, batch_size, cpus_per_worker, gpus_per_worker
    )
    return [json.loads(text) for text in found]


def _setup_of(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The setup a GeneratorActor's Generator records (run where the workers run: the model's
    identity is read where the model is)."""
    with _generator_of({**arguments, "cache": False}) as generator:
        return generator.setup()


class RayGenerator(OwnLoop):
    """A Generator's stand-in on the driver: the same name and setup (read on a Ray worker, so the
    model never loads here), its answers made by `num_workers` GeneratorActors. `generate_to_file`
    takes it as it takes a Generator: the same resume, setup checks, file and summary.

    `cache` is sent to the workers as `generate_with_ray` sends it (opened where each one runs).
    Blocking calls run on its own loop thread (`run`), as a Generator's do.
    """

    _loop_name = "autoj-ray"

    def __init__(
        self,
        model: str,
        name: str | None = None,
        params: GenerationParams | None = None,
        system_prompt: str | None = None,
        dataset: str = "",
        num_workers: int = 2,
        batch_size: int = 8,
        cpus_per_worker: float = 1.0,
        gpus_per_worker: float = 0.0,
        cache: bool | str | None = True,
        address: str | None = None,
        **backend_options: Any,
    ) -> None:
        ray = connect(address)
        self._arguments = _generator_arguments(
            model, name, params, system_prompt, dataset, cache, backend_options
        )
        self._resources = (num_workers, batch_size, cpus_per_worker, gpus_per_worker)
        probe = ray.remote(num_cpus=cpus_per_worker, num_gpus=gpus_per_worker)(_setup_of)
        try:
            self._setup: dict[str, Any] = ray.get(probe.remote(self._arguments))
        except ray.exceptions.RayTaskError as exc:
            if isinstance(exc.cause, AutojError):  # a bad spec, a missing model file or extra there
                raise exc.cause from None
            raise
        self.name: str = self._setup["generator"]
        self.stats = RunStats()

    def setup(self) -> dict[str, Any]:
        return dict(self._setup)

    async def stream(self, instructions: Iterable[BenchmarkInstruction]) -> AsyncIterator[dict[str, Any]]:
        """Records as the workers finish them; Ray's blocking iterator is read on a thread, so the
        loop (and the file writer on it) goes on meanwhile."""
        self.stats = replace(RunStats(), started=time.perf_counter())
        rows = [{"index": n, "instruction": pickle.dumps(i)} for n, i in enumerate(instructions)]
        found = _on_ray(rows, GeneratorActor, {"model": self._arguments}, *self._resources)
        try:
            while (row := await asyncio.to_thread(next, found, None)) is not None:
                record = json.loads(row[1])
                tally(self.stats, record)
                yield record
        finally:
            found.close()
