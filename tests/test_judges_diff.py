"""`autoj judges diff`: model orders, shifts, verdict agreement and the most disputed items."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from scipy.stats import norm
from sklearn.metrics import cohen_kappa_score
from tests.conftest import shared_file

from autoj.evaluate.leaderboard import LeaderboardRow, update_board
from autoj.io.results import Result, ResultsWriter
from autoj.trust.diff import judges_diff, load_side
from autoj.types import Judgment, PairItem, Verdict

R1, R2, TIE = Verdict.RESPONSE_1, Verdict.RESPONSE_2, Verdict.TIE


def _autoj(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autoj", *args], capture_output=True, text=True, timeout=120)


def _board(path: Path, rates: dict[str, float]) -> Path:
    rows = [
        LeaderboardRow(m, win_rate=w, standard_error=2.0, n_total=100, judge="j") for m, w in rates.items()
    ]
    update_board(path, rows, allow_mixed=True)
    return path


def test_two_boards_give_tau_and_shifts(tmp_path: Path) -> None:
    a = _board(tmp_path / "a.csv", {"m1": 70.0, "m2": 50.0, "m3": 30.0})
    b = _board(tmp_path / "b.csv", {"m1": 60.0, "m2": 65.0, "m3": 20.0, "m4": 10.0})
    found = judges_diff(load_side(a), load_side(b))
    assert found.shared == 3 and found.kendall_tau == pytest.approx(1 / 3)
    m2 = next(s for s in found.shifts if s.model == "m2")
    half = norm.ppf(0.975) * (2.0**2 + 2.0**2) ** 0.5
    assert m2.shift is not None and m2.shift.estimate == 15.0
    assert (m2.shift.ci_low, m2.shift.ci_high) == pytest.approx((15.0 - half, 15.0 + half))


def _evaluate_results(path: Path, verdicts: list[tuple[Verdict, Verdict]], critique: str) -> Path:
    """Evaluate-style results of one judge: model x by items 0-9, model y by 10-19."""
    with ResultsWriter(path) as writer:
        for n, (first, swapped) in enumerate(verdicts):
            model = "x" if n < 10 else "y"
            item = PairItem(f"q{n}", "ref", "out", id=f"{model}:{n}", meta={"model": model, "reference": "r"})
            writer.write(
                Result(
                    item,
                    Judgment("pairwise", "ok", "", critique=f"{critique} {n}", verdict=first),
                    Judgment("pairwise", "ok", "", critique=f"{critique} swapped {n}", verdict=swapped),
                )
            )
    return path


def test_two_results_files_give_agreement_kappa_and_disputed_items(tmp_path: Path) -> None:
    a_verdicts = [(R2, R1)] * 8 + [(R1, R2)] * 2 + [(R1, R2)] * 8 + [(R2, R1)] * 2  # x wins 8/10, y 2/10
    b_verdicts = [(R2, R1)] * 5 + [(R1, R2)] * 5 + [(R2, R1)] * 6 + [(R1, R2)] * 4  # x 5/10, y 6/10
    b_verdicts[19] = (TIE, TIE)
    a = _evaluate_results(tmp_path / "a.jsonl", a_verdicts, "A says")
    b = _evaluate_results(tmp_path / "b.jsonl", b_verdicts, "B says")
    done = _autoj("judges", "diff", str(a), str(b), "--json", "--top", "3")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["shared"] == 20 and found["kendall_tau"] == pytest.approx(-1.0)
    shifts = {s["model"]: s for s in found["shifts"]}
    assert (shifts["x"]["a"], shifts["x"]["b"]) == (80.0, 50.0)
    assert shifts["x"]["shift"]["estimate"] == pytest.approx(-30.0)
    assert shifts["x"]["shift"]["ci_low"] < -30.0 < shifts["x"]["shift"]["ci_high"]
    first = [v[0] for v in a_verdicts]
    second = [v[0] if v[0] == v[1].swapped() else TIE for v in b_verdicts]
    hits = [x == y for x, y in zip(first, second, strict=True)]
    assert found["verdict_agreement"] == pytest.approx(sum(hits) / 20)
    expected = cohen_kappa_score([v.label for v in first], [v.label for v in second], labels=[0, 1, 2])
    assert found["kappa"] == pytest.approx(expected)
    worst = found["disagreements"]
    assert len(worst) == 3 and all(d["gap"] == 1.0 for d in worst)
    assert worst[0]["a"]["critiques"][0].startswith("A says") and worst[0]["b"]["critiques"][0].startswith(
        "B says"
    )
    table = _autoj("judges", "diff", str(a), str(b))
    assert (
        table.returncode == 0
        and "where they disagree most" in table.stdout
        and "Cohen's kappa" in table.stdout
    )


def test_auto_j_against_longer_wins_on_eval_p(tmp_path: Path) -> None:
    pairs = shared_file("autoj/test/testdata_pairwise.jsonl")
    longer = tmp_path / "longer.jsonl"
    with pairs.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    longer.write_text(
        "".join(
            json.dumps({"output": 0 if len(r["response 1"]) > len(r["response 2"]) else 1}) + "\n"
            for r in rows
        )
    )
    done = _autoj(
        "judges",
        "diff",
        str(shared_file("autoj/outputs/pairwise_example_output.jsonl")),
        str(longer),
        "--json",
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["shared"] == 1392 and found["both_parsed"] == 1392
    assert found["verdict_agreement"] == pytest.approx(0.7134, abs=1e-4)


def test_mistakes_are_one_line(tmp_path: Path) -> None:
    board = _board(tmp_path / "a.csv", {"m1": 70.0})
    results = _evaluate_results(tmp_path / "a.jsonl", [(R1, R2)] * 20, "A")
    done = _autoj("judges", "diff", str(board), str(results))
    assert done.returncode == 2 and "not one of each" in done.stderr and "Traceback" not in done.stderr
    done = _autoj("judges", "diff", str(board), str(tmp_path / "missing.csv"))
    assert done.returncode == 2 and "missing.csv" in done.stderr
