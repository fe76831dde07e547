"""`autoj plan` and `autoj.stats.power`: sizes checked by simulation, spreads read from results."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from tests.test_evaluate import _annotation_file
from tests.test_evaluate_run import autoj

from autoj.stats.power import DEFAULT_SD, instructions_needed, power, smallest_gap


def test_the_needed_size_has_the_power_it_promises() -> None:
    """Simulated paired differences with the planned n: the t-test rejects about 80% of the time."""
    n = instructions_needed(5.0, 30.0)
    assert n == pytest.approx((2.8016 * 30 / 5) ** 2, rel=0.02)
    rng = np.random.default_rng(0)
    samples = rng.normal(5.0, 30.0, size=(2000, n))
    rejected = stats.ttest_1samp(samples, 0.0, axis=1).pvalue < 0.05
    assert rejected.mean() == pytest.approx(0.8, abs=0.03)
    assert power(5.0, n - 1, 30.0) < 0.8 <= power(5.0, n, 30.0)


def test_smallest_gap_inverts_the_size() -> None:
    gap = smallest_gap(805, DEFAULT_SD)
    assert power(gap, 805, DEFAULT_SD) == pytest.approx(0.8, abs=1e-6)
    assert instructions_needed(gap, DEFAULT_SD) in (805, 806)
    assert smallest_gap(100, 20.0) > smallest_gap(400, 20.0) > smallest_gap(1600, 20.0)


def test_cli_plan_from_the_default_and_from_annotations(tmp_path: Path) -> None:
    done = autoj("plan", "--difference", "2", "--difference", "5", "--json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["sd"] == DEFAULT_SD and "AlpacaEval 2" in plan["sd_source"]
    assert [row["instructions"] for row in plan["needed"]] == [
        instructions_needed(2, DEFAULT_SD),
        instructions_needed(5, DEFAULT_SD),
    ]
    rng = np.random.default_rng(1)
    files = [
        _annotation_file(tmp_path / f"m{k}.j.json.gz", f"gen{k}", [float(x) for x in 1 + rng.random(60)])
        for k in range(2)
    ]
    found = autoj("plan", "-d", "3", "--from", str(files[0]), "--from", str(files[1]), "--json")
    assert found.returncode == 0, found.stderr
    plan = json.loads(found.stdout)
    # uniform preferences, independent: the difference's sd is 100 * sqrt(2/12) ~ 40.8
    assert plan["sd"] == pytest.approx(40.8, abs=6) and plan["run_instructions"] == 60
    assert "1 pair of 2 models" in plan["sd_source"]
    assert plan["smallest_detectable_gap"] == pytest.approx(smallest_gap(60, plan["sd"]))
    shown = autoj("plan", "-d", "2", "--from", str(files[0]))
    assert shown.returncode == 0 and "instructions needed" in shown.stdout and "alone" in shown.stdout


def test_cli_plan_mistakes_are_one_line(tmp_path: Path) -> None:
    for args in (("-d", "0"), ("--sd", "20", "--from", "x.json"), ("--from", str(tmp_path / "none.json"))):
        done = autoj("plan", *args)
        assert done.returncode in (1, 2), args
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
