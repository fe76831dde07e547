"""Judging on Ray Data: the same items, protocol and params, spread over actor replicas.

Each actor holds one autoj Judge (any backend: the embedded model, `openai:` pointed at a server,
`vllm:` on a GPU node) and judges whole batches through the ordinary Engine, so a distributed run
gives the same judgments as a local one. Ray does the scheduling; autoj adds none of its own.

    results = run_with_ray(items, "llamacpp", num_workers=2)
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any

from autoj.errors import MissingExtraError
from autoj.results import Result
from autoj.types import GenerationParams, Item


class JudgeActor:
    """A Ray Data callable class: builds its Judge once, then judges batches of pickled items."""

    def __init__(
        self,
        judge_spec: str,
        protocol: str | None,
        params: Mapping[str, Any],
        both_orders: bool,
        cache: str | bool | None,
        backend_options: Mapping[str, Any],
    ) -> None:
        from autoj.judge import Judge

        fields = dict(params)
        for name in ("stop", "stop_patterns"):
            if name in fields:
                fields[name] = tuple(fields[name])
        self._judge = Judge(
            judge_spec,
            protocol=protocol,
            params=GenerationParams(**fields),
            both_orders=both_orders,
            cache=cache,
            **dict(backend_options),
        )

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        items: list[Item] = [pickle.loads(blob) for blob in batch["item"]]
        results = self._judge._run(self._judge.engine().run(items))
        return {"index": list(batch["index"]), "result": [json.dumps(r.to_dict()) for r in results]}


def run_with_ray(
    items: Iterable[Item],
    judge_spec: str,
    protocol: str | None = None,
    params: GenerationParams | None = None,
    both_orders: bool = False,
    num_workers: int = 2,
    batch_size: int = 8,
    cpus_per_worker: float = 1.0,
    gpus_per_worker: float = 0.0,
    cache: str | bool | None = None,
    **backend_options: Any,
) -> list[Result]:
    """Judge `items` on `num_workers` Ray actors; results come back in the order of the items.

    Connects to a running Ray cluster when there is one (RAY_ADDRESS), else starts a local one.
    """
    try:
        import ray
    except ImportError:
        raise MissingExtraError("running on Ray", "ray", "ray") from None
    if not ray.is_initialized():
        ray.init(include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    rows = [{"index": n, "item": pickle.dumps(item)} for n, item in enumerate(items)]
    if not rows:
        return []
    dataset = ray.data.from_items(rows).map_batches(
        JudgeActor,
        fn_constructor_kwargs={
            "judge_spec": judge_spec,
            "protocol": protocol,
            "params": asdict(params or GenerationParams()),
            "both_orders": both_orders,
            "cache": cache,
            "backend_options": backend_options,
        },
        batch_size=batch_size,
        concurrency=num_workers,
        num_cpus=cpus_per_worker,
        num_gpus=gpus_per_worker,
        batch_format="numpy",
    )
    out: list[Result | None] = [None] * len(rows)
    for row in dataset.iter_rows():
        out[int(row["index"])] = Result.from_dict(json.loads(row["result"]))
    return [r for r in out if r is not None]
