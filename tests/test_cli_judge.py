"""`autoj compare / rate / prompt / backends` as a user runs them: real processes, real files."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autoj.backends.registry import parse_backend_options
from autoj.errors import AutojError
from autoj.protocols import get_protocol
from autoj.types import PairItem

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def autoj(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoj", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_pairs(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            row = {
                "id": f"item-{i}",
                "prompt": f"Question {i}?",
                "response 1": f"A{i}",
                "response 2": f"B{i}",
            }
            handle.write(json.dumps(row) + "\n")
    return path


def test_compare_file_both_orders_writes_one_line_per_item(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    done = autoj(
        "compare", str(EXAMPLES / "pairs.jsonl"), "-o", str(out), "--judge", "fake", "--both-orders", "--json"
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["judged"] == 6 and summary["generations"] == 12 and summary["failures"] == 0
    results = lines(out)
    assert [r["id"] for r in sorted(results, key=lambda r: r["id"])] == sorted(
        ["capital", "python-reverse", "thank-you", "boil-egg", "summarise", "haiku"]
    )
    for result in results:
        assert result["judgment"]["status"] == "ok" and result["swapped"]["status"] == "ok"
        assert result["provenance"]["protocol"] == "autoj@1" and result["provenance"]["judge"] == "fake"
        assert isinstance(result["consistent"], bool)


def test_rate_file(tmp_path: Path) -> None:
    out = tmp_path / "rated.jsonl"
    done = autoj("rate", str(EXAMPLES / "singles.jsonl"), "-o", str(out), "--judge", "fake")
    assert done.returncode == 0, done.stderr
    ratings = {r["id"]: r["rating"] for r in lines(out)}
    assert set(ratings) == {"capital-good", "capital-bad", "egg", "reverse"}
    assert all(1 <= v <= 10 for v in ratings.values())


def test_inline_compare_prints_the_critique_and_verdict() -> None:
    done = autoj("compare", "--judge", "fake", "--query", "2+2?", "--response-1", "4", "--response-2", "5")
    assert done.returncode == 0, done.stderr
    assert "So, the final decision is" in done.stdout and "verdict:" in done.stdout


def test_bad_input_is_one_clear_error_and_no_model_call(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"prompt": "q", "response 1": "a", "response 2": "b"}\n{"prompt": "q", "response 1": "a"}\n'
    )
    out = tmp_path / "out.jsonl"
    done = autoj("compare", str(bad), "-o", str(out), "--judge", "fake")
    assert done.returncode == 2
    assert f"{bad}:2 field 'response 2': missing field" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()
    skipped = autoj("compare", str(bad), "-o", str(out), "--judge", "fake", "--on-invalid", "skip")
    assert skipped.returncode == 0 and len(lines(out)) == 1


def test_unknown_backend_and_missing_file_are_clear_errors(tmp_path: Path) -> None:
    done = autoj(
        "compare", str(EXAMPLES / "pairs.jsonl"), "-o", str(tmp_path / "o.jsonl"), "--judge", "nope:x"
    )
    assert (
        done.returncode == 2 and "unknown judge backend 'nope'" in done.stderr and "llamacpp" in done.stderr
    )
    missing = autoj("rate", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "o.jsonl"), "--judge", "fake")
    assert missing.returncode == 2 and "input file not found" in missing.stderr
    assert "Traceback" not in done.stderr + missing.stderr


def test_prompt_command_prints_the_exact_auto_j_prompt() -> None:
    done = autoj("prompt", "pairwise", "--query", "Q", "--response", "A", "--response-2", "B")
    assert done.returncode == 0
    expected = get_protocol("autoj").prompt(PairItem("Q", "A", "B")).text
    assert done.stdout == expected + "\n"
    zh = autoj("prompt", "single", "--query", "问", "--response", "答", "--lang", "zh")
    assert zh.stdout.startswith("[INST] 为上传的针对给定用户问题的回应撰写评论")


def test_backends_lists_registered_backends() -> None:
    done = autoj("backends")
    assert done.returncode == 0
    for name in ("llamacpp", "openai", "fake"):
        assert name in done.stdout


def test_sigkill_midway_then_resume_judges_only_what_is_missing(tmp_path: Path) -> None:
    source = write_pairs(tmp_path / "pairs.jsonl", 40)
    out = tmp_path / "out.jsonl"
    ready = tmp_path / "ready"
    # The fake judge answers 20 prompts (at least 8 items in both orders), then waits for a gate that
    # never comes: the run is mid-way when it is killed, whatever the machine's load.
    command = [
        sys.executable, "-m", "autoj", "compare", str(source), "-o", str(out),
        "--judge", f"fake:free=20,ready={ready},gate={tmp_path / 'never'}", "--both-orders",
        "--concurrency", "2",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while not ready.exists() or len(out.read_bytes().splitlines()) < 8:
        assert process.poll() is None, process.communicate()[1]
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    killed = out.read_text(encoding="utf-8").splitlines()
    assert 8 <= len(killed) < 40, "the run was not interrupted midway"
    first_ids = [json.loads(line)["id"] for line in killed]  # every line written is valid JSON

    done = autoj("compare", str(source), "-o", str(out), "--judge", "fake", "--both-orders", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["already_done"] == len(first_ids)
    assert summary["judged"] == 40 - len(first_ids)
    ids = [r["id"] for r in lines(out)]
    assert sorted(ids) == sorted(f"item-{i}" for i in range(40))  # none lost, none duplicated
    assert ids[: len(first_ids)] == first_ids  # finished lines are kept as they were

    again = autoj("compare", str(source), "-o", str(out), "--judge", "fake", "--both-orders", "--json")
    assert json.loads(again.stdout)["judged"] == 0
    fresh = autoj("compare", str(source), "-o", str(out), "--judge", "fake", "--overwrite", "--json")
    assert json.loads(fresh.stdout)["judged"] == 40 and len(lines(out)) == 40


def test_a_cut_off_last_line_is_dropped_and_redone(tmp_path: Path) -> None:
    source = write_pairs(tmp_path / "pairs.jsonl", 3)
    out = tmp_path / "out.jsonl"
    assert autoj("compare", str(source), "-o", str(out), "--judge", "fake").returncode == 0
    text = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(text[:2]) + text[2][:25], encoding="utf-8")  # died mid-write
    done = autoj("compare", str(source), "-o", str(out), "--judge", "fake", "--json")
    assert json.loads(done.stdout)["judged"] == 1
    assert sorted(r["id"] for r in lines(out)) == ["item-0", "item-1", "item-2"]


@pytest.mark.parametrize(
    ("spec", "pairs", "expected"),
    [
        ("llamacpp", ["n_threads=2", "deterministic=true", "flash_attn=False"],
         {"n_threads": 2, "deterministic": True, "flash_attn": False}),
        ("openai:m@http://127.0.0.1:1/v1", ["timeout=2.5", "max_retries=0"],
         {"timeout": 2.5, "max_retries": 0}),
        ("llamacpp", [" n_ctx = 2048 "], {"n_ctx": 2048}),
        ("llamacpp", [], {}),
    ],
)  # fmt: skip
def test_backend_options_are_typed(spec: str, pairs: list[str], expected: dict) -> None:
    assert parse_backend_options(spec, pairs) == expected


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["n_thread=2"], "backend option 'n_thread': the 'llamacpp' backend takes deterministic, flash_attn"),
        (["threads"], "write KEY=VALUE"),
        (["=3"], "write KEY=VALUE"),
    ],
)
def test_misspelt_backend_options_are_errors(pairs: list[str], message: str) -> None:
    with pytest.raises(AutojError, match=re.escape(message)):
        parse_backend_options("llamacpp", pairs)


@pytest.mark.model
def test_compare_passes_backend_options_and_rejects_unknown_ones(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    base = ["compare", str(EXAMPLES / "pairs.jsonl"), "-o", str(out), "--judge", "llamacpp"]
    base += ["--max-new-tokens", "8"]
    bad = autoj(*base, "-B", "n_thred=1")
    assert bad.returncode == 2 and "the 'llamacpp' backend takes" in bad.stderr and "n_threads" in bad.stderr
    assert "Traceback" not in bad.stderr and not out.exists()
    good = autoj(*base, "-B", "deterministic=true", "-B", "n_threads=1", "--no-cache")
    assert good.returncode == 0, good.stderr
    assert len(lines(out)) == len(lines(EXAMPLES / "pairs.jsonl"))
