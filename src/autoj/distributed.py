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

import json
import pickle
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from autoj.data.benchmarks import BenchmarkInstruction
from autoj.errors import MissingExtraError
from autoj.io.results import Result
from autoj.judges.config import JudgeConfig
from autoj.run.generation import Generator
from autoj.run.judge import Judge
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


class GeneratorActor:
    """A Ray Data callable class: builds its Generator once from plain arguments (the spec, the
    parameters as a dict), then answers batches of pickled instructions."""

    def __init__(self, model: Mapping[str, Any]) -> None:
        arguments = dict(model)
        given = arguments.pop("params", None)
        params = GenerationParams(**given) if given else None
        self._generator = Generator.from_spec(params=params, **arguments)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        instructions: list[BenchmarkInstruction] = [pickle.loads(blob) for blob in batch["instruction"]]
        records = self._generator.run(self._generator.answer_all(instructions))
        return {"index": list(batch["index"]), "result": [json.dumps(r) for r in records]}


def _map_on_ray(
    rows: list[dict[str, Any]],
    actor: type,
    arguments: Mapping[str, Any],
    num_workers: int,
    batch_size: int,
    cpus_per_worker: float,
    gpus_per_worker: float,
) -> list[str]:
    """Each row's `result` from `actor` replicas, in the rows' order. Connects to a running Ray
    cluster when there is one (RAY_ADDRESS), else starts a local one."""
    try:
        import ray
    except ImportError:
        raise MissingExtraError("running on Ray", "ray", "ray") from None
    if not rows:
        return []
    if not ray.is_initialized():
        ray.init(include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    dataset = ray.data.from_items(rows).map_batches(
        actor,
        fn_constructor_kwargs=dict(arguments),
        batch_size=batch_size,
        concurrency=num_workers,
        num_cpus=cpus_per_worker,
        num_gpus=gpus_per_worker,
        batch_format="numpy",
    )
    out: list[str | None] = [None] * len(rows)
    for row in dataset.iter_rows():
        out[int(row["index"])] = str(row["result"])
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
    instructions' order, the same as a local run's."""
    arguments = {
        "spec": model,
        "name": name,
        "params": asdict(params) if params is not None else None,
        "system_prompt": system_prompt,
        "dataset": dataset,
        "cache": cache,
        **backend_options,
    }
    rows = [{"index": n, "instruction": pickle.dumps(i)} for n, i in enumerate(instructions)]
    found = _map_on_ray(
        rows, GeneratorActor, {"model": arguments}, num_workers, batch_size, cpus_per_worker, gpus_per_worker
    )
    return [json.loads(text) for text in found]
