"""`--group-by FIELD` on `rate` and `compare`: the user's own column, raw values, an interval per
group ("n too small" under 10 items), and rating correlations with reference scores."""

from __future__ import annotations

import csv
import gzip
import json
import re
from pathlib import Path

import pytest
from tests.conftest import shared_file
from tests.test_evaluate_run import autoj

from autoj.evaluate.groups import by_group
from autoj.io.results import read_results
from autoj.stats.correlation import correlations


def _csv(path: Path, rows: list[dict[str, object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_rate_groups_by_a_users_own_column_with_correlations(tmp_path: Path) -> None:
    categories = ["coding"] * 14 + ["math"] * 12 + ["fermi"] * 4
    data = _csv(
        tmp_path / "mine.csv",
        [
            {"prompt": f"Task {i} about {c}", "response": f"Answer {i} " * (1 + i % 5), "category": c,
             "gold": 1 + (i * 7) % 10}
            for i, c in enumerate(categories)
        ],
    )  # fmt: skip
    out = tmp_path / "rated.jsonl"
    done = autoj(
        "rate", str(data), "-o", str(out), "-j", "fake", "--group-by", "category",
        "--reference-score-field", "gold", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    groups = {g["group"]: g for g in payload["groups"]}
    assert list(groups) == ["coding", "fermi", "math"]  # raw values, not Auto-J's groups
    assert [groups[g]["n"] for g in ("coding", "fermi", "math")] == [14, 4, 12]
    results = list(read_results(out))
    coding = [r.rating for r in results if r.item.meta["category"] == "coding"]
    assert groups["coding"]["mean"] == pytest.approx(sum(coding) / len(coding))
    assert groups["coding"]["ci_low"] <= groups["coding"]["mean"] <= groups["coding"]["ci_high"]
    assert groups["fermi"]["note"] == "n too small" and groups["fermi"]["ci_low"] is None
    expected = correlations([r.rating for r in results], [r.item.reference_score for r in results])
    assert payload["correlations"]["n"] == 30
    assert payload["correlations"]["spearman"] == pytest.approx(expected.spearman)
    assert groups["math"]["correlations"]["n"] == 12
    shown = autoj("rate", str(data), "-o", str(out), "-j", "fake", "--group-by", "category",
                  "--reference-score-field", "gold")  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "mean rating by category" in shown.stdout and "Kendall" in shown.stdout and "fermi" in shown.stdout


def test_compare_groups_verdicts_by_a_column(tmp_path: Path) -> None:
    rows = [
        {"prompt": f"q{i}", "response 1": f"a{i}", "response 2": f"b{i} " * (i % 4 + 1), "topic": t}
        for i, t in enumerate(["x"] * 12 + ["y"] * 11)
    ]
    out = tmp_path / "cmp.jsonl"
    done = autoj("compare", str(_csv(tmp_path / "p.csv", rows)), "-o", str(out), "-j", "fake",
                 "--group-by", "topic", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    groups = {g["group"]: g for g in json.loads(done.stdout)["groups"]}
    assert set(groups) == {"x", "y"} and groups["x"]["n"] + groups["y"]["n"] <= 23
    wins = {"response_1": 0.0, "response_2": 100.0, "tie": 50.0}
    x = [wins[r.verdict.value] for r in read_results(out) if r.item.meta["topic"] == "x" and r.verdict]
    assert groups["x"]["mean"] == pytest.approx(sum(x) / len(x))


@pytest.mark.data
def test_category_table_from_prometheus_vicuna_ratings(tmp_path: Path) -> None:
    """A realistic user file: Vicuna-bench responses with their own `category` column (generic,
    fermi, coding, math, ...) and GPT-4's scores; grouped by the raw column."""
    with gzip.open(shared_file("prometheus_eval/vicuna_eval.json.gz"), "rt", encoding="utf-8") as handle:
        records = json.load(handle)
    pattern = re.compile(
        r"###The instruction to evaluate:\n(.*?)\n\n###Response to evaluate:\n(.*?)\n\n###Reference", re.S
    )
    rows = []
    for record in records[:120]:
        found = pattern.search(record["instruction"])
        assert found
        scores = record["gpt4_score"]
        rows.append({"prompt": found[1], "response": found[2], "category": record["category"],
                     "gpt4": sum(scores) / len(scores)})  # fmt: skip
    out = tmp_path / "v.jsonl"
    done = autoj("rate", str(_csv(tmp_path / "vicuna.csv", rows)), "-o", str(out), "-j", "fake",
                 "--group-by", "category", "--reference-score-field", "gpt4", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    groups = {g["group"]: g for g in json.loads(done.stdout)["groups"]}
    expected = {r["category"] for r in rows}
    assert set(groups) == expected and "unknown" not in groups
    assert sum(g["n"] for g in groups.values()) == len(rows)
    figures = by_group(read_results(out), "category")
    assert [f.group for f in figures] == sorted(expected)


def test_evaluate_groups_win_rates_by_the_users_column(tmp_path: Path) -> None:
    """A judged run and an annotation file, grouped by a `category` column: its raw values
    (coding, math, fermi) are the groups, not Auto-J's, and the board says which column it is."""
    categories = ["coding"] * 12 + ["math"] * 10 + ["fermi"] * 3

    def outputs(name: str, model: str, words: int) -> Path:
        rows = [
            {"instruction": f"Task {i}", "output": f"{model} {i} " * (1 + (i * words) % 5),
             "generator": model, "category": c}
            for i, c in enumerate(categories)
        ]  # fmt: skip
        path = tmp_path / name
        path.write_text(json.dumps(rows), encoding="utf-8")
        return path

    done = autoj(
        "evaluate", str(outputs("a.json", "model-a", 2)), "--reference", str(outputs("r.json", "base", 3)),
        "-j", "fake", "-o", str(tmp_path / "r.jsonl"), "--group-by", "category", "--json", "--no-ranking",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)["leaderboard"]
    assert set(row["scenario_groups"]) == {"coding", "fermi", "math"} and row["group_field"] == "category"
    assert row["scenario_groups"]["coding"]["n"] == 12 and row["scenario_groups"]["fermi"]["ci_low"] is None
    annotations = tmp_path / "m.j.json"
    annotations.write_text(
        json.dumps(
            [
                {"instruction": f"q{i}", "output_1": "r", "output_2": "m", "generator_1": "base",
                 "generator_2": "m", "preference": 1.0 + (i % 2), "category": c}
                for i, c in enumerate(categories)
            ]
        ),
        encoding="utf-8",
    )  # fmt: skip
    scored = autoj("evaluate", "--annotations", str(annotations), "--group-by", "category", "--no-ranking")
    assert scored.returncode == 0, scored.stderr
    assert "win rate by category" in scored.stdout and "fermi" in scored.stdout
