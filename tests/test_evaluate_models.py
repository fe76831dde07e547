"""`autoj evaluate --benchmark`: models under test answer, are judged their benchmark's way, and land
on a board in one command; every stage resumes, so a new model costs only its own work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import shared_file

from autoj.run.cache import JudgmentCache


def autoj(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "400"}  # help on one line per option
    return subprocess.run(
        [sys.executable, "-m", "autoj", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def board(run: subprocess.CompletedProcess[str]) -> tuple[dict[str, dict], dict]:  # type: ignore[type-arg]
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    return {r["model"]: r for r in data["leaderboard"]}, data["run"]


def test_alpaca_eval_for_two_models_then_a_third_costs_only_its_own_work(tmp_path: Path) -> None:
    shared_file("alpaca_eval/model_outputs/gpt4_1106_preview.json.gz")
    out = tmp_path / "results.jsonl"
    common = ["--benchmark", "alpaca_eval", "-j", "fake", "--limit", "6", "-o", str(out), "--json"]
    rows, run = board(autoj("evaluate", "--model", "fake", "--model", "fake:1", *common, "--no-scenarios"))
    assert set(rows) == {"fake-seed0", "fake-seed1"}
    for row in rows.values():
        assert row["reference"] == "gpt4_1106_preview" and row["n_total"] == 6 and row["win_rate"] is not None
    assert (run["items"], run["judged"]) == (12, 12)
    assert [g["generated"] for g in run["generation"]] == [6, 6]
    made = json.loads((tmp_path / "results-outputs" / "fake-seed0.json").read_text())
    assert len(made) == 6 and {r["dataset"] for r in made} == {"alpaca_eval"}
    # the same board again: nothing generated, nothing judged, the same figures
    again, rerun = board(autoj("evaluate", "--model", "fake", "--model", "fake:1", *common, "--no-scenarios"))
    assert rerun["judged"] == 0 and [g["already_done"] for g in rerun["generation"]] == [6, 6]
    assert again["fake-seed0"]["win_rate"] == rows["fake-seed0"]["win_rate"]
    # a third model: only its 6 answers and 6 judgments
    third = ["--model", "fake", "--model", "fake:1", "--model", "fake:2"]
    _, more = board(autoj("evaluate", *third, *common, "--no-scenarios"))
    assert more["judged"] == 6 and [g["generated"] for g in more["generation"]] == [0, 0, 6]


def test_a_file_of_instructions_rated_alone_or_against_a_reference(tmp_path: Path) -> None:
    source = tmp_path / "qs.jsonl"
    source.write_text(
        "".join(json.dumps({"id": f"q{n}", "instruction": f"Explain topic {n}."}) + "\n" for n in range(4))
    )
    rows, _ = board(
        autoj(
            "evaluate",
            "-b",
            str(source),
            "-m",
            "fake",
            "-j",
            "fake",
            "-o",
            str(tmp_path / "r.jsonl"),
            "--json",
        )
    )
    assert rows["fake-seed0"]["evaluation"] == "rate" and rows["fake-seed0"]["mean_rating"] is not None
    reference = tmp_path / "ref.json"
    reference.write_text(
        json.dumps(
            [
                {"instruction": f"Explain topic {n}.", "output": f"Topic {n} is...", "generator": "ref"}
                for n in range(4)
            ]
        )
    )
    args = ["evaluate", "-b", str(source), "-m", "fake", "-j", "fake", "--reference", str(reference)]
    rows, _ = board(autoj(*args, "-o", str(tmp_path / "p.jsonl"), "--json", "--no-scenarios"))
    assert rows["fake-seed0"]["reference"] == "ref" and rows["fake-seed0"]["n_total"] == 4


def test_outputs_made_elsewhere_and_names_that_collide(tmp_path: Path) -> None:
    source = tmp_path / "qs.jsonl"
    source.write_text("".join(json.dumps({"instruction": f"Say {n}."}) + "\n" for n in range(3)))
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path, spec in ((a, "fake"), (b, "fake:1")):
        assert (
            autoj("generate", "-m", spec, "-b", str(source), "-o", str(path), "--name", "same").returncode
            == 0
        )
    common = ["-b", str(source), "-j", "fake", "-o", str(tmp_path / "r.jsonl"), "--json"]
    clash = autoj("evaluate", str(a), str(b), *common)
    assert clash.returncode == 2 and "--name" in clash.stderr and "Traceback" not in clash.stderr
    rows, _ = board(autoj("evaluate", str(a), str(b), *common, "--name", "A", "--name", "B"))
    assert set(rows) == {"A", "B"}
    # the plain OUTPUTS path takes --name the same way
    ref = tmp_path / "ref.json"
    ref.write_text(
        json.dumps([{"instruction": f"Say {n}.", "output": str(n), "generator": "ref"} for n in range(3)])
    )
    plain = [
        "evaluate",
        str(a),
        str(b),
        "-r",
        str(ref),
        "-j",
        "fake",
        "-o",
        str(tmp_path / "q.jsonl"),
        "--json",
    ]
    assert "--name NAME per file" in autoj(*plain).stderr
    rows, _ = board(autoj(*plain, "--name", "A", "--name", "B", "--no-scenarios"))
    assert set(rows) == {"A", "B"}


def test_mistakes_are_one_line_and_help_shows_the_real_defaults(tmp_path: Path) -> None:
    alone = autoj("evaluate", "--model", "fake", "-j", "fake")
    assert alone.returncode == 2 and "need --benchmark" in alone.stderr
    unknown = autoj(
        "evaluate", "--model", "fake", "-b", "no-such-bench", "-j", "fake", "-o", str(tmp_path / "r.jsonl")
    )
    assert unknown.returncode == 2 and "neither a known benchmark" in unknown.stderr
    shown = autoj("evaluate", "--help").stdout
    assert "one-order (evaluate: both-orders)" in shown


@pytest.mark.parametrize(
    ("name", "needs"),
    [("mt-bench", "mt_bench/question.jsonl"), ("arena-hard", "arena_hard/question.jsonl.gz")],
)
def test_benchmarks_scored_their_authors_way(name: str, needs: str, tmp_path: Path) -> None:
    shared_file(needs)
    args = ["evaluate", "-b", name, "-m", "fake", "-m", "fake:1", "-j", "fake", "--limit", "3"]
    rows, run = board(autoj(*args, "-o", str(tmp_path / "r.jsonl"), "--json"))
    row = rows["fake-seed0"]
    assert row["benchmark"] == name and row["score"] is not None
    if name == "mt-bench":
        assert run["items"] == 12  # 3 questions x 2 turns x 2 models
        assert row["score_turn_1"] is not None and row["score_turn_2"] is not None
        made = json.loads((tmp_path / "r-outputs" / "fake-seed0.json").read_text())
        assert all(len(r["turns"]) == 2 for r in made)
    else:
        assert (
            row["reference"] == "gpt-4-0314" and row["score_ci_low"] <= row["score"] <= row["score_ci_high"]
        )


def test_scenario_classification_is_computed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from autoj import scenarios
    from autoj.evaluate.scenarios import classify_instructions

    cache = JudgmentCache(tmp_path / "c.sqlite")
    texts = ["Translate 'good morning' into French.", "Write a haiku about rain."]
    first = classify_instructions(texts, cache)
    assert first["Translate 'good morning' into French."] == "text_to_text_translation"

    class Unloadable:
        def __init__(self) -> None:
            raise AssertionError("the classifier was loaded for instructions classified before")

    monkeypatch.setattr(scenarios, "Classifier", Unloadable)
    assert classify_instructions(texts, cache) == first


@pytest.mark.model
def test_a_model_behind_llama_cpp_pythons_server_on_a_board(llama_server: str, tmp_path: Path) -> None:
    source = tmp_path / "qs.jsonl"
    source.write_text(
        "".join(json.dumps({"instruction": q}) + "\n" for q in ("Name a fruit.", "What is 2+2?"))
    )
    spec = f"openai:smollm2-135m@{llama_server}"
    args = [
        "evaluate",
        "-b",
        str(source),
        "-m",
        spec,
        "-m",
        "fake",
        "-j",
        "fake",
        "--model-max-new-tokens",
        "24",
    ]
    rows, run = board(autoj(*args, "-o", str(tmp_path / "r.jsonl"), "--json"))
    assert set(rows) == {"smollm2-135m", "fake-seed0"}
    made = json.loads((tmp_path / "r-outputs" / "smollm2-135m.json").read_text())
    assert all(r["output"].strip() for r in made) and run["generation"][0]["completion_tokens"] > 0


def test_arena_hard_battles_that_all_went_one_way_are_one_clear_message() -> None:
    """No finite Bradley-Terry fit exists (the authors' fit stops too): say so, never a traceback;
    all ties still fit (a tie counts both ways)."""
    from autoj.errors import AutojError
    from autoj.stats.arena_hard import arena_hard_scores
    from autoj.stats.bradley_terry import Battle

    lost = [Battle("gpt-4-0314", "mine", f"q{n}", 1.0) for n in range(6)]
    with pytest.raises(AutojError, match="all 6 Arena-Hard battles went the same way"):
        arena_hard_scores(lost, "gpt-4-0314", rounds=5)
    tied = [Battle("gpt-4-0314", "mine", f"q{n}", 0.5) for n in range(6)]
    assert round(arena_hard_scores(tied, "gpt-4-0314", rounds=5)["mine"].score, 6) == 50.0
