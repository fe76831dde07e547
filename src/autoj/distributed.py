"""Judging on Ray Data: the same items, protocol and params, spread over actor replicas.

Each actor holds one autoj Judge (any backend: the embedded model, `openai:` pointed at a server,
`vllm:` on a GPU node) and judges whole batches through the ordinary Engine, so a distributed run
gives the same judgments as a local one. Ray does the scheduling; autoj adds none of its own.

    results = run_with_ray(items, "llamacpp", num_workers=2)   # or a JudgeConfig, a YAML file
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterable, Mapping
from typing import Any

from autoj.errors import MissingExtraError
from autoj.io.results import Result
from autoj.judges.config import JudgeConfig
from autoj.run.judge import Judge
from autoj.types import Item


class JudgeActor:
    """A Ray Data callable class: builds its Judge once, from the judge config sent as plain data
    (`JudgeConfig.to_dict()`), then judges batches of pickled items."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._judge = Judge(JudgeConfig.from_dict(config))

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        items: list[Item] = [pickle.loads(blob) for blob in batch["item"]]
        results = self._judge.judge_many(items)
        return {"index": list(batch["index"]), "result": [json.dumps(r.to_dict()) for r in results]}


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
    setting as it is). Connects to a running Ray cluster when there is one (RAY_ADDRESS), else
    starts a local one.
    """
    config = JudgeConfig.load(judge).with_changes(**settings)
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
        fn_constructor_kwargs={"config": config.to_dict()},
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
