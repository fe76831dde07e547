"""Running an engine over items into a results file: resume, progress, and a closing summary.

Shared by `autoj compare`, `autoj rate` and the benchmarks, so all of them stream, resume and
report the same way.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from autoj.io.results import Result, ResultsWriter, read_results
from autoj.io.terminal import Console
from autoj.judges import catalog
from autoj.run.engine import Engine
from autoj.stats.figures import PairFigures, PairOutcome, outcome_of, pair_figures
from autoj.types import Item, Verdict

# Below this many judgments a lopsided share says little: no degeneracy warning.
MIN_FOR_WARNING = 10
# A judge under this both-order consistency, or choosing one position more often than
# POSITION_LIMIT, answers by position rather than by content.
CONSISTENCY_FLOOR = 0.10
POSITION_LIMIT = 0.95
DEGENERATE = "this judge answers by position; its verdicts carry no information"


@dataclass
class Tally:
    """What the judgments of a run say: verdicts or ratings, and the pairwise figures of
    `autoj.stats.figures` (agreement, consistency, tie rate, position share)."""

    statuses: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    ratings: Counter[str] = field(default_factory=Counter)
    outcomes: list[PairOutcome] = field(default_factory=list)

    def add(self, result: Result) -> None:
        self.statuses[result.status] += 1
        if result.kind == "single":
            if result.rating is not None:
                self.ratings[f"{result.rating:g}"] += 1
            return
        verdict = result.verdict
        if verdict is not None:
            self.verdicts[verdict.value] += 1
        outcome = outcome_of(result)
        if outcome is not None:
            self.outcomes.append(outcome)

    @property
    def figures(self) -> PairFigures:
        return pair_figures(self.outcomes)

    @property
    def position_share(self) -> tuple[str, float] | None:
        """The position chosen most often and its share of all judgments with a verdict."""
        shown = Counter(_POSITION[v] for o in self.outcomes for v in o.judgments if v is not None)
        total = sum(shown.values())
        picked = {k: v for k, v in shown.items() if k != "tie"}
        if not total or not picked:
            return None
        position, count = max(picked.items(), key=lambda kv: kv[1])
        return position, count / total

    @property
    def warnings(self) -> list[str]:
        """Loud notes on a degenerate judge (both-order consistency or position share)."""
        figures = self.figures
        found = []
        if figures.both_orders >= MIN_FOR_WARNING and (figures.consistency or 0.0) < CONSISTENCY_FLOOR:
            found.append(
                f"both-order consistency is {figures.consistency or 0.0:.0%} "
                f"(under {CONSISTENCY_FLOOR:.0%}): {DEGENERATE}"
            )
        share = self.position_share
        if share is not None and figures.judgments >= MIN_FOR_WARNING and share[1] > POSITION_LIMIT:
            found.append(
                f"the {share[0]} response shown is chosen in {share[1]:.0%} of judgments: {DEGENERATE}"
            )
        return found

    def to_dict(self) -> dict[str, Any]:
        share = self.position_share
        figures = self.figures
        return {
            "statuses": dict(self.statuses),
            "verdicts": dict(self.verdicts),
            "ratings": dict(sorted(self.ratings.items(), key=lambda kv: float(kv[0]))),
            **figures.to_dict(),
            "top_position_share": None if share is None else [share[0], round(share[1], 4)],
            "warnings": self.warnings,
        }


_POSITION = {Verdict.RESPONSE_1: "first", Verdict.RESPONSE_2: "second", Verdict.TIE: "tie"}


@dataclass(frozen=True)
class RunSummary:
    """What one run did; the figures a user checks after a run (and benchmarks print).

    `failures` counts this run's items without a verdict or rating (parse failures included),
    `backend_errors` those the backend never answered, by reason in `failure_reasons`; `tally`
    covers every item of the run, those judged now and those already in the file.
    """

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
    rejudged: int = 0  # items judged again because their text changed since their line was written
    backend_errors: int = 0
    failure_reasons: dict[str, int] = field(default_factory=dict)
    tally: Tally = field(default_factory=Tally)
    #: what to do when no answer of this run could be read (the judge does not speak the protocol)
    hint: str | None = None

    @property
    def complete(self) -> bool:
        """Every item got a judgment (a parse failure is the judge's answer, so it counts)."""
        return self.backend_errors == 0

    @property
    def judgments_per_min(self) -> float:
        return 60.0 * self.generations / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.completion_tokens / self.elapsed_s if self.elapsed_s else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in vars(self).items() if k != "tally"}
        data["judgments_per_min"] = round(self.judgments_per_min, 2)
        data["generated_tokens_per_s"] = round(self.tokens_per_s, 2)
        data.update(self.tally.to_dict())
        return data


def progress_bar(enabled: bool, label: str = "judging") -> Progress:
    """The bar every run shows on stderr: what it does, how far, and the time left."""
    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
        transient=False,
    )


def _reason(result: Result) -> str:
    """A failed result's reason, short enough to count alike failures together."""
    for judgment in (result.judgment, result.swapped):
        if judgment is not None and judgment.status == "backend_error":
            first = (judgment.reason or "no reason given").strip().splitlines() or ["no reason given"]
            return first[0][:160]
    return result.status


async def run_to_file(
    engine: Engine,
    items: Sequence[Item],
    output: str | Path,
    overwrite: bool = False,
    progress: bool | None = None,
    inputs: Iterable[str | Path] = (),
) -> RunSummary:
    """Judge the items that `output` has no result for yet, appending each result as it finishes.

    The output is checked (a regular file or a new path, none of `inputs`), locked for the run, and
    must hold only results of this engine's setup: see `ResultsWriter`.
    """
    engine.protocol.check_items(items)  # an input the protocol would drop stops the run before it starts
    show = sys.stderr.isatty() if progress is None else progress
    tally = Tally()
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    with ResultsWriter(output, overwrite=overwrite, setup=engine.setup(), inputs=inputs) as writer:
        todo = writer.resume(items)
        already = len(items) - len(todo)
        rejudged = len(writer.rejudged)
        with progress_bar(show) as bar:
            task = bar.add_task("judging", total=len(todo))
            async for result in engine.stream(todo):
                writer.write(result)
                tally.add(result)
                statuses[result.status] += 1
                if result.status == "backend_error":
                    reasons[_reason(result)] += 1
                bar.advance(task)
    if already:
        _tally_done(tally, output, {item.id for item in items} - {item.id for item in todo})
    stats = engine.stats
    return RunSummary(
        output=str(output),
        total=len(items),
        already_done=already,
        judged=len(todo),
        # from this run's results, the same count the lines below it give (the engine's own
        # counter misses items that failed before any generation)
        failures=sum(statuses.values()) - statuses["ok"],
        parse_failures=statuses["parse_error"],
        elapsed_s=round(stats.elapsed(), 3),
        generations=stats.generations,
        prompt_tokens=stats.prompt_tokens,
        completion_tokens=stats.completion_tokens,
        cache_hits=stats.cache_hits,
        rejudged=rejudged,
        backend_errors=statuses["backend_error"],
        failure_reasons=dict(reasons.most_common()),
        tally=tally,
        hint=unreadable_hint(engine.protocol.name) if todo and statuses["parse_error"] == len(todo) else None,
    )


def unreadable_hint(protocol: str) -> str:
    """Why every answer failed to parse, most likely, and the judges that write this protocol's format."""
    fits = [entry.name for entry in catalog.entries() if entry.protocol == protocol]
    which = f"judges trained for it: {', '.join(fits)} (`autoj judges`)" if fits else "a judge trained for it"
    return (
        f"no answer could be read in the {protocol} protocol's format: the judge does not write it; "
        f"use {which}, or the protocol the judge was trained for"
    )


def _tally_done(tally: Tally, output: str | Path, ids: set[str]) -> None:
    """Add the results the file already held for `ids` (the first line of each id)."""
    for result in read_results(output):
        if result.id in ids:
            ids.discard(result.id)
            tally.add(result)
