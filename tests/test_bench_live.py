"""Live benchmarks end to end on the shipped fake backend: pairwise, ratings, ranking, sampling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autoj.backends.fake import FakeBackend
from autoj.bench.pairwise import bench_pairwise
from autoj.bench.ranking import bench_ranking, ranking_report, reference_scores
from autoj.bench.ratings import bench_ratings
from autoj.bench.sampling import stratified_sample
from autoj.data import datadir
from autoj.types import PairItem, Prompt, SingleItem, Verdict

R1, R2, TIE = Verdict.RESPONSE_1, Verdict.RESPONSE_2, Verdict.TIE


def _longer_judge(prompt: Prompt) -> str:
    """A scripted judge that always picks the longer response, whatever the order."""
    text = prompt.render()
    first = text.split("[Response 1]:", 1)[1].split("***", 1)[0]
    second = text.split("[Response 2]:", 1)[1].split("***", 1)[0]
    choice = "Response 1" if len(first) > len(second) else "Response 2"
    return f"1. The key factors...\n\n2. The final decision:\n\nSo, the final decision is {choice}."


def _pairs() -> list[PairItem]:
    return [
        PairItem("q1", "a long and careful answer", "short", id="1", scenario="chitchat", label=R1),
        PairItem("q2", "tiny", "a much longer answer here", id="2", scenario="chitchat", label=R1),
        PairItem("q3", "x", "a longer one", id="3", scenario="code_generation", label=TIE),
        PairItem("q4", "longer reply", "y", id="4", scenario="code_generation", label=R1),
    ]


def test_live_pairwise_matches_the_longer_wins_baseline(tmp_path: Path) -> None:
    out = tmp_path / "pairs.jsonl"
    report = bench_pairwise(_pairs(), FakeBackend(script=_longer_judge), out, protocol="autoj")
    judge, base = report.judge.overall, report.baseline.overall
    assert judge.consistency == 1.0 and judge.parse_failure_rate == 0.0
    assert judge.agreement == pytest.approx(2 / 4) == base.agreement
    assert judge.length_bias.judge_prefers_longer == 1.0
    assert len(out.read_text().splitlines()) == 4
    # resumed: nothing left to judge, so an empty script is never called
    again = bench_pairwise(_pairs(), FakeBackend(script=[]), out, protocol="autoj")
    assert again.judge.overall == judge


def test_cli_pairwise_on_user_data_with_fake_judge(tmp_path: Path) -> None:
    from autoj.cli import bench_cmds  # noqa: F401
    from autoj.cli.main import app

    data = tmp_path / "mine.jsonl"
    rows = [
        {"prompt": f"q{n}", "response 1": f"answer {n}", "response 2": "other", "pref": "A"} for n in range(6)
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "res.jsonl"
    args = ["bench", "pairwise", "--data", str(data), "--label-field", "pref", "--judge", "fake"]
    args += ["--output", str(out), "--limit", "4", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["judge"]["overall"]["n"] == 4
    assert report["meta"]["judge"] == "fake"
    # rows without a scenario are placed in groups by the shipped scenario classifier
    from autoj.scenarios import GROUPS

    groups = report["judge"]["groups"]
    assert groups and set(groups) <= set(GROUPS)
    assert sum(g["n"] for g in groups.values()) == 4
    assert len(out.read_text().splitlines()) == 4


def test_stratified_sample_is_seeded_and_spread() -> None:
    items = [(s, n) for s in "abcd" for n in range(5)]
    picked = stratified_sample(items, lambda i: i[0], per_stratum=2, seed=3)
    assert len(picked) == 8 and {s for s, _ in picked} == set("abcd")
    assert picked == stratified_sample(items, lambda i: i[0], per_stratum=2, seed=3)
    assert picked != stratified_sample(items, lambda i: i[0], per_stratum=2, seed=4)
    limited = stratified_sample(items, lambda i: i[0], limit=3, seed=0)
    assert len(limited) == 3 and len({s for s, _ in limited}) == 3
    assert stratified_sample(items, lambda i: i[0]) == items


def test_ratings_correlate_and_best_of_n(tmp_path: Path) -> None:
    items = [
        SingleItem("q1", "bad", id="1", reference_score=1.0),
        SingleItem("q1", "good", id="2", reference_score=9.0),
        SingleItem("q2", "ok", id="3", reference_score=5.0),
        SingleItem("q2", "great", id="4", reference_score=8.0),
    ]
    scores = {"bad": 2, "good": 8, "ok": 4, "great": 7}

    def rater(prompt: Prompt) -> str:
        response = prompt.render().split("[Response]:", 1)[1].split("***", 1)[0].strip()
        return f"Fine.\n\nRating: [[{scores[response]}]]"

    report = bench_ratings(items, FakeBackend(script=rater), tmp_path / "r.jsonl", protocol="autoj")
    assert report.correlations.spearman == pytest.approx(1.0)
    assert report.best_of_n.mean_picked_reference == pytest.approx((9.0 + 8.0) / 2)
    assert report.parse_failures == 0


def test_ranking_report_correlates_means() -> None:
    ratings = {"a": [8.0, 9.0, None], "b": [5.0, 6.0], "c": [2.0, 3.0], "d": [None]}
    report = ranking_report(ratings, {"ref": {"a": 90.0, "b": 50.0, "c": 10.0, "x": 1.0}})
    assert report.mean_ratings == {"a": 8.5, "b": 5.5, "c": 2.5, "d": None}
    assert report.rated == {"a": 2, "b": 2, "c": 2, "d": 0}
    assert report.correlations["ref"].n == 3
    assert report.correlations["ref"].spearman == pytest.approx(1.0)


@pytest.mark.data
def test_reference_leaderboards_match_systems_with_outputs() -> None:
    leaderboard = "alpaca_eval/leaderboards/benchmarks_with_arena_elo.csv"
    if datadir.data_path(leaderboard) is None:
        pytest.skip(datadir.missing_data_message(leaderboard))
    references = reference_scores()
    assert len(references["alpacaeval-1"]) == 26
    assert len(references["arena-elo"]) == 38
    assert references["arena-elo"]["gpt4_1106_preview"] == 1254.0  # April: Feb is blank
    assert references["arena-elo"]["claude-2"] == 1126.0
    assert "text_davinci_003" in references["alpacaeval-1"]
    assert "gpt-4o-2024-05-13" not in references["arena-elo"]


@pytest.mark.data
def test_ranking_end_to_end_on_fake(tmp_path: Path) -> None:
    outputs = "alpaca_eval/model_outputs/gemini-pro.json.gz"
    if datadir.data_path(outputs) is None:
        pytest.skip(datadir.missing_data_message(outputs))
    systems = ["gemini-pro", "llama-2-70b-chat-hf", "claude-2", "vicuna-33b-v1.3"]
    out = tmp_path / "rank.jsonl"
    report = bench_ranking("fake", out, systems=systems, instructions=3)
    assert report.rated == dict.fromkeys(sorted(systems), 3)
    assert report.correlations["arena-elo"].n == 4
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 12
    # the same instructions for every system, whatever the order of its file
    queries = {s: {r["item"]["query"] for r in lines if r["id"].startswith(s)} for s in systems}
    assert len({frozenset(q) for q in queries.values()}) == 1
