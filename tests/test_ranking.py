"""n-way ranking: tournament scoring and rating order by tables, then real judges end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from autoj import FakeBackend, Judge
from autoj.io.rank_queries import RankFields, load_rank_queries
from autoj.io.results import Result
from autoj.run.ranking import (
    Outcome,
    by_ratings,
    pair_outcome,
    pairs_of,
    rank_items,
    ranking_of,
    tournament,
)
from autoj.types import Judgment, PairItem, Prompt, SingleItem, Verdict

R1, R2, TIE = Verdict.RESPONSE_1, Verdict.RESPONSE_2, Verdict.TIE


def test_pairs_are_every_unordered_pair_once_in_a_fixed_order() -> None:
    assert pairs_of(1) == []
    assert pairs_of(2) == [(0, 1)]
    assert pairs_of(4) == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]


def _judged(first: Verdict | None, swapped: Verdict | None) -> Result:
    """A pair judged in both orders; `swapped` is the verdict in the swapped frame."""

    def judgment(verdict: Verdict | None) -> Judgment:
        if verdict is None:
            return Judgment(kind="pairwise", status="parse_error", raw="?", reason="no verdict")
        return Judgment(kind="pairwise", status="ok", raw="...", verdict=verdict)

    return Result(item=PairItem("q", "a", "b", id="0-1"), judgment=judgment(first), swapped=judgment(swapped))


@pytest.mark.parametrize(
    ("first", "swapped", "outcome"),
    [
        (R1, R2, "win"),  # response 1 better as given, and still better when shown second
        (R2, R1, "loss"),
        (TIE, TIE, "tie"),
        (R1, R1, "split"),  # the judge picked the first position both times
        (R2, R2, "split"),
        (R1, TIE, "split"),
        (None, R2, "failed"),
        (R1, None, "failed"),
    ],
)
def test_a_pairs_outcome_comes_from_both_orders(first: Verdict, swapped: Verdict, outcome: Outcome) -> None:
    assert pair_outcome(_judged(first, swapped)) == outcome


def test_a_pair_judged_in_one_order_is_refused() -> None:
    one = Result(
        item=PairItem("q", "a", "b", id="x"), judgment=Judgment(kind="pairwise", status="ok", raw="")
    )
    with pytest.raises(ValueError, match="both"):
        pair_outcome(one)


@pytest.mark.parametrize(
    ("n", "outcomes", "order", "scores", "best", "failed"),
    [
        # a clear chain: 2 > 0 > 1
        (3, {(0, 1): "win", (0, 2): "loss", (1, 2): "loss"}, (2, 0, 1), (1.0, 0.0, 2.0), 2, 0),
        # ties and splits are half a point each; equal scores keep the input order
        (3, {(0, 1): "tie", (0, 2): "split", (1, 2): "tie"}, (0, 1, 2), (1.0, 1.0, 1.0), 0, 0),
        # a cycle 0 > 1 > 2 > 0: all level, by position
        (3, {(0, 1): "win", (0, 2): "loss", (1, 2): "win"}, (0, 1, 2), (1.0, 1.0, 1.0), 0, 0),
        # a failed pair scores nothing for either side
        (3, {(0, 1): "failed", (0, 2): "win", (1, 2): "win"}, (0, 1, 2), (1.0, 1.0, 0.0), 0, 1),
        (2, {(0, 1): "failed"}, (0, 1), (0.0, 0.0), None, 1),
        (1, {}, (0,), (0.0,), 0, 0),
        # four candidates: 3 beats all, 1 and 2 tie, 0 loses all
        (
            4,
            {(0, 1): "loss", (0, 2): "loss", (0, 3): "loss", (1, 2): "tie", (1, 3): "loss", (2, 3): "split"},
            (3, 2, 1, 0),
            (0.0, 1.5, 2.0, 2.5),
            3,
            0,
        ),
    ],
)
def test_tournament_scores_and_order(
    n: int,
    outcomes: dict[tuple[int, int], Outcome],
    order: tuple[int, ...],
    scores: tuple[float, ...],
    best: int | None,
    failed: int,
) -> None:
    ranked = tournament(n, outcomes)
    assert (ranked.order, ranked.scores, ranked.best, ranked.failed) == (order, scores, best, failed)
    assert ranked.matrix is not None
    for (i, j), outcome in outcomes.items():
        mirror = {"win": "loss", "loss": "win"}.get(outcome, outcome)
        assert (ranked.matrix[i][j], ranked.matrix[j][i]) == (outcome, mirror)
    assert all(ranked.matrix[k][k] is None for k in range(n))


def test_a_tournament_needs_every_pair_exactly_once() -> None:
    with pytest.raises(ValueError, match=r"missing \[\(1, 2\)\]"):
        tournament(3, {(0, 1): "win", (0, 2): "win"})
    with pytest.raises(ValueError, match=r"unexpected \[\(1, 0\)\]"):
        tournament(2, {(0, 1): "win", (1, 0): "win"})


@pytest.mark.parametrize(
    ("ratings", "order", "best", "failed"),
    [
        ([6, None, 9, 3, 9], (2, 4, 0, 3, 1), 2, 1),  # ties to the earlier, unrated last
        ([None, None], (0, 1), None, 2),
        ([5], (0,), 0, 0),
        ([1.5, 7.25, 7.25], (1, 2, 0), 1, 0),
    ],
)
def test_rating_order(
    ratings: list[float | None], order: tuple[int, ...], best: int | None, failed: int
) -> None:
    ranked = by_ratings(ratings)
    assert (ranked.order, ranked.best, ranked.failed, ranked.scores) == (order, best, failed, tuple(ratings))
    assert ranked.matrix is None


def test_rank_items_build_every_pair_or_every_candidate() -> None:
    pairs = rank_items("pairwise", "q", ["a", "b", "c"], id_prefix="q7/")
    assert [(p.id, p.response_1, p.response_2) for p in pairs] == [  # type: ignore[union-attr]
        ("q7/0-1", "a", "b"),
        ("q7/0-2", "a", "c"),
        ("q7/1-2", "b", "c"),
    ]
    singles = rank_items("rate", "q", ["a", "b"])
    assert [(s.id, s.response) for s in singles if isinstance(s, SingleItem)] == [("0", "a"), ("1", "b")]
    with pytest.raises(ValueError, match="no candidates"):
        rank_items("rate", "q", [])


def _by_quality(prompt: Prompt) -> str:
    """A scripted judge that prefers the response with the higher 'quality N' mark (ties: tie)."""
    text = prompt.render()
    marks = [int(m) for m in re.findall(r"quality (\d+)", text)]
    if "[Response 2]" not in text:
        return f"Fine.\n\nRating: [[{marks[0]}]]"
    first, second = marks[0], marks[1]
    choice = "Response 1" if first > second else "Response 2" if second > first else "Tie"
    return f"Reasons.\n\nSo, the final decision is {choice}."


def test_a_judge_ranks_four_candidates_by_tournament_and_by_rating() -> None:
    judge = Judge(FakeBackend(script=_by_quality), cache=False)
    candidates = ["quality 2", "quality 9", "quality 5", "quality 9"]
    ranked = judge.rank("Which is best?", candidates)
    assert ranked.order == (1, 3, 2, 0) and ranked.best == 1
    assert ranked.scores == (0.0, 2.5, 1.0, 2.5)
    assert ranked.matrix is not None and ranked.matrix[1][3] == "tie" and ranked.matrix[0][1] == "loss"
    assert len(ranked.results) == 6 and all(r.swapped is not None for r in ranked.results)
    rated = judge.rank("Which is best?", candidates, method="rate")
    assert rated.order == (1, 3, 2, 0) and rated.scores == (2, 9, 5, 9)
    judge.close()


def test_a_position_biased_judge_ranks_nothing_above_anything() -> None:
    judge = Judge(FakeBackend(script=lambda _: "So, the final decision is Response 1."), cache=False)
    ranked = judge.rank("q", ["a", "b", "c", "d"])
    assert set(o for row in ranked.matrix or () for o in row if o) == {"split"}
    assert ranked.scores == (1.5, 1.5, 1.5, 1.5) and ranked.order == (0, 1, 2, 3)
    judge.close()


def test_ranking_of_checks_the_number_of_results() -> None:
    with pytest.raises(ValueError, match="1 results for the 3 pairs"):
        ranking_of("pairwise", 3, [_judged(R1, R2)])


@pytest.mark.parametrize(
    ("record", "field", "message"),
    [
        ({"prompt": "q", "candidates": ["one"]}, "candidates", "at least 2"),
        ({"prompt": "q"}, "candidates", "--candidates-field"),
        ({"prompt": "q", "candidates": {"a": "x"}}, "candidates", "expected a list"),
        ({"prompt": "q", "candidates": ["x", 3]}, "candidates[1]", "expected text, got int"),
        ({"prompt": "q", "candidates": ["x", "  "]}, "candidates[1]", "empty text"),
        (
            {"prompt": "q", "candidates": [{"response": "x"}, {"text": "y"}]},
            "candidates[1].response",
            "--candidate-text-field",
        ),
        (
            {"prompt": "q", "candidates": [{"response": "x", "name": ["m"]}, "y"]},
            "candidates[0].name",
            "must be text",
        ),
        (
            {"prompt": "q", "candidates": [{"response": "x", "name": "m"}, {"response": "y", "name": "m"}]},
            "candidates",
            "must differ",
        ),
        ({"prompt": "q", "candidates": "[1, 2"}, "candidates", "not a JSON list"),
        ({"candidates": ["x", "y"]}, "prompt", "--query-field"),
        ({"prompt": 5, "candidates": ["x", "y"]}, "prompt", "expected text"),
    ],
)
def test_bad_ranking_records_name_their_field(
    tmp_path: Path, record: dict[str, object], field: str, message: str
) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    queries, problems = load_rank_queries(path)
    assert queries == []
    [problem] = problems
    assert (problem.line, problem.field) == (1, field)
    assert message in problem.message


def test_ranking_records_give_texts_names_and_ids(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    rows = [
        {"prompt": "q1", "candidates": ["a", "b"]},
        {"id": 7, "prompt": "q2", "candidates": [{"response": "x", "name": "gpt"}, {"response": "y"}]},
        {"question": "q3", "outs": '[{"text": "u", "who": "m1"}, {"text": "v", "who": "m2"}]', "id": "z"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    first, problems = load_rank_queries(path)
    assert [(q.id, q.query, q.candidates, q.names) for q in first[:2]] == [
        ("1", "q1", ("a", "b"), ("0", "1")),
        ("7", "q2", ("x", "y"), ("gpt", "1")),
    ]
    assert [p.field for p in problems] == ["prompt"]  # the third uses other names
    mapped = RankFields(query="question", candidates="outs", text="text", name="who")
    third, _ = load_rank_queries(path, mapped)
    assert [(q.id, q.candidates, q.names) for q in third] == [("z", ("u", "v"), ("m1", "m2"))]
