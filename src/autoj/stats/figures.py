"""Every pairwise figure a user reads, named once and defined once.

The CLI summary (`autoj compare`, `--json`), the evaluate board and the HTML report all take their
agreement, consistency, tie rate and position share from `pair_figures`, and show them under the
names and definitions of `FIGURES`, so one results file gives one number per name wherever it is
read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from autoj.io.results import Result
from autoj.stats import metrics as m
from autoj.types import PairItem, Verdict

#: Each figure's key, its name as shown, and its one-line definition.
FIGURES: dict[str, tuple[str, str]] = {
    "agreement": (
        "agreement",
        "share of labelled pairs whose verdict is the human label; with both orders, both orders "
        "must give it (Auto-J's metric); a parse failure counts as a miss",
    ),
    "consistency": (
        "consistency",
        "share of pairs judged in both orders that got the same verdict both times (mapped back); "
        "a parse failure counts as inconsistent",
    ),
    "tie_rate": ("tie rate", "share of parsed judgments (each order counts) that say tie"),
    "response_1_share": (
        "Response 1 share",
        "share of parsed non-tie judgments naming the response shown first (50% is unbiased)",
    ),
    "parse_failure_rate": ("parse failure rate", "share of judgments (each order counts) without a verdict"),
    "longer_wins_agreement": (
        "longer wins",
        "agreement of the 'longer response wins' baseline on the same labelled pairs",
    ),
    "kappa": ("kappa", "Cohen's kappa between the human labels and the first order's verdicts"),
}


def name_of(key: str) -> str:
    """A figure's name as every output shows it."""
    return FIGURES[key][0]


def definition_of(key: str) -> str:
    """A figure's one-line definition (the report's column tooltips, `--help` texts)."""
    return FIGURES[key][1]


@dataclass(frozen=True)
class PairOutcome:
    """One judged pair as the figures need it: the human label (if any) and each order's verdict.

    `swapped` is in the frame the judge saw (Response 1 = the original Response 2); None is a
    parse failure, or no second order when `both_orders` is False.
    """

    label: Verdict | None
    original: m.Prediction
    swapped: m.Prediction = None
    both_orders: bool = False

    @property
    def judgments(self) -> list[m.Prediction]:
        """Each order's verdict as the judge gave it."""
        return [self.original, self.swapped] if self.both_orders else [self.original]


def outcome_of(result: Result) -> PairOutcome | None:
    """A pairwise result as a PairOutcome; None for a single-response result."""
    item = result.item
    if not isinstance(item, PairItem):
        return None
    swapped = result.swapped
    return PairOutcome(
        label=item.label,
        original=result.judgment.verdict,
        swapped=swapped.verdict if swapped is not None else None,
        both_orders=swapped is not None,
    )


def outcomes_of(results: Iterable[Result]) -> list[PairOutcome]:
    """The pairwise results among `results` as PairOutcomes, in order."""
    return [o for o in map(outcome_of, results) if o is not None]


def agreement_hits(outcomes: Iterable[PairOutcome]) -> list[bool]:
    """Per labelled pair: does it count toward agreement (see FIGURES["agreement"])."""
    return [
        m.paper_correct(o.label, o.original, o.swapped) if o.both_orders else o.original == o.label
        for o in outcomes
        if o.label is not None
    ]


def consistency_hits(outcomes: Iterable[PairOutcome]) -> list[bool]:
    """Per pair judged in both orders: same verdict both times (see FIGURES["consistency"])."""
    return [m.consistent(o.original, o.swapped) for o in outcomes if o.both_orders]


@dataclass(frozen=True)
class PairFigures:
    """The figures of a set of pairs, each with the count it is a share of (None: nothing to count)."""

    pairs: int
    labelled: int
    agreement: float | None
    both_orders: int
    consistency: float | None
    judgments: int
    tie_rate: float | None
    response_1_share: float | None
    parse_failure_rate: float | None

    def to_dict(self, digits: int | None = 4) -> dict[str, float | int | None]:
        """Keyed by the FIGURES keys (and the counts); shares rounded to `digits`."""

        def rounded(value: float | None) -> float | None:
            return None if value is None or digits is None else round(value, digits)

        return {
            "pairs": self.pairs,
            "labelled": self.labelled,
            "agreement": rounded(self.agreement),
            "both_orders": self.both_orders,
            "consistency": rounded(self.consistency),
            "judgments": self.judgments,
            "tie_rate": rounded(self.tie_rate),
            "response_1_share": rounded(self.response_1_share),
            "parse_failure_rate": rounded(self.parse_failure_rate),
        }


def pair_figures(outcomes: Sequence[PairOutcome]) -> PairFigures:
    """Agreement, consistency, tie rate, position share and parse failures of `outcomes`."""
    agreed = agreement_hits(outcomes)
    consistent = consistency_hits(outcomes)
    judgments = [j for o in outcomes for j in o.judgments]
    return PairFigures(
        pairs=len(outcomes),
        labelled=len(agreed),
        agreement=m.share_of(agreed),
        both_orders=len(consistent),
        consistency=m.share_of(consistent),
        judgments=len(judgments),
        tie_rate=m.tie_rate(judgments),
        response_1_share=m.response_1_share(judgments),
        parse_failure_rate=m.parse_failure_rate(judgments),
    )
