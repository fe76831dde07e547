"""Where a judge can be trusted: agreement per scenario group beside longer-wins, and the marks
that `autoj trust`, `evaluate --judge-bench` and the report carry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import released_predictions, shared_file

from autoj.bench.pairwise_report import ScoredPair
from autoj.cli.evaluate_cmds import _groups_table
from autoj.evaluate.leaderboard import LeaderboardRow
from autoj.evaluate.reliability import bench_figures, reliability
from autoj.io.results import Result, ResultsWriter
from autoj.report.evaluation import Evaluation
from autoj.report.evaluation_page import render_evaluation
from autoj.trust.trustmap import NOT_RELIABLE, not_reliable, trust_map
from autoj.types import Judgment, PairItem, Verdict

R1, R2 = Verdict.RESPONSE_1, Verdict.RESPONSE_2


def _pair(n: int, scenario: str, judge_right: bool) -> ScoredPair:
    """Response 1 is the longer one and people prefer it on two pairs of three."""
    label = R1 if n % 3 else R2
    verdict = label if judge_right else label.swapped()
    return ScoredPair(label, verdict, verdict.swapped(), 30 + n, 10, id=str(n), scenario=scenario)


def test_a_group_where_the_judge_is_not_above_longer_wins_is_marked() -> None:
    pairs = [_pair(n, "code_generation", True) for n in range(30)]
    pairs += [_pair(n, "writing_cooking_recipe", n % 3 == 0) for n in range(30, 60)]
    found = {
        g.group: g for g in trust_map(pairs, lambda s: {"code_generation": "Code"}.get(s or "", "Writing"))
    }
    assert list(found) == ["all", "Code", "Writing"]
    assert found["Code"].agreement == 1.0 and found["Code"].reliable
    writing = found["Writing"]
    assert writing.agreement == pytest.approx(10 / 30) and writing.longer_wins_agreement == pytest.approx(
        20 / 30
    )
    assert writing.margin == pytest.approx(-10 / 30) and not writing.reliable
    assert writing.margin_ci is not None and writing.margin_ci.low < writing.margin < writing.margin_ci.high
    assert not_reliable(list(found.values())) == ["Writing"]
    assert not_reliable({k: g.to_dict() for k, g in found.items()}) == ["Writing"]


def test_the_trust_map_of_auto_j_released_predictions_on_eval_p() -> None:
    shared_file("autoj/test/testdata_pairwise.jsonl")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autoj",
            "trust",
            *released_predictions(),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    overall = found["groups"]["all"]
    assert overall["n"] == 1392
    assert overall["longer_wins_agreement"] == pytest.approx(732 / 1392)  # the published 52.59
    assert overall["agreement"] == pytest.approx(0.5496, abs=1e-4)
    assert found["not_reliable_groups"] == ["Code", "Rewriting", "Summarization"]
    summarization = found["groups"]["Summarization"]
    assert summarization["margin"] == pytest.approx(
        summarization["agreement"] - summarization["longer_wins_agreement"]
    )


def _bench_file(path: Path) -> Path:
    """A bench pairwise results file: right on coding pairs, against people on the others."""
    with ResultsWriter(path) as writer:
        for n in range(40):
            scenario = "code_generation" if n < 20 else "writing_cooking_recipe"
            label = R1 if n % 3 else R2
            verdict = label if n < 20 else label.swapped()
            item = PairItem("q", "x" * (30 + n), "y" * 10, id=str(n), scenario=scenario, label=label)
            writer.write(
                Result(
                    item,
                    Judgment("pairwise", "ok", "", verdict=verdict),
                    Judgment("pairwise", "ok", "", verdict=verdict.swapped()),
                )
            )
    return path


def test_evaluate_and_the_report_mark_groups_from_the_judge_benchmark(tmp_path: Path) -> None:
    bench = _bench_file(tmp_path / "bench.jsonl")
    figures = bench_figures(bench)
    assert figures["not_reliable_groups"] == ["Functional Writing"]
    assert figures["groups"]["Code"]["reliable"] is True
    judged = reliability("fake", [], bench=bench)
    assert any(w.startswith(f"{NOT_RELIABLE} (Functional Writing)") for w in judged.warnings)
    groups = {"Code": {"win_rate": 60.0, "n": 10}, "Functional Writing": {"win_rate": 90.0, "n": 10}}
    row = LeaderboardRow(
        "model-a", win_rate=70.0, n_total=20, scenario_groups=groups, reliability=judged.to_dict()
    )
    table = _groups_table([row])
    assert table is not None
    assert [str(c.header) for c in table.columns] == [
        "model",
        "Code",
        f"Functional Writing\n({NOT_RELIABLE})",
    ]
    page = render_evaluation(Evaluation([row]), "t")
    judge_section = page[page.index('<section id="judge">') : page.index('<section id="plots">')]
    assert NOT_RELIABLE in judge_section and "Functional Writing" in judge_section
    plots = page[page.index('<section id="plots">') :]
    assert '"Code"' in plots and '"Functional Writing"' not in plots  # out of the heatmap
