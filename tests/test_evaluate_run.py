"""`autoj evaluate` on model outputs: joining, judging with the fake judge, resuming, boards."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from autoj.errors import AutojError
from autoj.evaluate import ALPACA_COLUMNS, read_board, update_board
from autoj.evaluate.outputs import OutputFields, common_keys, load_outputs, sample_keys
from autoj.evaluate.reliability import (
    DEGENERATE_WARNING,
    bench_figures,
    reliability,
    run_figures,
    warnings_for,
)
from autoj.evaluate.run import evaluate_outputs
from autoj.io.results import Result, ResultsWriter, read_results
from autoj.judges.config import JudgeConfig
from autoj.stats.winrate import PREFERENCE
from autoj.types import Judgment, PairItem, Verdict

QUESTIONS = [f"Question number {i}: explain topic {i} briefly." for i in range(12)]


def autoj(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoj", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def outputs_file(path: Path, model: str, answer: str, questions: list[str] = QUESTIONS) -> Path:
    rows = [
        {"instruction": q, "output": f"{answer} {i} " * (1 + i % 4), "generator": model}
        for i, q in enumerate(questions)
    ]
    text = json.dumps(rows)
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "ref": outputs_file(tmp_path / "ref.json.gz", "base", "The reference answer"),
        "a": outputs_file(tmp_path / "a.json", "model-a", "Answer of model A, somewhat longer"),
        "b": outputs_file(tmp_path / "b.json.gz", "model-b", "B says"),
        "c": outputs_file(tmp_path / "c.json", "model-c", "C replies at length with many words"),
    }


def test_join_reports_missing_extra_and_duplicates(tmp_path: Path, files: dict[str, Path]) -> None:
    odd = [*QUESTIONS[:9], "A question nobody else has", QUESTIONS[0]]
    model = load_outputs(outputs_file(tmp_path / "odd.json", "odd", "x", odd))
    reference = load_outputs(files["ref"])
    assert model.duplicates == {QUESTIONS[0]: [1, 11]}
    with pytest.raises(AutojError) as caught:
        common_keys(reference, [model], intersection=False)
    message = str(caught.value)
    assert "odd: 3 missing" in message and "Question number 9" in message
    assert "odd: 1 extra" in message and "A question nobody else has" in message
    assert "1 duplicate instruction(s)" in message and "lines 1, 11" in message
    assert "--intersection" in message
    assert common_keys(reference, [model], intersection=True) == QUESTIONS[:9]


def test_field_mapping_and_id_join(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("uid,prompt,answer,who\n7,Hello?,Hi there,m\n8,Bye?,See you,m\n", encoding="utf-8")
    outputs = load_outputs(
        path, OutputFields(instruction="prompt", output="answer", generator="who", key="uid")
    )
    assert outputs.model == "m" and set(outputs.rows) == {"7", "8"}
    assert outputs.rows["8"].output == "See you"
    with pytest.raises(AutojError, match="field 'instruction'"):
        load_outputs(path)


def test_sample_is_seeded_and_keeps_order() -> None:
    keys = [str(i) for i in range(100)]
    first = sample_keys(keys, 10, seed=3)
    assert first == sample_keys(keys, 10, seed=3) == sorted(first, key=int)
    assert first != sample_keys(keys, 10, seed=4)


def test_pairwise_run_scores_both_orders_and_resumes(tmp_path: Path, files: dict[str, Path]) -> None:
    config = JudgeConfig.load("fake").with_changes(both_orders=True)
    models = [load_outputs(files["a"]), load_outputs(files["b"])]
    out = tmp_path / "results.jsonl"
    run = evaluate_outputs(models, config, out, reference=load_outputs(files["ref"]), classify=False)
    results = list(read_results(out))
    assert len(results) == 24 and all(r.swapped is not None for r in results)
    for row in run.rows:
        mine = [r for r in results if r.item.meta["model"] == row.model]
        prefs = [PREFERENCE[r.verdict] for r in mine if r.verdict is not None]
        assert row.win_rate == pytest.approx(100 * (sum(prefs) / len(prefs) - 1))
        assert row.n_total == len(prefs) and row.reference == "base" and row.judge == "fake"
        assert row.prompt_tokens > 0 and row.judge_config["setup"]["both_orders"] is True
    again = evaluate_outputs(models, config, out, reference=load_outputs(files["ref"]), classify=False)
    assert again.summary["already_done"] == 24 and again.summary["generations"] == 0
    assert [r.win_rate for r in again.rows] == [r.win_rate for r in run.rows]


def test_rate_mode_ranks_by_mean_rating(tmp_path: Path, files: dict[str, Path]) -> None:
    config = JudgeConfig.load("fake")
    models = [load_outputs(files["a"]), load_outputs(files["b"])]
    run = evaluate_outputs(models, config, tmp_path / "r.jsonl", mode="rate", classify=False)
    assert {r.model for r in run.rows} == {"model-a", "model-b"}
    for row in run.rows:
        assert row.evaluation == "rate" and row.n_total == 12
        assert row.rating_ci_low <= row.mean_rating <= row.rating_ci_high
    assert run.rows[0].mean_rating >= run.rows[1].mean_rating


def test_board_adds_updates_and_refuses_mixing(tmp_path: Path, files: dict[str, Path]) -> None:
    board = tmp_path / "board.csv"
    reference = load_outputs(files["ref"])
    fake = JudgeConfig.load("fake").with_changes(both_orders=True)
    first = evaluate_outputs(
        [load_outputs(files["a"])], fake, tmp_path / "1.jsonl", reference=reference, classify=False
    )
    update_board(board, first.rows)
    second = evaluate_outputs(
        [load_outputs(files["c"])], fake, tmp_path / "2.jsonl", reference=reference, classify=False
    )
    rows = update_board(board, second.rows)
    assert [r.model for r in read_board(board)] == [r.model for r in rows]
    assert {r.model for r in rows} == {"model-a", "model-c"}
    with board.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header[0] == "model" and all(c in header for c in ALPACA_COLUMNS)
    other = JudgeConfig.load("fake:seed=1").with_changes(both_orders=True)
    third = evaluate_outputs(
        [load_outputs(files["b"])], other, tmp_path / "3.jsonl", reference=reference, classify=False
    )
    with pytest.raises(AutojError, match="not comparable"):
        update_board(board, third.rows)
    assert len(update_board(board, third.rows, allow_mixed=True)) == 3
    update_board(board, first.rows, allow_mixed=True)  # a model's row is replaced, not repeated
    assert len(read_board(board)) == 3


def test_cli_evaluate_json_and_board(tmp_path: Path, files: dict[str, Path]) -> None:
    board = tmp_path / "board.csv"
    common = ["--reference", str(files["ref"]), "-j", "fake", "--no-scenarios", "--leaderboard", str(board)]
    done = autoj(
        "evaluate", str(files["a"]), str(files["b"]), "-o", str(tmp_path / "r.jsonl"), "--json", *common
    )
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert {row["model"] for row in payload["leaderboard"]} == {"model-a", "model-b"}
    assert all(column in payload["leaderboard"][0] for column in ALPACA_COLUMNS)
    added = autoj("evaluate", str(files["c"]), "-o", str(tmp_path / "r.jsonl"), *common)
    assert added.returncode == 0, added.stderr
    assert "model-a" in added.stdout and "model-c" in added.stdout
    assert len(read_board(board)) == 3


def test_cli_mistakes_are_one_line(tmp_path: Path, files: dict[str, Path]) -> None:
    no_reference = autoj("evaluate", str(files["a"]), "-j", "fake")
    assert no_reference.returncode == 2 and "needs --reference" in no_reference.stderr
    assert "Traceback" not in no_reference.stderr
    missing = autoj("evaluate", str(tmp_path / "nope.json"), "--reference", str(files["ref"]), "-j", "fake")
    assert missing.returncode == 2 and "nope.json" in missing.stderr and "Traceback" not in missing.stderr


def _result(r1: str, r2: str, first: Verdict, second: Verdict, label: Verdict | None = None) -> Result:
    """A both-order result; `second` is the swapped run's verdict in its own frame."""
    item = PairItem("q", r1, r2, id=f"{len(r1)}-{len(r2)}-{first.value}-{second.value}", label=label)
    return Result(
        item,
        Judgment("pairwise", "ok", raw="", verdict=first),
        Judgment("pairwise", "ok", raw="", verdict=second),
    )


def test_a_judge_that_answers_by_position_is_called_degenerate() -> None:
    results = [_result("a" * n, "b" * (n + 5), Verdict.RESPONSE_2, Verdict.RESPONSE_2) for n in range(1, 30)]
    n, consistency, first, _ = run_figures(results)
    assert (n, consistency, first) == (29, 0.0, 0.0)
    found = reliability("always-2", results)
    assert DEGENERATE_WARNING in found.warnings


def test_a_judge_that_follows_length_is_flagged() -> None:
    results = []
    for n in range(1, 40):
        longer_first = n % 2 == 0
        r1, r2 = ("a" * (n + 10), "b" * n) if longer_first else ("a" * n, "b" * (n + 10))
        verdict = Verdict.RESPONSE_1 if longer_first else Verdict.RESPONSE_2
        results.append(_result(r1, r2, verdict, verdict.swapped()))
    _, consistency, first, longer = run_figures(results)
    assert consistency == 1.0 and longer == 1.0 and 0.4 < first < 0.6
    assert warnings_for(consistency, first, longer, 0.72) == [
        "its verdicts track length more than humans do: the longer output wins 100% of its decided pairs, "
        "against 72% for people"
    ]
    assert warnings_for(0.8, 0.5, 0.74, 0.72) == []


def test_bench_results_give_agreement_beside_the_longer_wins_baseline(tmp_path: Path) -> None:
    path = tmp_path / "bench.jsonl"
    with ResultsWriter(path) as writer:
        for n in range(1, 21):
            label = Verdict.RESPONSE_1 if n % 3 else Verdict.RESPONSE_2
            writer.write(_result("x" * (n + 3), "y" * n, Verdict.RESPONSE_1, Verdict.RESPONSE_2, label))
    figures = bench_figures(path)
    assert figures["pairs"] == 20 and figures["consistency"] == 1.0
    assert figures["agreement"] == pytest.approx(14 / 20)
    assert figures["longer_wins_agreement"] == pytest.approx(14 / 20)  # response 1 is always longer here
    assert figures["judge_prefers_longer"] == 1.0


def test_models_judged_earlier_into_the_file_join_the_length_control_fit(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    config = JudgeConfig.load("fake").with_changes(both_orders=True)
    out = tmp_path / "shared.jsonl"
    reference = load_outputs(files["ref"])
    first = evaluate_outputs(
        [load_outputs(files["a"]), load_outputs(files["b"])], config, out, reference=reference, classify=False
    )
    assert first.rows[0].lc_method.startswith("n/a: needs instruction difficulty: 3 or more models")
    assert first.rows[0].length_controlled_winrate is None
    later = evaluate_outputs([load_outputs(files["c"])], config, out, reference=reference, classify=False)
    assert [r.model for r in later.rows] == ["model-c"]
    assert "estimated jointly from 3 models" in later.rows[0].lc_method
