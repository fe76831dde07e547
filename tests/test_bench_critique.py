"""Eval-C: the released GPT-4 comparison and the live critique comparison on a scripted judge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autoj.backends.fake import FakeBackend
from autoj.bench.critique import (
    CritiqueComparisonProtocol,
    CritiqueItem,
    bench_critique,
    released_gpt4_report,
)
from autoj.bench.data import critique_outcome
from autoj.data import datadir
from autoj.types import PairItem, Prompt, Verdict

COMPARISON = "autoj/outputs/gpt-4-Eval_auto-j_vs_chatgpt.jsonl"


@pytest.mark.parametrize(
    ("text", "exchanged", "expected"),
    [
        ("A: Feedback 1 is significantly better.\n\nReason: ...", False, "win"),
        ("A: Feedback 1 is significantly better.", True, "lose"),
        ("B: Feedback 2 is significantly better.", False, "lose"),
        ("B: Feedback 2 is significantly better.", True, "win"),
        ("C: Neither is significantly better.", True, "tie"),
        ("  A：反馈1明显更好", False, "win"),
        ("Feedback 1 is better. A:", False, None),
        ("D: other", False, None),
        ("", False, None),
    ],
)
def test_critique_outcome_table(text: str, exchanged: bool, expected: str | None) -> None:
    assert critique_outcome(text, exchanged) == expected


@pytest.mark.data
def test_released_gpt4_comparison_gives_171_5_56() -> None:
    path = datadir.data_path(COMPARISON)
    if path is None:
        pytest.skip(datadir.missing_data_message(COMPARISON))
    report = released_gpt4_report(path)
    counts = report.overall
    assert (counts.win, counts.tie, counts.lose, counts.failed) == (171, 5, 56, 0)
    assert round(100 * (counts.win_rate or 0), 2) == 73.71
    assert sum(g.decided for g in report.groups.values()) == 232

    from autoj.cli import bench_cmds  # noqa: F401
    from autoj.cli.main import app

    result = CliRunner().invoke(app, ["bench", "critique", "--comparison", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["overall"]["win_rate"] == pytest.approx(171 / 232)


def test_comparison_prompt_holds_both_critiques_and_the_answer() -> None:
    item = PairItem("Q?", "crit A", "crit B", id="1", meta={"response": "the answer"})
    prompt = CritiqueComparisonProtocol().pairwise_prompt(item)
    text = prompt.render()
    assert "[Critique 1]: crit A" in text and "[Critique 2]: crit B" in text
    assert "[Answer]: the answer" in text and "[Query]: Q?" in text
    protocol = CritiqueComparisonProtocol()
    parsed = protocol.parse_pairwise("reasons\nSo, the final decision is Critique 2")
    assert parsed.verdict is Verdict.RESPONSE_2
    assert not CritiqueComparisonProtocol().parse_pairwise("So, the final decision is maybe").ok


def _prefers(name: str) -> FakeBackend:
    """A scripted judge that always prefers the critique containing `name`."""

    def answer(prompt: Prompt) -> str:
        text = prompt.render()
        first = text.split("[Critique 1]:", 1)[1].split("***", 1)[0]
        choice = "Critique 1" if name in first else "Critique 2"
        if "tie-me" in text:
            choice = "Tie"
        return f"Reasons.\nSo, the final decision is {choice}"

    return FakeBackend(script=answer)


def test_live_comparison_both_orders(tmp_path: Path) -> None:
    items = [
        CritiqueItem(str(n), f"q{n}", f"r{n}", "chitchat", {"a": f"good a{n}", "b": f"b{n}"})
        for n in range(4)
    ]
    items.append(CritiqueItem("9", "q9", "tie-me", "code_generation", {"a": "a9", "b": "b9"}))
    out = tmp_path / "cmp.jsonl"
    report = bench_critique(items, _prefers("good"), out, critic_a="a", critic_b="b")
    assert (report.overall.win, report.overall.tie, report.overall.lose) == (4, 1, 0)
    lines = out.read_text().splitlines()
    assert len(lines) == 5 and all("swapped" in json.loads(line) for line in lines)
    # the judge that prefers whatever critic "b" wrote flips the result; resuming reuses the file
    flipped = bench_critique(items, _prefers("b"), tmp_path / "flip.jsonl", critic_a="a", critic_b="b")
    assert (flipped.overall.win, flipped.overall.lose) == (0, 4)
    again = bench_critique(items, FakeBackend(script=[]), out, critic_a="a", critic_b="b")
    assert again.overall == report.overall
