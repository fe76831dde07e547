"""Prediction-powered estimates: the interval math, its coverage, and `autoj calibrate`."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.stats import norm
from tests.conftest import read_jsonl, released_predictions, shared_file

from autoj.io.results import Result
from autoj.stats.ppi import TooFewLabels, classical_mean, power_tuning, ppi_mean
from autoj.trust.calibration import judge_value
from autoj.types import Judgment, PairItem, Verdict

R1, R2, TIE = Verdict.RESPONSE_1, Verdict.RESPONSE_2, Verdict.TIE


def _values(rng: np.random.Generator, n: int, big_n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    quality = rng.normal(size=n + big_n)
    people = (rng.random(n + big_n) < 1 / (1 + np.exp(-2 * quality))).astype(float)
    judge = (rng.random(n + big_n) < 1 / (1 + np.exp(-2 * quality - 1.0))).astype(float)  # biased to 1
    return people[:n], judge[:n], judge[n:]


def test_interval_matches_an_independent_computation() -> None:
    """lambda minimises the estimated variance; the interval is estimate +- z * its root."""
    y, f, f_tilde = _values(np.random.default_rng(3), 300, 5000)
    n, big_n = y.size, f_tilde.size

    def variance(lam: float) -> float:
        return float(np.var(y - lam * f) / n + lam**2 * np.var(f_tilde) / big_n)

    best = minimize_scalar(variance, bounds=(0.0, 1.0), method="bounded").x
    found = ppi_mean(y, f, f_tilde, bounds=None)
    assert found.power_tuning == pytest.approx(best, abs=0.01)
    estimate = y.mean() + best * (f_tilde.mean() - f.mean())
    half = norm.ppf(0.975) * math.sqrt(variance(best))
    assert found.estimate == pytest.approx(estimate, abs=2e-3)
    assert found.ci_low == pytest.approx(estimate - half, abs=2e-3)
    assert found.ci_high == pytest.approx(estimate + half, abs=2e-3)
    # lambda = 1 is plain PPI (Angelopoulos et al. 2023, eq. for the mean), exactly
    plain = ppi_mean(y, f, f_tilde, lam=1.0, bounds=None)
    se = math.sqrt(np.var(y - f) / n + np.var(f_tilde) / big_n)
    assert plain.estimate == pytest.approx(y.mean() - f.mean() + f_tilde.mean())
    assert plain.ci_high - plain.ci_low == pytest.approx(2 * norm.ppf(0.975) * se)
    # lambda = 0 is the labels alone
    assert ppi_mean(y, f, f_tilde, lam=0.0).interval.to_dict() == {
        **found.labels_only.to_dict(),
        "n": n + big_n,
    }


def test_never_wider_than_labels_and_degenerate_judges() -> None:
    rng = np.random.default_rng(0)
    y, f, f_tilde = _values(rng, 100, 1000)
    found = ppi_mean(y, f, f_tilde)
    assert found.ci_high - found.ci_low <= found.labels_only.width + 1e-12
    noise = rng.random(1000)  # a judge unrelated to people: lambda near 0
    assert power_tuning(y, rng.random(100), noise) < 0.2
    assert power_tuning(y, np.full(100, 0.5), np.full(1000, 0.5)) == 0.0  # a constant judge
    assert power_tuning(y, f, np.array([])) == 0.0  # every item labelled
    with pytest.raises(TooFewLabels, match="n too small"):
        ppi_mean([1.0], [1.0], f_tilde)
    with pytest.raises(TooFewLabels):
        classical_mean([])


def test_covers_the_truth_in_a_seeded_simulation() -> None:
    """300 runs: a judge biased towards the longer response, a tenth of the labels revealed."""
    rng = np.random.default_rng(11)
    covered = naive = 0
    runs, size = 300, 1500
    for _ in range(runs):
        quality, longer = rng.normal(size=size), rng.normal(0.3, 1.0, size)
        people = (rng.random(size) < 1 / (1 + np.exp(-1.5 * quality - 0.3 * longer))).astype(float)
        judge = (rng.random(size) < 1 / (1 + np.exp(-2.5 * quality - 1.2 * longer))).astype(float)
        shown = np.zeros(size, dtype=bool)
        shown[rng.choice(size, size // 10, replace=False)] = True
        found = ppi_mean(people[shown], judge[shown], judge[~shown])
        covered += found.interval.covers(people.mean())
        naive += found.judge_only.covers(people.mean())
    assert covered / runs >= 0.92
    assert naive / runs < 0.5  # the judge's own interval misses people's value


def test_judge_value_averages_the_orders() -> None:
    assert judge_value(R1, R2) == 1.0  # swapped frame: R2 there is response 1 here
    assert judge_value(R1, R1) == 0.5  # the orders disagree
    assert judge_value(R1, None) == 1.0
    assert judge_value(None, None) == 0.5
    assert judge_value(TIE, R2) == 0.75


def _autoj(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autoj", *args], capture_output=True, text=True, timeout=120)


def test_calibrate_eval_p_with_a_tenth_labelled(tmp_path: Path) -> None:
    """A user-style file: Eval-P with labels kept on 139 pairs, Auto-J's released predictions."""
    rows = read_jsonl(shared_file("autoj/test/testdata_pairwise.jsonl"))
    kept = set(random.Random(0).sample(range(len(rows)), 139))
    data = tmp_path / "pairs.jsonl"
    data.write_text(
        "".join(
            json.dumps({**r, "label": r["label"] if n in kept else None}) + "\n" for n, r in enumerate(rows)
        )
    )
    done = _autoj(
        "calibrate",
        "--data",
        str(data),
        *released_predictions(),
        "--json",
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert (found["n_labelled"], found["n_total"]) == (139, 1392)
    truth = np.mean([{0: 1.0, 1: 0.0, 2: 0.5}[r["label"]] for r in rows])
    assert found["ci_low"] <= truth <= found["ci_high"]
    assert (
        found["ci_high"] - found["ci_low"] < found["labels_only"]["ci_high"] - found["labels_only"]["ci_low"]
    )
    assert set(found["judge_only"]) >= {"estimate", "ci_low", "ci_high"}


def _evaluate_results(path: Path) -> list[str]:
    """An evaluate-style results file: two models against a reference, 40 items each, no labels."""
    rng = random.Random(1)
    ids, lines = [], []
    for model, wins in (("strong", 0.8), ("weak", 0.3)):
        for key in range(40):
            verdict = R2 if rng.random() < wins else R1
            item = PairItem(
                "q",
                "ref",
                "out",
                id=f"{model}:{key}",
                meta={"model": model, "reference": "ref", "key": str(key)},
            )
            judgment = Judgment(kind="pairwise", status="ok", raw="x", verdict=verdict)
            swapped = Judgment(kind="pairwise", status="ok", raw="x", verdict=verdict.swapped())
            lines.append(json.dumps(Result(item, judgment, swapped).to_dict()))
            ids.append(item.id)
    path.write_text("\n".join(lines) + "\n")
    return ids


def test_calibrate_evaluate_results_with_a_labels_file(tmp_path: Path) -> None:
    results = tmp_path / "evaluate.jsonl"
    ids = _evaluate_results(results)
    labels = tmp_path / "labels.csv"
    labels.write_text("id,label\n" + "".join(f"{i},B\n" for i in ids[:10] + ids[40:50]))
    done = _autoj("calibrate", str(results), "--labels", str(labels), "--json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert set(found["models"]) == {"strong", "weak"}
    strong = found["models"]["strong"]
    assert (strong["n_labelled"], strong["n_total"]) == (10, 40)
    assert strong["labels_only"]["estimate"] == 1.0  # people said the model won every labelled pair
    table = _autoj("calibrate", str(results), "--labels", str(labels))
    assert table.returncode == 0 and "strong" in table.stdout and "win rate" in table.stdout


def test_calibrate_mistakes_are_one_line(tmp_path: Path) -> None:
    results = tmp_path / "evaluate.jsonl"
    _evaluate_results(results)
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"id": "nobody:1", "label": "A"}) + "\n")
    done = _autoj("calibrate", str(results), "--labels", str(labels))
    assert done.returncode == 2 and "no item has" in done.stderr and "Traceback" not in done.stderr
    labels.write_text(json.dumps({"id": "strong:1", "label": "7"}) + "\n")
    done = _autoj("calibrate", str(results), "--labels", str(labels))
    assert done.returncode == 2 and "labels.jsonl:1 field 'label'" in done.stderr
    done = _autoj("calibrate", str(results))
    assert done.returncode == 2 and "n too small" in done.stderr
    done = _autoj("calibrate")
    assert done.returncode == 2 and "RESULTS" in done.stderr


def test_compare_with_human_labels(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        "".join(
            json.dumps(
                {"id": f"p{n}", "prompt": f"question {n}", "response 1": f"yes {n}", "response 2": f"no {n}"}
            )
            + "\n"
            for n in range(30)
        )
    )
    labels = tmp_path / "people.csv"
    labels.write_text("id,label\n" + "".join(f"p{n},{'A' if n % 3 else 'B'}\n" for n in range(12)))
    out = tmp_path / "out.jsonl"
    args = ["compare", str(pairs), "-j", "fake", "-o", str(out), "--human-labels", str(labels)]
    done = _autoj(*args, "--json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)["calibrated"]
    assert (found["n_labelled"], found["n_total"]) == (12, 30)
    assert found["labels_only"]["estimate"] == pytest.approx(8 / 12)
    text = _autoj(*args)
    assert text.returncode == 0 and "what people would decide" in text.stderr


def test_evaluate_with_human_labels(tmp_path: Path) -> None:
    from tests.test_evaluate_run import outputs_file

    reference = outputs_file(tmp_path / "ref.json", "base", "The reference answer")
    model = outputs_file(tmp_path / "a.json", "model-a", "Answer of model A")
    results = tmp_path / "r.jsonl"
    common = [
        "--reference",
        str(reference),
        "-j",
        "fake",
        "--no-scenarios",
        "--no-ranking",
        "-o",
        str(results),
    ]
    first = _autoj("evaluate", str(model), *common)
    assert first.returncode == 0, first.stderr
    ids = [json.loads(line)["id"] for line in results.read_text().splitlines()]
    labels = tmp_path / "people.jsonl"
    labels.write_text("".join(json.dumps({"id": i, "label": "B"}) + "\n" for i in ids[:6]))
    done = _autoj("evaluate", str(model), *common, "--human-labels", str(labels), "--json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)["calibrated"]["models"]["model-a"]
    assert (found["n_labelled"], found["n_total"]) == (6, 12)
    assert found["labels_only"]["estimate"] == 1.0  # people said the model won each labelled pair
    refused = _autoj("evaluate", "--annotations", str(model), "--human-labels", str(labels))
    assert refused.returncode == 2 and "--human-labels" in refused.stderr
