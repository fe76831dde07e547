"""Arena-Hard-Auto: the authors' judge prompt byte for byte, their verdict reading, their score.

The expected texts are the authors' own, copied from lmarena/arena-hard-auto (commit 196f6b8):
`OG_ARENA_HARD_PROMPT` in utils/judge_utils.py (the v0.1 config/judge_config.yaml system prompt
is the same text) and `prompt_template` in config/arena-hard-v0.1.yaml. The score is checked
against a plain re-implementation of their v0.1 show_result.py steps (pandas, their seed and
their resampling) on a small hand-made table.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from functools import cache

import numpy as np
import pandas as pd
import pytest

from autoj.evaluate.benchmark_scores import arena_hard_battles, arena_hard_rows
from autoj.io.results import Result
from autoj.protocols import get_protocol
from autoj.protocols.base import load_template
from autoj.protocols.families.arena_hard import verdict_label
from autoj.stats.arena_hard import arena_hard_scores, game_battles
from autoj.stats.bradley_terry import Battle
from autoj.types import Judgment, Message, PairItem, Verdict

AUTHORS_SYSTEM_PROMPT = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by "
    "two AI assistants to the user prompt displayed below. You will be given assistant A's "
    "answer and assistant B's answer. Your job is to evaluate which assistant's answer is "
    "better.\n"
    "\n"
    "Begin your evaluation by generating your own answer to the prompt. You must provide your "
    "answers before judging any answers.\n"
    "\n"
    "When evaluating the assistants' answers, compare both assistants' answers with your "
    "answer. You must identify and correct any mistakes or inaccurate information.\n"
    "\n"
    "Then consider if the assistant's answers are helpful, relevant, and concise. Helpful "
    "means the answer correctly responds to the prompt or follows the instructions. Note when "
    "user prompt has any ambiguity or more than one interpretation, it is more helpful and "
    "appropriate to ask for clarifications or more information from the user than providing an "
    "answer based on assumptions. Relevant means all parts of the response closely connect or "
    "are appropriate to what is being asked. Concise means the response is clear and not "
    "verbose or excessive.\n"
    "\n"
    "Then consider the creativity and novelty of the assistant's answers when needed. Finally, "
    "identify any missing important information in the assistants' answers that would be "
    "beneficial to include when responding to the user prompt.\n"
    "\n"
    "After providing your explanation, you must output only one of the following choices as "
    "your final verdict with a label:\n"
    "\n"
    "1. Assistant A is significantly better: [[A>>B]]\n"
    "2. Assistant A is slightly better: [[A>B]]\n"
    "3. Tie, relatively the same: [[A=B]]\n"
    "4. Assistant B is slightly better: [[B>A]]\n"
    "5. Assistant B is significantly better: [[B>>A]]\n"
    "\n"
    'Example output: "My final verdict is tie: [[A=B]]".'
)
AUTHORS_PROMPT_TEMPLATE = (
    "<|User Prompt|>\n{QUESTION}\n\n<|The Start of Assistant A's Answer|>\n{ANSWER_A}\n"
    "<|The End of Assistant A's Answer|>\n\n<|The Start of Assistant B's Answer|>\n{ANSWER_B}\n"
    "<|The End of Assistant B's Answer|>"
)


def test_shipped_templates_are_the_authors_text() -> None:
    assert load_template("arena_hard_system.txt") == AUTHORS_SYSTEM_PROMPT
    assert load_template("arena_hard_user.txt") == AUTHORS_PROMPT_TEMPLATE


def test_rendered_prompt_is_what_their_gen_judgment_sends() -> None:
    item = PairItem(
        query="Write a Python dict literal {x: 1} and explain {QUESTION}.",
        response_1="Baseline: `{'x': 1}`\n\nDone.",
        response_2="Model: {ANSWER_A} is a placeholder, {} too.",
    )
    prompt = get_protocol("arena-hard").prompt(item)
    # their pairwise_judgment: system = the category's system prompt, user = template.format(...)
    expected_user = AUTHORS_PROMPT_TEMPLATE.format(
        QUESTION=item.query, ANSWER_A=item.response_1, ANSWER_B=item.response_2
    )
    assert prompt.messages == (Message("system", AUTHORS_SYSTEM_PROMPT), Message("user", expected_user))
    swapped = get_protocol("arena-hard").prompt(item.swapped())
    assert swapped.messages[1].content == AUTHORS_PROMPT_TEMPLATE.format(
        QUESTION=item.query, ANSWER_A=item.response_2, ANSWER_B=item.response_1
    )


def test_single_items_are_refused() -> None:
    from autoj.protocols.base import ProtocolInputError
    from autoj.types import SingleItem

    with pytest.raises(ProtocolInputError, match="compares two responses"):
        get_protocol("arena-hard").prompt(SingleItem(query="q", response="r"))


@pytest.mark.parametrize(
    ("text", "label", "verdict"),
    [
        ("My own answer: 4.\n\nMy final verdict is tie: [[A=B]]", "A=B", Verdict.TIE),
        ("... Assistant A is significantly better: [[A>>B]]", "A>>B", Verdict.RESPONSE_1),
        ("slightly: [[A>B]].", "A>B", Verdict.RESPONSE_1),
        ("[[B>A]]", "B>A", Verdict.RESPONSE_2),
        ("My final verdict is: [[B>>A]]", "B>>A", Verdict.RESPONSE_2),
        # the text is upper-cased first, as get_score does
        ("final verdict: [[b>>a]]", "B>>A", Verdict.RESPONSE_2),
        # the last match wins (a judge may quote the options before deciding)
        ("Options are [[A>>B]] ... [[B>>A]]. My final verdict is [[A=B]]", "A=B", Verdict.TIE),
        # the single-bracket pattern is their backup, used only without any double-bracket label
        ("My final verdict: [B>A]", "B>A", Verdict.RESPONSE_2),
        ("[A>B] first, then [[B>A]]", "B>A", Verdict.RESPONSE_2),
    ],
)
def test_verdict_parser(text: str, label: str, verdict: Verdict) -> None:
    assert verdict_label(text) is not None and verdict_label(text)[0] == label  # type: ignore[index]
    judgment = get_protocol("arena-hard").parse_pairwise(text)
    assert judgment.ok and judgment.verdict == verdict


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I cannot decide.", "no verdict [[A>>B]] / [[A>B]] / [[A=B]] / [[B>A]] / [[B>>A]] found"),
        ("My final verdict is [[A<B]]", "[[A<B]] is not one of the five verdicts"),
        ("My final verdict is [[AB]]", "[[AB]] is not one of the five verdicts"),
    ],
)
def test_verdict_parser_failures(text: str, reason: str) -> None:
    judgment = get_protocol("arena-hard").parse_pairwise(text)
    assert judgment.status == "parse_error" and judgment.verdict is None
    assert judgment.reason == reason


def test_a_strong_verdict_is_three_battles() -> None:
    # game 1: the baseline is Assistant A; game 2: the model is
    # game 1 shows the baseline as Assistant A, game 2 the model; outcome 1 = the baseline won
    assert game_battles("A>>B", "base", "m", "q", baseline_first=True) == [Battle("base", "m", "q", 1.0)] * 3
    assert game_battles("A>B", "base", "m", "q", baseline_first=False) == [Battle("base", "m", "q", 0.0)]
    assert game_battles("B>>A", "base", "m", "q", baseline_first=False) == [Battle("base", "m", "q", 1.0)] * 3
    assert game_battles("A=B", "base", "m", "q", baseline_first=False) == [Battle("base", "m", "q", 0.5)]
    assert game_battles(None, "base", "m", "q", baseline_first=True) == []
    assert game_battles("A<B", "base", "m", "q", baseline_first=True) == []


# --- the score, against the authors' algorithm -------------------------------------------------

BASELINE = "gpt-4-0314"
ROUNDS = 12  # their --num-rounds (100 by default): fewer keeps the test fast, the steps are the same
# (model, game 1 label, game 2 label): game 1 shows the baseline as A, game 2 shows the model as A.
TABLE = [
    *[("model-x", g1, g2) for g1, g2 in [
        ("B>A", "A>B"), ("B>>A", "A>>B"), ("A=B", "A=B"), ("A>B", "A>B"), ("B>A", "B>A"),
        ("A>>B", "B>>A"), ("B>A", "A=B"), ("B>>A", "A>B"), ("A>B", "B>A"), ("B>A", None),
        ("A=B", "A>B"), ("B>A", "A>>B"),
    ]],
    *[("model-y", g1, g2) for g1, g2 in [
        ("A>B", "B>A"), ("A>>B", "B>>A"), ("A=B", "B>A"), ("B>A", "A>B"), ("A>B", "A=B"),
        ("A>B", "B>>A"), ("A=B", "A=B"), ("B>A", "B>A"), ("A>>B", "B>A"), ("A>B", "A>B"),
        ("A<B", "B>A"), ("B>>A", "A>B"),
    ]],
]  # fmt: skip


def _their_battles(weight: int = 3) -> pd.DataFrame:
    """show_result.get_battles_from_judgment, step by step, on the table."""
    battles = pd.DataFrame()
    for question, (model, g1, g2) in enumerate(TABLE):
        for game, score in enumerate((g1, g2)):
            output = {"question_id": question, "model_a": BASELINE, "model_b": model}
            first = "model_a" if game == 0 else "model_b"
            second = "model_b" if game == 0 else "model_a"
            w = 1
            if score == "A=B":
                output["winner"] = "tie"
            elif score == "A>B":
                output["winner"] = first
            elif score == "A>>B":
                output["winner"] = first
                w = weight
            elif score == "B>A":
                output["winner"] = second
            elif score == "B>>A":
                output["winner"] = second
                w = weight
            else:
                w = 0
            if w:
                battles = pd.concat([battles, pd.DataFrame([output] * w)])
    return battles


def _their_mle_elo(df: pd.DataFrame) -> pd.Series:
    """show_result.compute_mle_elo with its defaults."""
    from sklearn.linear_model import LogisticRegression

    models = pd.concat([df["model_a"], df["model_b"]]).unique()
    models = pd.Series(np.arange(len(models)), index=models)
    df = pd.concat([df, df], ignore_index=True)
    p, n = len(models.index), df.shape[0]
    x = np.zeros([n, p])
    x[np.arange(n), models[df["model_a"]]] = +math.log(10)
    x[np.arange(n), models[df["model_b"]]] = -math.log(10)
    y = np.zeros(n)
    y[df["winner"] == "model_a"] = 1.0
    tie_idx = (df["winner"] == "tie") | (df["winner"] == "tie (bothbad)")
    tie_idx[len(tie_idx) // 2 :] = False
    y[tie_idx] = 1.0
    lr = LogisticRegression(fit_intercept=False, penalty=None, tol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # penalty=None, deprecated in scikit-learn 1.8
        lr.fit(x, y)
    elo = 400 * lr.coef_[0] + 1000
    elo += 1000 - elo[models[BASELINE]]
    return pd.Series(elo, index=models.index).sort_values(ascending=False)


@cache
def _their_scores() -> dict[str, tuple[float, float, float]]:
    """show_result.py's main: the point fit, bootstrap rounds (--num-rounds) after np.random.seed(42),
    the 2.5 / 97.5 percentiles, each turned into the win rate against the baseline."""
    battles = _their_battles()
    point = _their_mle_elo(battles)
    np.random.seed(42)
    rounds = pd.DataFrame([_their_mle_elo(battles.sample(frac=1.0, replace=True)) for _ in range(ROUNDS)])
    scores = {}
    for model in point.index:
        if model == BASELINE:
            continue
        lower, upper = np.percentile(rounds[model], 2.5), np.percentile(rounds[model], 97.5)
        # predict_win_rate against the baseline's 1000 (its value in every column)
        scores[model] = tuple(100 / (1 + 10 ** ((1000 - e) / 400)) for e in (point[model], lower, upper))
    return scores  # type: ignore[return-value]


def _results() -> list[Result]:
    def judged(label: str | None) -> Judgment:
        if label is None:
            return Judgment("pairwise", "parse_error", raw="no verdict", reason="no verdict")
        return get_protocol("arena-hard").parse_pairwise(f"My answer: ...\n\nMy final verdict is [[{label}]]")

    return [
        Result(
            PairItem(
                "q", "baseline answer", f"{model} answer " * (n + 1), id=f"{model}:{n}",
                meta={"model": model, "reference": BASELINE, "key": str(n)},
            ),
            judged(g1),
            judged(g2),
        )
        for n, (model, g1, g2) in enumerate(TABLE)
    ]  # fmt: skip


def test_score_matches_their_show_result_on_a_small_table() -> None:
    theirs = _their_scores()
    ours = arena_hard_scores(arena_hard_battles(_results()), BASELINE, rounds=ROUNDS)
    assert set(ours) == set(theirs) == {"model-x", "model-y"}
    for model, (score, low, high) in theirs.items():
        mine = ours[model]
        assert mine.score == pytest.approx(score, abs=1e-6)
        assert mine.ci_low == pytest.approx(low, abs=1e-6)
        assert mine.ci_high == pytest.approx(high, abs=1e-6)
        # and the same figures as their CSV rounds them
        assert (round(mine.score, 2), round(mine.ci_low, 2), round(mine.ci_high, 2)) == tuple(
            round(v, 2) for v in (score, low, high)
        )
    # the table was made so that x beats the baseline and y loses to it
    assert ours["model-x"].score > 50 > ours["model-y"].score
    assert ours["model-x"].ci_low < ours["model-x"].score < ours["model-x"].ci_high


def test_battles_are_built_as_theirs() -> None:
    theirs = _their_battles()
    winner = {1.0: "model_a", 0.0: "model_b", 0.5: "tie"}
    ours = [(b.model_a, b.model_b, winner[b.outcome]) for b in arena_hard_battles(_results())]
    assert ours == list(theirs[["model_a", "model_b", "winner"]].itertuples(index=False, name=None))


def test_rows() -> None:
    rows = arena_hard_rows(_results(), "judge-x", rounds=ROUNDS)
    assert [r.model for r in rows] == ["model-x", "model-y"]
    by_model = {r.model: r for r in rows}
    theirs = _their_scores()
    x = by_model["model-x"]
    assert (x.score, x.score_ci_low, x.score_ci_high) == pytest.approx(theirs["model-x"], abs=1e-6)
    assert (x.benchmark, x.reference, x.judge, x.evaluation) == (
        "arena-hard",
        BASELINE,
        "judge-x",
        "pairwise",
    )
    # every judgment of the table has at least one game that counts
    assert (x.n_total, x.n_unjudged) == (12, 0)
    assert arena_hard_rows(_results()[:12], "j", rounds=2)[0].model == "model-x"


def test_rows_need_one_baseline() -> None:
    results = _results()
    other = Result(
        PairItem("q", "a", "b", id="z", meta={"model": "model-x", "reference": "other", "key": "z"}),
        results[0].judgment,
        results[0].swapped,
    )
    with pytest.raises(Exception, match="against one baseline"):
        arena_hard_rows([*results, other], "j", rounds=2)


def test_counts_per_model() -> None:
    counts: dict[str, int] = defaultdict(int)
    for battle in arena_hard_battles(_results()):
        counts[battle.model_b] += 1
    scores = arena_hard_scores(arena_hard_battles(_results()), BASELINE, rounds=2)
    assert {m: s.n_battles for m, s in scores.items()} == dict(counts)
