"""Pairwise judge metrics as pure functions over aligned sequences.

A prediction is a `Verdict` or `None`; `None` is a parse failure and is never counted as a label:
it is never "equal" to anything, not even to another failure. Swapped-order predictions are taken
in the frame the judge saw them (Response 1 = the original Response 2) so that position bias can
be measured; the functions map them back themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from autoj.types import Verdict

Prediction = Verdict | None

#: Row/column order of confusion matrices: human label (rows) x judge verdict (columns).
VERDICT_ORDER: tuple[Verdict, ...] = (Verdict.RESPONSE_1, Verdict.RESPONSE_2, Verdict.TIE)


def map_back(prediction: Prediction) -> Prediction:
    """A swapped-order prediction in the original order (0 <-> 1; tie and failure kept)."""
    return prediction.swapped() if prediction is not None else None


def _check_aligned(*sequences: Sequence[object]) -> int:
    lengths = {len(s) for s in sequences}
    if len(lengths) != 1:
        raise ValueError(f"sequences must have the same length, got lengths {sorted(lengths)}")
    return lengths.pop()


def share_of(hits: Sequence[bool]) -> float | None:
    """The share of True values, or None when there is nothing to count (not 0.0)."""
    return float(np.mean(hits)) if len(hits) else None


def paper_correct(label: Verdict, original: Prediction, swapped: Prediction) -> bool:
    """Auto-J's per-pair criterion: both orders agree with each other and with the human label."""
    back = map_back(swapped)
    return original is not None and original == back and original == label


def consistent(original: Prediction, swapped: Prediction) -> bool:
    """The two orders give the same verdict; a parse failure is never consistent."""
    return original is not None and original == map_back(swapped)


def paper_agreement_hits(
    labels: Sequence[Verdict], original: Sequence[Prediction], swapped: Sequence[Prediction]
) -> list[bool]:
    """Per-pair correctness in the paper's metric (the input of the bootstrap)."""
    _check_aligned(labels, original, swapped)
    return [paper_correct(lab, o, s) for lab, o, s in zip(labels, original, swapped, strict=True)]


def agreement(
    labels: Sequence[Verdict], original: Sequence[Prediction], swapped: Sequence[Prediction]
) -> float | None:
    """Share of pairs whose two predictions are equal and equal the human label (Auto-J paper)."""
    return share_of(paper_agreement_hits(labels, original, swapped))


def consistency_hits(original: Sequence[Prediction], swapped: Sequence[Prediction]) -> list[bool]:
    _check_aligned(original, swapped)
    return [consistent(o, s) for o, s in zip(original, swapped, strict=True)]


def consistency(original: Sequence[Prediction], swapped: Sequence[Prediction]) -> float | None:
    """Share of pairs whose original and mapped-back swapped predictions are equal."""
    return share_of(consistency_hits(original, swapped))


def single_order_agreement(labels: Sequence[Verdict], predictions: Sequence[Prediction]) -> float | None:
    """Share of pairs where one order's prediction equals the label (failures count as wrong)."""
    _check_aligned(labels, predictions)
    return share_of([p is not None and p == lab for lab, p in zip(labels, predictions, strict=True)])


def agreement_without_ties(
    labels: Sequence[Verdict], original: Sequence[Prediction], swapped: Sequence[Prediction]
) -> float | None:
    """The paper's agreement restricted to pairs whose human label is not a tie."""
    hits = paper_agreement_hits(labels, original, swapped)
    return share_of([h for h, lab in zip(hits, labels, strict=True) if lab is not Verdict.TIE])


def tie_rate(predictions: Sequence[Prediction]) -> float | None:
    """Share of parsed verdicts that are ties (parse failures are left out of the denominator)."""
    parsed = [p for p in predictions if p is not None]
    return share_of([p is Verdict.TIE for p in parsed])


def response_1_share(presented: Sequence[Prediction]) -> float | None:
    """Share of parsed verdicts naming the response shown first: position bias.

    Pass predictions in the frame the judge saw (for a swapped run: not mapped back). An unbiased
    judge on a balanced both-orders run is near 0.5 of its non-tie verdicts.
    """
    parsed = [p for p in presented if p is not None and p is not Verdict.TIE]
    return share_of([p is Verdict.RESPONSE_1 for p in parsed])


def parse_failure_rate(predictions: Sequence[Prediction]) -> float | None:
    """Share of predictions that are parse failures (None)."""
    return share_of([p is None for p in predictions])


def confusion_matrix(labels: Sequence[Verdict], predictions: Sequence[Prediction]) -> list[list[int]]:
    """3x3 counts, rows = human label, columns = judge verdict, both in `VERDICT_ORDER`.

    Parse failures have no column; count them with `parse_failure_rate`.
    """
    _check_aligned(labels, predictions)
    index = {v: i for i, v in enumerate(VERDICT_ORDER)}
    matrix = [[0, 0, 0] for _ in VERDICT_ORDER]
    for label, prediction in zip(labels, predictions, strict=True):
        if prediction is not None:
            matrix[index[label]][index[prediction]] += 1
    return matrix


@dataclass(frozen=True)
class Interval:
    """A bootstrap confidence interval of a share (both ends in [0, 1])."""

    low: float
    high: float
    level: float = 0.95


def bootstrap_ci(
    hits: Sequence[bool] | Sequence[float],
    *,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> Interval | None:
    """Percentile bootstrap interval of the mean of per-item values; None for no items.

    Seeded so that a report is reproducible byte for byte.
    """
    values = np.asarray(hits, dtype=float)
    if values.size == 0:
        return None
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, values.size, size=(resamples, values.size))
    means = values[picks].mean(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return Interval(low=float(low), high=float(high), level=level)


def cohen_kappa(labels: Sequence[Verdict], predictions: Sequence[Prediction]) -> float | None:
    """Cohen's kappa between human labels and parsed predictions (failures left out).

    None when fewer than two items are parsed or both raters use one single label throughout
    (kappa is undefined there).
    """
    from sklearn.metrics import cohen_kappa_score

    _check_aligned(labels, predictions)
    pairs = [(lab.label, p.label) for lab, p in zip(labels, predictions, strict=True) if p is not None]
    if len(pairs) < 2:
        return None
    human = [h for h, _ in pairs]
    judge = [j for _, j in pairs]
    if len(set(human) | set(judge)) < 2:
        return None
    value = float(cohen_kappa_score(human, judge, labels=[0, 1, 2]))
    return None if np.isnan(value) else value


def longer_response(length_1: int, length_2: int) -> Verdict | None:
    """Which response is longer; None when they are the same length."""
    if length_1 == length_2:
        return None
    return Verdict.RESPONSE_1 if length_1 > length_2 else Verdict.RESPONSE_2


@dataclass(frozen=True)
class LengthBias:
    """How often the judge and the humans prefer the longer response among their non-tie verdicts.

    Pairs of equal length are left out. `judge - human` above zero means the judge leans to length
    more than people do.
    """

    judge_prefers_longer: float | None
    human_prefers_longer: float | None
    judge_n: int
    human_n: int


def length_bias(
    lengths: Sequence[tuple[int, int]],
    labels: Sequence[Verdict | None],
    predictions: Sequence[Prediction],
) -> LengthBias:
    """Compare the judge's and the humans' preference for the longer response (see LengthBias)."""
    _check_aligned(lengths, labels, predictions)
    judge = prefers_larger_hits(lengths, predictions)
    human = prefers_larger_hits(lengths, labels)
    return LengthBias(share_of(judge), share_of(human), len(judge), len(human))


def prefers_larger_hits(sizes: Sequence[tuple[int, int]], verdicts: Sequence[Verdict | None]) -> list[bool]:
    """For each decided verdict on a pair of unequal sizes (length, markdown elements, ...):
    whether it chose the larger side. Ties, failures and equal sizes are left out."""
    hits = []
    for (size_1, size_2), verdict in zip(sizes, verdicts, strict=True):
        larger = longer_response(size_1, size_2)
        if larger is None or verdict is None or verdict is Verdict.TIE:
            continue
        hits.append(verdict == larger)
    return hits


def longer_wins_baseline(length_1: int, length_2: int) -> Verdict:
    """The "longer response wins" baseline: never a tie; equal lengths go to Response 2.

    It is a function of the pair, not of the order shown, so it is trivially consistent and its
    swapped-order prediction is the same verdict. On Eval-P, in characters, it agrees with the
    humans on 732 of 1,392 pairs (52.59; 71.84% of the 1,019 non-tie pairs).
    """
    return Verdict.RESPONSE_1 if length_1 > length_2 else Verdict.RESPONSE_2
