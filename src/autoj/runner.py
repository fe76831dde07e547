"""Running an engine over items into a results file: resume, progress, and a closing summary.

Shared by `autoj compare`, `autoj rate` and the benchmarks, so all of them stream, resume and
report the same way.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from autoj.engine import Engine
from autoj.results import ResultsWriter
from autoj.types import Item


@dataclass(frozen=True)
class RunSummary:
    """What one run did; the figures a user checks after a run (and benchmarks print)."""

    output: str
    total: int
    already_done: int
    judged: int
    failures: int
    parse_failures: int
    elapsed_s: float
    generations: int
    prompt_tokens: int
    completion_tokens: int
    cache_hits: int = 0

    @property
    def judgments_per_min(self) -> float:
        return 60.0 * self.generations / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.completion_tokens / self.elapsed_s if self.elapsed_s else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = dict(vars(self))
        data["judgments_per_min"] = round(self.judgments_per_min, 2)
        data["generated_tokens_per_s"] = round(self.tokens_per_s, 2)
        return data


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]judging"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
        transient=False,
    )


async def run_to_file(
    engine: Engine,
    items: Sequence[Item],
    output: str | Path,
    overwrite: bool = False,
    progress: bool | None = None,
) -> RunSummary:
    """Judge the items that `output` has no result for yet, appending each result as it finishes."""
    show = sys.stderr.isatty() if progress is None else progress
    parse_failures = 0
    with ResultsWriter(output, overwrite=overwrite) as writer:
        todo = [item for item in items if item.id not in writer.done]
        already = len(items) - len(todo)
        with _progress(show) as bar:
            task = bar.add_task("judging", total=len(todo))
            async for result in engine.stream(todo):
                writer.write(result)
                parse_failures += result.status == "parse_error"
                bar.advance(task)
    stats = engine.stats
    return RunSummary(
        output=str(output),
        total=len(items),
        already_done=already,
        judged=len(todo),
        failures=stats.failures,
        parse_failures=parse_failures,
        elapsed_s=round(stats.elapsed(), 3),
        generations=stats.generations,
        prompt_tokens=stats.prompt_tokens,
        completion_tokens=stats.completion_tokens,
        cache_hits=stats.cache_hits,
    )


def run_to_file_sync(
    engine: Engine,
    items: Sequence[Item],
    output: str | Path,
    overwrite: bool = False,
    progress: bool | None = None,
) -> RunSummary:
    return asyncio.run(run_to_file(engine, items, output, overwrite, progress))
