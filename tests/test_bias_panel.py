"""The bias panel (position, length, style) on the terminal, in JSON and in both report pages, and
the report's warnings from a results file alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import released_predictions, shared_file

from autoj.evaluate.reliability import DEGENERATE_WARNING
from autoj.io.results import Result, ResultsWriter
from autoj.report import load_runs, render
from autoj.report.evaluation import load_evaluation
from autoj.report.evaluation_page import render_evaluation
from autoj.stats.bias import bias_panel
from autoj.stats.style import markdown_counts, markdown_elements
from autoj.types import Judgment, PairItem, Verdict

R1, R2, TIE = Verdict.RESPONSE_1, Verdict.RESPONSE_2, Verdict.TIE


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("Just prose, with a * star and 2. numbers.", (0, 0, 0)),
        ("# Title\n\n- a\n- b\n\n**bold** and `code`", (1, 2, 1)),
        ("1. first\n2. second\n   * nested\n__also bold__", (0, 3, 1)),
        ("#hashtag, not a header\n| a | b |\n|---|---|\n", (0, 0, 0)),
        ("```md\n# fenced\n- code\n**x**\n```\nafter", (0, 0, 0)),
    ],
)
def test_markdown_counts_are_arena_hards(text: str, counts: tuple[int, int, int]) -> None:
    """The style counts Arena-Hard's style control uses (headers, list items, bold; fenced code
    left out): the bias panel's "more markdown" and Bradley-Terry's style terms share them."""
    assert markdown_counts(text) == counts
    assert markdown_elements(text) == sum(counts)


def test_panel_figures() -> None:
    plain, rich = "a long plain answer " * 3, "# Head\n\n- one\n- two"
    pairs = [(plain, rich), (rich, plain), (plain, rich), ("short", "a longer answer")]
    # the judge always names the position shown first: both orders, every verdict flips
    panel = bias_panel(pairs, [R1] * 4, [R1] * 4, [R2, R1, R1, None])
    assert panel.response_1_share.value == 1.0 and panel.response_1_share.n == 8
    assert panel.order_flips.value == 1.0 and panel.order_flips.n == 4
    assert panel.judge_prefers_longer.n == 0  # every final verdict is a tie (the orders disagree)
    # people: more markdown wins on pairs 0 and 1, loses on pair 2; pair 3 has no label
    assert panel.human_prefers_more_markdown.value == pytest.approx(2 / 3)
    assert panel.human_prefers_longer.value == pytest.approx(1 / 3)
    one_order = bias_panel(pairs, [R2, R1, R2, R2], [None] * 4, [None] * 4)
    assert one_order.order_flips.n == 0 and one_order.judge_prefers_more_markdown.value == 1.0
    assert one_order.judge_prefers_longer.value == pytest.approx(1 / 4)
    assert one_order.to_dict()["judge_prefers_longer"]["n"] == 4


def test_bias_of_auto_j_released_predictions() -> None:
    shared_file("autoj/test/testdata_pairwise.jsonl")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autoj",
            "bias",
            *released_predictions(),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["n"] == 1392 and found["order_flips"]["n"] == 1392
    assert found["judge_prefers_longer"]["value"] > found["human_prefers_longer"]["value"]
    low, high = found["order_flips"]["ci"]
    assert low < found["order_flips"]["value"] < high


def _position_judge_results(path: Path) -> Path:
    """Evaluate-style results of a judge that always names the response shown first."""
    with ResultsWriter(path) as writer:
        for n in range(12):
            item = PairItem(
                f"q{n}", "ref " * n, "out", id=f"m:{n}", meta={"model": "m", "reference": "r", "key": str(n)}
            )
            first = Judgment("pairwise", "ok", "", verdict=R1)
            writer.write(Result(item, first, first, provenance={"judge": "always-first"}))
    return path


def test_reports_of_results_alone_carry_warnings_and_the_panel(tmp_path: Path) -> None:
    results = _position_judge_results(tmp_path / "evaluate.jsonl")
    page = render_evaluation(load_evaluation([results]), "t")
    assert DEGENERATE_WARNING in page and "The judge&#x27;s biases in this run" in page
    generic = render(load_runs([results]))
    biases = generic[generic.index('<section id="biases">') :]
    assert DEGENERATE_WARNING in biases and "the longer response wins" in biases


def _two_boards(folder: Path) -> list[Path]:
    """Two judges' boards over the same three models."""
    from autoj.evaluate.leaderboard import LeaderboardRow, update_board

    rates = {
        "openai:gpt-4o-mini": {"gpt-4-turbo": 70.0, "llama-3-8b": 40.0, "mistral-7b": 30.0},
        "claude-3-haiku": {"gpt-4-turbo": 60.0, "llama-3-8b": 42.0, "mistral-7b": 32.0},
    }
    boards = []
    for n, (judge, models) in enumerate(rates.items()):
        rows = [
            LeaderboardRow(m, win_rate=r, standard_error=1.0, n_total=100, judge=judge)
            for m, r in models.items()
        ]
        boards.append(folder / f"board{n}.csv")
        update_board(boards[-1], rows)
    return boards


def test_self_preference_from_a_board_with_two_judges(tmp_path: Path) -> None:
    from autoj.evaluate.leaderboard import read_board
    from autoj.trust.selfpref import family_of, self_preference

    assert (family_of("openai:gpt-4o-mini"), family_of("Meta-Llama-3"), family_of("base")) == (
        "openai",
        "meta",
        None,
    )
    boards = _two_boards(tmp_path)
    rows = [row for board in boards for row in read_board(board)]
    assert len(rows) == 6
    found = self_preference(rows, "openai:gpt-4o-mini")
    assert found is not None and found.estimate is not None
    # +10 on its own family's model, -2 on the others: 12 points of self-preference
    assert found.estimate.estimate == pytest.approx(12.0)
    assert found.estimate.ci_low < 12.0 < found.estimate.ci_high
    assert self_preference(rows, "claude-3-haiku") is None  # no Anthropic model on the board
    results = _position_judge_results(tmp_path / "r.jsonl")
    done = subprocess.run(
        [sys.executable, "-m", "autoj", "bias", str(results), "--board", str(boards[0]), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "--board-judge" in done.stderr  # always-first is not on the board
    done = subprocess.run(
        [sys.executable, "-m", "autoj", "bias", str(results), "--board", str(boards[0]), "--board",
         str(boards[1]), "--board-judge", "openai:gpt-4o-mini", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["self_preference"]["estimate"]["estimate"] == pytest.approx(12.0)
