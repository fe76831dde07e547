"""Metric functions checked on small tables worked out by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autoj.bench.outcomes import tally
from autoj.stats import metrics as m
from autoj.stats.correlation import Candidate, best_of_n, correlations, pick_best
from autoj.types import Verdict

R1, R2, TIE = Verdict.RESPONSE_1, Verdict.RESPONSE_2, Verdict.TIE

# label, original-order prediction, swapped-order prediction as the judge saw it
TABLE = [
    (R1, R1, R2),  # correct: both orders say the original Response 1
    (R1, R1, R1),  # position-bound: inconsistent
    (R2, R2, R1),  # correct
    (TIE, TIE, TIE),  # correct
    (R2, R1, R2),  # consistent but wrong
    (TIE, None, None),  # two parse failures: neither consistent nor correct
]
LABELS = [row[0] for row in TABLE]
ORIGINAL = [row[1] for row in TABLE]
SWAPPED = [row[2] for row in TABLE]


def test_paper_agreement_needs_both_orders_and_the_label() -> None:
    assert m.paper_agreement_hits(LABELS, ORIGINAL, SWAPPED) == [1, 0, 1, 1, 0, 0]
    assert m.agreement(LABELS, ORIGINAL, SWAPPED) == pytest.approx(3 / 6)


def test_consistency_never_counts_parse_failures() -> None:
    assert m.consistency_hits(ORIGINAL, SWAPPED) == [1, 0, 1, 1, 1, 0]
    assert m.consistency(ORIGINAL, SWAPPED) == pytest.approx(4 / 6)
    assert not m.consistent(None, None)


def test_single_order_agreement_per_order() -> None:
    assert m.single_order_agreement(LABELS, ORIGINAL) == pytest.approx(4 / 6)
    back = [m.map_back(s) for s in SWAPPED]
    assert back == [R1, R2, R2, TIE, R1, None]
    assert m.single_order_agreement(LABELS, back) == pytest.approx(3 / 6)


def test_agreement_without_ties_drops_human_ties() -> None:
    # pairs 1, 2, 3, 5 have a non-tie label; hits 1, 0, 1, 0
    assert m.agreement_without_ties(LABELS, ORIGINAL, SWAPPED) == pytest.approx(0.5)


def test_tie_rate_position_bias_and_failures() -> None:
    both = ORIGINAL + SWAPPED
    assert m.tie_rate(both) == pytest.approx(2 / 10)
    # non-tie parsed verdicts as shown: R1 R1 R2 R1 | R2 R1 R1 R2 -> 5 of 8 name Response 1
    assert m.response_1_share(both) == pytest.approx(5 / 8)
    assert m.parse_failure_rate(both) == pytest.approx(2 / 12)


def test_confusion_matrix_rows_are_human_labels() -> None:
    assert m.confusion_matrix(LABELS, ORIGINAL) == [[2, 0, 0], [1, 1, 0], [0, 0, 1]]


def test_empty_and_misaligned_inputs() -> None:
    assert m.agreement([], [], []) is None
    assert m.tie_rate([None, None]) is None
    with pytest.raises(ValueError, match="same length"):
        m.agreement([R1], [R1, R2], [R1])


def test_bootstrap_is_seeded_and_brackets_the_mean() -> None:
    hits = [1] * 30 + [0] * 70
    first = m.bootstrap_ci(hits, seed=7)
    assert first == m.bootstrap_ci(hits, seed=7)
    assert first is not None
    assert first.low < 0.30 < first.high
    assert first.low > 0.18 and first.high < 0.42
    assert m.bootstrap_ci([1, 1, 1]) == m.Interval(1.0, 1.0)
    assert m.bootstrap_ci([]) is None


def test_cohen_kappa_hand_worked() -> None:
    # p_o = 3/4, p_e = .5*.25 + .5*.75 = .5 -> kappa = .5
    assert m.cohen_kappa([R1, R1, R2, R2], [R1, R2, R2, R2]) == pytest.approx(0.5)
    # failures are left out: the same table with an extra unparsed pair
    assert m.cohen_kappa([R1, R1, R2, R2, TIE], [R1, R2, R2, R2, None]) == pytest.approx(0.5)
    assert m.cohen_kappa([R1, R1], [R1, R1]) is None


def test_length_bias_hand_worked() -> None:
    lengths = [(10, 5), (3, 8), (4, 4), (7, 2)]
    bias = m.length_bias(lengths, [R1, R1, R2, TIE], [R1, R1, R1, R2])
    # judge: pair 1 longer, pair 2 shorter, pair 3 equal (skipped), pair 4 shorter -> 1/3
    assert bias.judge_prefers_longer == pytest.approx(1 / 3)
    assert bias.judge_n == 3
    # humans: pair 1 longer, pair 2 shorter, pair 3 equal, pair 4 tie -> 1/2
    assert bias.human_prefers_longer == pytest.approx(1 / 2)
    assert bias.human_n == 2


@pytest.mark.parametrize(
    ("lengths", "expected"),
    [((10, 5), R1), ((5, 10), R2), ((7, 7), R2)],
)
def test_longer_wins_baseline_never_ties(lengths: tuple[int, int], expected: Verdict) -> None:
    assert m.longer_wins_baseline(*lengths) is expected


verdicts = st.sampled_from([R1, R2, TIE])
predictions = st.one_of(st.none(), verdicts)


@given(st.lists(st.tuples(verdicts, predictions, predictions), min_size=1, max_size=40))
def test_agreement_is_bounded_by_consistency_and_each_order(
    rows: list[tuple[Verdict, Verdict | None, Verdict | None]],
) -> None:
    labels = [r[0] for r in rows]
    original = [r[1] for r in rows]
    swapped = [r[2] for r in rows]
    agree = m.agreement(labels, original, swapped)
    assert agree is not None
    assert agree <= (m.consistency(original, swapped) or 0.0) + 1e-12
    assert agree <= (m.single_order_agreement(labels, original) or 0.0) + 1e-12


def test_correlations_hand_worked() -> None:
    result = correlations([1, 2, 3, 4, None], [1, 4, 9, 16, 25])
    assert result.n == 4
    assert result.spearman == pytest.approx(1.0)
    assert result.kendall == pytest.approx(1.0)
    # Pearson of x and x^2, x = 1..4: Sxy = 25, Sxx = 5, Syy = 129 -> 25 / sqrt(645) = 0.98437
    assert result.pearson == pytest.approx(25 / math.sqrt(645))


def test_correlations_undefined_are_none_with_a_reason() -> None:
    constant = correlations([5, 5, 5, 5], [1, 2, 3, 4])
    assert constant.pearson is None and constant.note == "judge ratings are constant"
    short = correlations([1, 2], [1, 2])
    assert short.spearman is None and short.note is not None


def test_best_of_n_picks_highest_rating_and_breaks_ties() -> None:
    assert pick_best([Candidate(8, 5), Candidate(9, 3), Candidate(None, 10)]) == 1
    assert pick_best([Candidate(7, 1, logprob=-2.0), Candidate(7, 4, logprob=-1.0)]) == 1
    assert pick_best([Candidate(7, 1), Candidate(7, 4)]) == 0
    assert pick_best([Candidate(None, 1)]) is None
    result = best_of_n(
        [
            [Candidate(8, 5), Candidate(9, 3), Candidate(None, 10)],  # picks 3, oracle 10
            [Candidate(7, 1, logprob=-2.0), Candidate(7, 4, logprob=-1.0)],  # picks 4, oracle 4
            [Candidate(None, 2), Candidate(None, 6)],  # no pick, oracle 6
        ]
    )
    assert result.groups == 3 and result.picked == 2
    assert result.mean_picked_reference == pytest.approx(3.5)
    assert result.mean_oracle_reference == pytest.approx(20 / 3)
    assert result.mean_candidate_reference == pytest.approx(31 / 7)


def test_tally_win_rate_counts_failures_in_the_denominator() -> None:
    counts = tally(["win", "win", "tie", "lose", None])
    assert (counts.win, counts.tie, counts.lose, counts.failed) == (2, 1, 1, 1)
    assert counts.win_rate == pytest.approx(2 / 5)
    assert tally([]).win_rate is None
