"""Benchmarks as data: the registered instruction sets, their references, and files of instructions."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import autoj
from autoj.data import registry
from autoj.data.benchmarks import (
    BenchmarkError,
    benchmark_names,
    load_benchmark,
    reference_file,
    reference_names,
)
from autoj.errors import InputError
from autoj.io.answers import read_answers
from conftest import shared_file


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registered files from the shared data only: never the network or the user's cache."""
    monkeypatch.setenv(registry.OFFLINE_ENV_VAR, "1")
    monkeypatch.setenv(registry.CACHE_ENV_VAR, "/nonexistent-autoj-cache")


def test_names() -> None:
    assert benchmark_names() == ["alpaca_eval", "arena-hard", "autoj-eval", "mt-bench"]


def test_alpaca_eval(offline: None) -> None:
    shared_file("alpaca_eval/model_outputs/gpt4_1106_preview.json.gz")
    bench = load_benchmark("alpaca_eval")
    assert len(bench.instructions) == 805
    assert bench.reference == "gpt4_1106_preview"
    assert (bench.judging.mode, bench.judging.both_orders, bench.scoring) == ("pairwise", True, "winrate")
    assert {i.category for i in bench.instructions} == {
        "helpful_base",
        "koala",
        "oasst",
        "selfinstruct",
        "vicuna",
    }
    assert not bench.multi_turn
    outputs = bench.reference_outputs()
    assert outputs is not None and len(outputs) == 805
    first = bench.instructions[0]
    assert outputs[first.id].instruction == first.instruction
    assert load_benchmark("alpaca-eval").name == "alpaca_eval"  # spelling variants


def test_arena_hard(offline: None) -> None:
    shared_file("arena_hard/question.jsonl.gz")
    bench = load_benchmark("arena-hard")
    assert len(bench.instructions) == 500
    assert len({i.id for i in bench.instructions}) == 500
    assert bench.reference == "gpt-4-0314"
    assert (bench.judging.protocol, bench.judging.both_orders) == ("arena-hard", True)
    outputs = bench.reference_outputs()
    assert outputs is not None
    assert {a.generator for a in outputs.values()} == {"gpt-4-0314"}
    scim = outputs["0122ab60646b4961bc39e9c03bdf6bcc"]
    assert scim.instruction == "Tell me how to implement a SCIM server in PHP using slim as a router"
    assert scim.output.startswith("To implement a SCIM")


def test_mt_bench(offline: None) -> None:
    shared_file("mt_bench/question.jsonl")
    bench = load_benchmark("mt-bench")
    assert len(bench.instructions) == 80 and bench.multi_turn
    assert all(len(i.turns) == 2 for i in bench.instructions)
    assert Counter(i.category for i in bench.instructions) == {
        c: 10
        for c in ("writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities")
    }
    with_reference = [i for i in bench.instructions if i.reference_answers]
    # FastChat judges math, reasoning and coding with GPT-4's answers, one per turn
    assert {i.category for i in with_reference} == {"math", "reasoning", "coding"}
    assert len(with_reference) == 30 and all(len(i.reference_answers or ()) == 2 for i in with_reference)
    q101 = next(i for i in bench.instructions if i.id == "101")
    assert (q101.reference_answers or ("",))[0].startswith("If you have just overtaken the second person")
    assert bench.reference is None and bench.judging.mode == "single"


def test_autoj_eval(offline: None) -> None:
    shared_file("autoj/test/testdata_pairwise.jsonl")
    bench = load_benchmark("autoj-eval")
    assert len(bench.instructions) == 1182
    per_scenario = Counter(i.category for i in bench.instructions)
    assert len(per_scenario) == 58
    assert min(per_scenario.values()) == 5 and max(per_scenario.values()) == 24
    assert bench.reference is None and bench.judging.mode == "single" and bench.judging.protocol is None


def test_reference_names_resolve(offline: None) -> None:
    shared_file("arena_hard/model_answer_gpt-4-0613.jsonl.gz")
    assert {"gpt4_1106_preview", "gpt-4-0314", "gpt-4-0613", "gpt-3.5-turbo-0125"} <= set(reference_names())
    assert "questions" not in reference_names()
    assert reference_file("gpt-4-0613").name == "model_answer_gpt-4-0613.jsonl.gz"
    with pytest.raises(BenchmarkError, match="neither a file nor a registered"):
        reference_file("gpt-5")


def test_unknown_benchmark() -> None:
    with pytest.raises(
        BenchmarkError, match=r"--benchmark nope: neither a known benchmark \(alpaca_eval, arena-hard"
    ):
        load_benchmark("nope")


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_instruction_file_with_reference(tmp_path: Path) -> None:
    instructions = _write_jsonl(
        tmp_path / "mine.jsonl",
        [
            {"instruction": "Say hi."},
            {"prompt": "Add 2 and 2.", "category": "math"},
            {"turns": ["A", "B"], "id": 7},
        ],
    )
    bench = load_benchmark(instructions)
    assert bench.name == "mine" and bench.judging.mode == "single" and bench.reference is None
    assert [i.id for i in bench.instructions] == ["1", "2", "7"]
    assert bench.instructions[1].category == "math" and bench.instructions[2].turns == ["A", "B"]
    reference = tmp_path / "ref.json"
    reference.write_text(
        json.dumps(
            [
                {"instruction": "Add 2 and 2.", "output": "4", "generator": "ref"},
                {"instruction": "Say hi.", "output": "hi", "generator": "ref"},
                {"id": "7", "instruction": "A", "output": "b", "turns": ["a", "b"], "generator": "ref"},
            ]
        ),
        encoding="utf-8",
    )
    against = load_benchmark(instructions, reference=str(reference))
    assert against.judging.mode == "pairwise" and against.judging.both_orders
    outputs = against.reference_outputs()
    assert outputs is not None
    assert {k: a.turns for k, a in outputs.items()} == {"1": ("hi",), "2": ("4",), "7": ("a", "b")}
    partial = _write_jsonl(tmp_path / "partial.jsonl", [{"instruction": "Say hi.", "output": "hi"}])
    with pytest.raises(BenchmarkError, match="no answer for 2 of mine's 3 instructions"):
        load_benchmark(instructions, reference=str(partial)).reference_outputs()


def test_instruction_file_problems(tmp_path: Path) -> None:
    bad = _write_jsonl(
        tmp_path / "bad.jsonl", [{"id": 1, "instruction": "x"}, {"id": 1, "prompt": "y"}, {"text": "z"}]
    )
    with pytest.raises(InputError) as caught:
        load_benchmark(bad)
    message = str(caught.value)
    assert "bad.jsonl:2 field 'id': id '1' also at 1: ids are unique" in message
    assert "bad.jsonl:3: no instruction" in message


def test_answer_formats(tmp_path: Path) -> None:
    """alpaca_eval, Arena-Hard and FastChat answer files, read as they are."""
    arena = shared_file("arena_hard/model_answer_gpt-3.5-turbo-0125.jsonl.gz")
    answers = read_answers(arena)
    assert len(answers) == 500 and answers[0].generator == "gpt-3.5-turbo-0125" and answers[0].key
    fastchat = _write_jsonl(
        tmp_path / "fc.jsonl",
        [{"question_id": 81, "model_id": "m", "choices": [{"index": 0, "turns": ["one", "two"]}]}],
    )
    (answer,) = read_answers(fastchat)
    assert (answer.key, answer.turns, answer.output, answer.generator) == ("81", ("one", "two"), "two", "m")
    broken = _write_jsonl(
        tmp_path / "broken.jsonl", [{"question_id": 1, "choices": []}, {"instruction": "x"}]
    )
    with pytest.raises(InputError, match=r"(?s)broken.jsonl:1: FastChat answer.*broken.jsonl:2: no answer"):
        read_answers(broken)


def test_a_reference_for_a_rated_benchmark_is_refused(offline: None) -> None:
    shared_file("mt_bench/question.jsonl")
    with pytest.raises(BenchmarkError, match="mt-bench rates each answer alone; it takes no reference"):
        load_benchmark("mt-bench", reference="gpt-4-0314")
    shared_file("arena_hard/model_answer_gpt-4-0613.jsonl.gz")
    assert load_benchmark("arena-hard", reference="gpt-4-0613").reference == "gpt-4-0613"


def _evaluate(tmp_path: Path, outputs: Path, reference: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, registry.OFFLINE_ENV_VAR: "1", "PYTHONPATH": str(Path(autoj.__file__).parents[1])}
    command = [
        sys.executable,
        "-m",
        "autoj",
        "evaluate",
        str(outputs),
        "--reference",
        reference,
        "-j",
        "fake",
    ]
    common = ["--no-scenarios", "--intersection", "-o", str(tmp_path / f"{reference}.jsonl"), "--json"]
    return subprocess.run(
        [*command, *common], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )


def test_evaluate_takes_a_registered_reference_by_name(tmp_path: Path) -> None:
    """`--reference gpt4_1106_preview` reads the registry's copy (it said "input file not found")."""
    shared_file("alpaca_eval/model_outputs/gpt4_1106_preview.json.gz")
    bench = load_benchmark("alpaca_eval")
    outputs = tmp_path / "mine.json"
    rows = [
        {"instruction": i.instruction, "output": "A short answer.", "generator": "mine"}
        for i in bench.instructions[:2]
    ]
    outputs.write_text(json.dumps(rows), encoding="utf-8")
    done = _evaluate(tmp_path, outputs, "gpt4_1106_preview")
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)["leaderboard"]
    assert (row["model"], row["reference"], row["n_total"]) == ("mine", "gpt4_1106_preview", 2)
    unknown = _evaluate(tmp_path, outputs, "gpt-5")
    assert unknown.returncode != 0 and "neither a file nor a registered model's outputs" in unknown.stderr


def test_evaluate_reads_arena_hard_answers_as_they_are(tmp_path: Path) -> None:
    """Arena-Hard's own model_answer form, for the model and for the registered baseline."""
    answers = shared_file("arena_hard/model_answer_gpt-4-0613.jsonl.gz")
    shared_file("arena_hard/model_answer_gpt-4-0314.jsonl.gz")
    with gzip.open(answers, "rt", encoding="utf-8") as handle:
        head = [next(handle) for _ in range(3)]
    outputs = tmp_path / "gpt-4-0613.jsonl"
    outputs.write_text("".join(head), encoding="utf-8")
    done = _evaluate(tmp_path, outputs, "gpt-4-0314")
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)["leaderboard"]
    assert (row["model"], row["reference"], row["n_total"]) == ("gpt-4-0613", "gpt-4-0314", 3)
