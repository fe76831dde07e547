"""The figures a report shows, computed from results files by autoj.stats.

One `Run` per results file (one judge); pairwise and single results may be mixed in a file.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autoj.bench.grouping import GroupOf, taxonomy_group_of
from autoj.bench.pairwise_report import Breakdown, ScoredPair, breakdown, longer_wins
from autoj.errors import AutojError
from autoj.io.results import Result, read_results, setup_differences, setups_in
from autoj.protocols import JudgeProtocol, get_protocol
from autoj.stats import metrics as m
from autoj.stats.figures import PairFigures, agreement_hits, consistency_hits, outcomes_of, pair_figures
from autoj.types import PairItem, SingleItem, Verdict

#: Relative length difference (len1 - len2) / (len1 + len2) bin edges for the length-bias curve.
LENGTH_BINS: tuple[float, ...] = (-1.0, -0.5, -0.25, -0.1, 0.1, 0.25, 0.5, 1.0)


@dataclass(frozen=True)
class LengthCurve:
    """Share of non-tie verdicts naming Response 1, per bin of relative length difference."""

    centers: list[float]
    judge: list[float | None]
    human: list[float | None]
    counts: list[int]


@dataclass(frozen=True)
class Share:
    """A share with its 95% bootstrap interval over `n` pairs (None when nothing to count)."""

    value: float | None
    low: float | None
    high: float | None
    n: int


@dataclass(frozen=True)
class Run:
    """One results file: its judge, its results and the figures derived from them."""

    name: str
    path: Path
    judge: str
    model: str
    protocol: str
    pairs: list[Result]
    singles: list[Result]
    both_orders: bool
    scores: Breakdown | None  # labelled pairs only
    labelled_pairs: list[ScoredPair]
    baseline: Breakdown | None  # the longer-response-wins baseline on the same labelled pairs
    length_curve: LengthCurve
    figures: PairFigures
    rating_counts: dict[int, int] = field(default_factory=dict)
    parse_failures: int = 0

    @property
    def items(self) -> int:
        return len(self.pairs) + len(self.singles)

    @property
    def labelled(self) -> int:
        return len(self.labelled_pairs)

    def share(self, metric: str, group: str | None = None, group_of: GroupOf | None = None) -> Share:
        """Agreement or consistency (as `autoj.stats.figures` defines them) of the pairs, of one
        scenario group if given, with a 95% bootstrap interval."""
        pairs = self.pairs
        if group is not None:
            lookup = group_of or taxonomy_group_of()
            pairs = [r for r in pairs if lookup(r.item.scenario) == group]
        outcomes = outcomes_of(pairs)
        if metric == "agreement":
            hits = agreement_hits(outcomes)
        elif metric == "consistency":
            hits = consistency_hits(outcomes)
        else:
            raise ValueError(f"unknown metric {metric!r}")
        ci = m.bootstrap_ci(hits)
        return Share(m.share_of(hits), ci.low if ci else None, ci.high if ci else None, len(hits))

    def groups(self, group_of: GroupOf | None = None) -> list[str]:
        lookup = group_of or taxonomy_group_of()
        return sorted({lookup(r.item.scenario) for r in self.pairs})

    def response_1_share(self, swapped: bool) -> float | None:
        """Position bias: share of non-tie verdicts naming the response shown first."""
        judgments = [r.swapped if swapped else r.judgment for r in self.pairs]
        return m.response_1_share([j.verdict if j is not None else None for j in judgments])

    def mean_rating(self) -> float | None:
        ratings = [r.rating for r in self.singles if r.rating is not None]
        return sum(ratings) / len(ratings) if ratings else None


def _first(results: Sequence[Result], key: str) -> str:
    for result in results:
        value = result.provenance.get(key)
        if value:
            return str(value)
    return "-"


def recorded_protocol(recorded: str) -> JudgeProtocol | None:
    """The protocol a results line names in its provenance ("prometheus@2", "autoj+guard@1.1"),
    None when this installation does not know it."""
    for candidate in dict.fromkeys((recorded, recorded.split("@")[0], recorded.split(":")[0])):
        try:
            return get_protocol(candidate)
        except AutojError:
            continue
    return None


def length_curve(pairs: Sequence[Result]) -> LengthCurve:
    """The judge's (original order) and the humans' preference for Response 1 by length difference."""
    judge_hits: list[list[bool]] = [[] for _ in LENGTH_BINS[1:]]
    human_hits: list[list[bool]] = [[] for _ in LENGTH_BINS[1:]]
    counts = [0] * (len(LENGTH_BINS) - 1)
    for result in pairs:
        item = result.item
        if not isinstance(item, PairItem):
            continue
        total = len(item.response_1) + len(item.response_2)
        if total == 0:
            continue
        diff = (len(item.response_1) - len(item.response_2)) / total
        index = next(
            (n for n in range(len(LENGTH_BINS) - 1) if diff <= LENGTH_BINS[n + 1]), len(LENGTH_BINS) - 2
        )
        counts[index] += 1
        verdict = result.judgment.verdict
        if verdict is not None and verdict is not Verdict.TIE:
            judge_hits[index].append(verdict is Verdict.RESPONSE_1)
        if item.label is not None and item.label is not Verdict.TIE:
            human_hits[index].append(item.label is Verdict.RESPONSE_1)

    def shares(hits: list[list[bool]]) -> list[float | None]:
        return [sum(h) / len(h) if h else None for h in hits]

    centers = [(a + b) / 2 for a, b in itertools.pairwise(LENGTH_BINS)]
    return LengthCurve(centers, shares(judge_hits), shares(human_hits), counts)


def scored(pairs: Sequence[Result]) -> list[ScoredPair]:
    """Labelled pairs with both orders' predictions, in autoj.bench's input form."""
    out = []
    for result in pairs:
        item = result.item
        if not isinstance(item, PairItem) or item.label is None:
            continue
        out.append(
            ScoredPair(
                label=item.label,
                original=result.judgment.verdict,
                swapped=result.swapped.verdict if result.swapped is not None else None,
                length_1=len(item.response_1),
                length_2=len(item.response_2),
                id=item.id,
                scenario=item.scenario,
            )
        )
    return out


def load_run(path: str | Path, group_of: GroupOf | None = None, name: str | None = None) -> Run:
    """Read one results file and compute its figures."""
    path = Path(path)
    if not path.is_file():
        raise AutojError(f"results file not found: {path}")
    results = list(read_results(path))
    if not results:
        raise AutojError(f"{path} holds no results")
    setups = setups_in(results)
    if len(setups) > 1:
        (first, count), (second, other) = setups[:2]
        differ = "; ".join(setup_differences(first, second, (f"in {count}", f"in {other}")))
        raise AutojError(
            f"{path} mixes results of {len(setups)} judge setups ({differ} results): its figures "
            "would describe no judge; report each setup's results from a file of its own"
        )
    pairs = [r for r in results if isinstance(r.item, PairItem)]
    singles = [r for r in results if isinstance(r.item, SingleItem)]
    labelled = scored(pairs)
    scores = breakdown(labelled, group_of or taxonomy_group_of()) if labelled else None
    baseline = breakdown(longer_wins(labelled), group_of or taxonomy_group_of()) if labelled else None
    ratings = Counter(round(r.rating) for r in singles if r.rating is not None)
    return Run(
        name=name or path.stem,
        path=path,
        judge=_first(results, "judge"),
        model=_first(results, "model"),
        protocol=_first(results, "protocol"),
        pairs=pairs,
        singles=singles,
        both_orders=any(r.swapped is not None for r in pairs),
        scores=scores,
        labelled_pairs=labelled,
        baseline=baseline,
        length_curve=length_curve(pairs),
        figures=pair_figures(outcomes_of(pairs)),
        rating_counts=dict(sorted(ratings.items())),
        parse_failures=sum(1 for r in results if r.status == "parse_error"),
    )


def load_runs(paths: Sequence[str | Path]) -> list[Run]:
    """One Run per file; files with the same name get their parent folder as a prefix."""
    if not paths:
        raise AutojError("name at least one results file")
    group_of = taxonomy_group_of()
    stems = Counter(Path(p).stem for p in paths)
    runs = []
    for path in paths:
        p = Path(path)
        name = f"{p.parent.name}/{p.stem}" if stems[p.stem] > 1 else p.stem
        runs.append(load_run(p, group_of, name))
    return runs
