"""`bench ratings` judges the same prompts as `rate` on the same file and input flags."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

RUBRIC = "Is the answer correct?\n" + "\n".join(f"Score {n}: level {n}" for n in range(1, 6))
ROWS = [
    {
        "id": "a",
        "prompt": "Capital of France?",
        "response": "Paris.",
        "score": 9,
        "gold": "Paris",
        "crit": RUBRIC,
    },
    {
        "id": "b",
        "prompt": "Capital of France?",
        "response": "Lyon.",
        "score": 2,
        "gold": "Paris",
        "crit": RUBRIC,
    },
    {"id": "c", "prompt": "2 + 2?", "response": "4", "score": 8, "gold": "4", "crit": RUBRIC},
]


def _autoj(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoj", *map(str, args), "-j", "fake", "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _prompt_hashes(path: Path) -> dict[str, list[str]]:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return {r["id"]: r["provenance"]["prompt_sha256"] for r in lines}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "rated.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return path


@pytest.mark.parametrize(
    "flags",
    [
        ("--reference-answer-field", "gold", "--rubric-field", "crit"),
        ("--reference-answer-field", "gold", "--rubric", "helpfulness"),
    ],
)
def test_bench_ratings_builds_the_prompts_rate_builds(data: Path, flags: tuple[str, ...]) -> None:
    common = ("--protocol", "prometheus", *flags)
    rated = _autoj("rate", data, "-o", "rate.jsonl", *common, cwd=data.parent)
    assert rated.returncode == 0, rated.stderr
    benched = _autoj("bench", "ratings", "--data", data, "-o", "bench.jsonl", *common, cwd=data.parent)
    assert benched.returncode == 0, benched.stderr
    rate_hashes = _prompt_hashes(data.parent / "rate.jsonl")
    assert set(rate_hashes) == {"a", "b", "c"}
    assert _prompt_hashes(data.parent / "bench.jsonl") == rate_hashes
    # the inputs changed the prompts: without them they differ
    bare = _autoj("rate", data, "-o", "bare.jsonl", "--protocol", "prometheus", cwd=data.parent)
    assert bare.returncode == 0, bare.stderr
    assert _prompt_hashes(data.parent / "bare.jsonl")["a"] != rate_hashes["a"]


def test_a_missing_rubric_field_is_a_usage_error(data: Path) -> None:
    done = _autoj(
        "bench",
        "ratings",
        "--data",
        data,
        "--rubric-field",
        "nope",
        "--protocol",
        "prometheus",
        cwd=data.parent,
    )
    assert done.returncode == 2
    assert "'nope'" in done.stderr and "--rubric-field" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (data.parent / "bench-ratings.jsonl").exists()


def test_a_protocol_that_cannot_use_an_input_refuses_it(data: Path) -> None:
    done = _autoj("bench", "ratings", "--data", data, "--reference-answer-field", "gold", cwd=data.parent)
    assert done.returncode == 2, done.stderr
    assert str(data) in done.stderr and "'gold'" in done.stderr and "--reference-answer-field" in done.stderr
    assert "Traceback" not in done.stderr
    refused = _autoj("bench", "ratings", "--data", data, "--rubric", "helpfulness", cwd=data.parent)
    assert refused.returncode == 2 and "--rubric" in refused.stderr
