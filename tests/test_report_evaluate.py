"""The model-evaluation report: built from `autoj evaluate` results and boards, checked as HTML
and, when Chromium is installed, as a rendered page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("plotly", reason="the report needs the `report` extra (plotly)")

from tests.test_report import _chromium, _chromium_run, _near, _png_pixels

from autoj.evaluate import update_board
from autoj.evaluate.outputs import load_outputs
from autoj.evaluate.run import evaluate_outputs
from autoj.judges.config import JudgeConfig
from autoj.report import load_runs, render
from autoj.report.evaluation import is_evaluation_input, load_evaluation
from autoj.report.evaluation_page import render_evaluation

ARTIFACTS = Path(__file__).resolve().parents[1] / ".artifacts" / "test_report_evaluate"
SCENARIOS = ("code_generation", "writing_cooking_recipe", "math_reasoning", "chitchat")


def _outputs(path: Path, model: str, words: int) -> Path:
    rows = [
        {
            "instruction": f"Task {i}: help with {SCENARIOS[i % 4].replace('_', ' ')}",
            "output": f"{model} answer {i}. " * (1 + (i * words) % 7),
            "generator": model,
            "scenario": SCENARIOS[i % 4],
        }
        for i in range(24)
    ]
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("evaluation")
    reference = load_outputs(_outputs(folder / "ref.json", "base", 3))
    models = [
        load_outputs(_outputs(folder / f"{m}.json", m, w))
        for m, w in (("alpha", 2), ("beta", 5), ("gamma", 4))
    ]
    config = JudgeConfig.load("fake").with_changes(both_orders=True)
    results = folder / "results.jsonl"
    run = evaluate_outputs(models, config, results, reference=reference, classify=False)
    board = folder / "board.csv"
    update_board(board, run.rows)
    return results, board


def test_inputs_are_recognised(evaluation: tuple[Path, Path], tmp_path: Path) -> None:
    results, board = evaluation
    assert is_evaluation_input(results) and is_evaluation_input(board)
    other = tmp_path / "judge.jsonl"
    other.write_text(results.read_text(encoding="utf-8").replace('"key"', '"other"'), encoding="utf-8")
    assert not is_evaluation_input(other)


def test_rows_from_results_match_the_board(evaluation: tuple[Path, Path]) -> None:
    results, board = evaluation
    from_results = {r.model: r for r in load_evaluation([results]).rows}
    from_board = {r.model: r for r in load_evaluation([board]).rows}
    assert set(from_results) == set(from_board) == {"alpha", "beta", "gamma"}
    for model, row in from_results.items():
        assert row.win_rate == pytest.approx(from_board[model].win_rate)
        assert set(row.scenario_groups) == set(from_board[model].scenario_groups)


def test_page_has_the_board_groups_reliability_and_folded_critiques(evaluation: tuple[Path, Path]) -> None:
    page = render_evaluation(load_evaluation(list(evaluation)), "eval test")
    for text in (
        "Leaderboard",
        "LC win rate %",
        "The judge: fake",
        "This run (",
        "consistency",
        "Response 1 share",
        "Length control:",
    ):
        assert text in page
    for div in ("plot-board", "plot-groups", "plot-length"):
        assert f'id="{div}"' in page
    data = json.loads(
        re.search(r'<script type="application/json" id="items-data">(.*?)</script>', page, re.S).group(1)
    )
    assert data["collapsed"] is True and len(data["items"]) == 72
    first = data["items"][0]
    assert first["swapped_critique"] is not None and first["verdict"] in (
        "model wins",
        "reference wins",
        "tie",
    )
    assert first["names"][0].startswith("reference (base)")


def test_judge_benchmark_reports_show_the_longer_wins_baseline(tmp_path: Path) -> None:
    from tests.test_report import _pairs, _write

    from autoj import FakeBackend, Judge

    path = _write(tmp_path / "bench.jsonl", Judge(FakeBackend(seed=0), both_orders=True), _pairs(60))
    runs = load_runs([path])
    assert runs[0].baseline is not None
    page = render(runs)
    assert "longer wins %" in page and "longer response wins (baseline)" in page


def test_cli_report_of_an_evaluation(evaluation: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    done = subprocess.run(
        [sys.executable, "-m", "autoj", "report", *map(str, evaluation), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Win rate against base" in out.read_text(encoding="utf-8")


def test_the_evaluation_page_renders_in_headless_chromium(evaluation: tuple[Path, Path]) -> None:
    _chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = ARTIFACTS / "evaluation.html"
    page.write_text(render_evaluation(load_evaluation(list(evaluation)), "evaluation test"), encoding="utf-8")
    shot = ARTIFACTS / "evaluation.png"
    shot.unlink(missing_ok=True)
    done = _chromium_run(page, "--window-size=1400,1800", f"--screenshot={shot}")
    assert shot.is_file(), done.stderr[-2000:]
    pixels = _png_pixels(shot)
    # raw bars in the first colour; the fake judge's coin tosses give no length-controlled win
    # rate (24 judgments a model, nothing to fit), so the page says why instead of drawing 50s
    assert _near(pixels, "#3366cc") > 3000
    assert "Length control: n/a: the penalised fit kept no term" in page.read_text(encoding="utf-8")
