"""Run items through an engine into a resumable results file, and read back every result."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from autoj.backends.base import Backend
from autoj.errors import RunFailure
from autoj.io.results import Result, read_results
from autoj.judges.config import JudgeConfig
from autoj.run.engine import Engine
from autoj.run.runner import run_to_file
from autoj.types import Item


async def run_items(
    engine: Engine, items: Sequence[Item], output: str | Path, overwrite: bool = False
) -> list[Result]:
    """Judge the items not yet in `output`, appending each as it finishes; return all of them.

    The returned results are those of `items` (older lines for other ids are left alone), so an
    interrupted benchmark continues where it stopped and a finished one costs nothing to rescore.
    Items the backend never answered stop the benchmark (RunFailure) rather than count as misses.
    The progress bar is the one `autoj compare` shows (on a terminal).
    """
    summary = await run_to_file(engine, items, output, overwrite=overwrite)
    if not summary.complete:
        reasons = "; ".join(f"{n} x {reason}" for reason, n in summary.failure_reasons.items())
        raise RunFailure(
            f"{summary.backend_errors} of {summary.total} items got no judgment ({reasons}): figures "
            f"without them would be wrong; run again to retry them (the others are kept in {output})"
        )
    wanted = {item.id for item in items}
    latest: dict[str, Result] = {}
    for result in read_results(output):
        if result.id in wanted:
            latest[result.id] = result
    return [latest[item.id] for item in items if item.id in latest]


def judge_name(judge: JudgeConfig | str | Backend) -> str:
    """How a judge is named in reports: as given (spec, file or catalog name), a config's catalog
    name or spec, or a backend's name and model."""
    if isinstance(judge, JudgeConfig):
        return judge.source.removeprefix("catalog:") if judge.source.startswith("catalog:") else judge.judge
    return judge if isinstance(judge, str) else f"{judge.name}:{judge.model_id}"
