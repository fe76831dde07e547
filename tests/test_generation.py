"""`autoj generate`: the model under test answers a benchmark into alpaca_eval's format; streamed,
resumed after kill -9, cached, one setup per file; real models behind every backend kind."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import tiny_llama

from autoj.backends.fake import FakeBackend
from autoj.data.benchmarks import BenchmarkInstruction
from autoj.run.cache import JudgmentCache
from autoj.run.generation import Generator, generate_to_file, stream_path
from autoj.types import Prompt


def autoj(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoj", *args], capture_output=True, text=True, timeout=timeout
    )


def instructions_file(path: Path, n: int, turns: int = 1) -> Path:
    rows = [
        {"id": f"q{k}", "turns": [f"Question {k}, turn {t + 1}: say something." for t in range(turns)]}
        for k in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_generate_writes_alpaca_eval_records_with_the_setup(tmp_path: Path) -> None:
    source = instructions_file(tmp_path / "qs.jsonl", 6)
    out = tmp_path / "fake.json"
    run = autoj("generate", "-m", "fake:3", "-b", str(source), "-o", str(out), "--json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert (summary["total"], summary["generated"], summary["failures"]) == (6, 6, 0)
    assert summary["completion_tokens"] > 0 and summary["elapsed_s"] >= 0
    records = json.loads(out.read_text())
    assert [r["id"] for r in records] == [f"q{k}" for k in range(6)]
    first = records[0]
    assert first["instruction"] == "Question 0, turn 1: say something."
    assert first["output"].startswith("An answer to: Question 0")
    assert (first["generator"], first["dataset"]) == ("fake-seed3", "qs")
    setup = first["provenance"]["setup"]
    assert setup["backend"] == {"backend": "fake", "model": "fake-seed3"}
    assert setup["params"]["max_new_tokens"] == 2048 and setup["chat_template"] == "none"
    assert not stream_path(out).exists()  # the stream is folded into the finished list


def test_limit_picks_the_same_instructions_for_every_model_and_name_is_used(tmp_path: Path) -> None:
    source = instructions_file(tmp_path / "qs.jsonl", 40)
    a, b = tmp_path / "a.jsonl", tmp_path / "b.json"
    assert autoj("generate", "-m", "fake", "-b", str(source), "-o", str(a), "--limit", "5").returncode == 0
    run = autoj("generate", "-m", "fake:1", "-b", str(source), "-o", str(b), "--limit", "5", "--name", "mine")
    assert run.returncode == 0, run.stderr
    ids_a = sorted(json.loads(line)["id"] for line in a.read_text().splitlines())
    records_b = json.loads(b.read_text())
    assert ids_a == sorted(r["id"] for r in records_b) and len(ids_a) == 5
    assert {r["generator"] for r in records_b} == {"mine"}


def test_a_second_run_is_served_by_the_cache_and_another_setup_is_refused(tmp_path: Path) -> None:
    source = instructions_file(tmp_path / "qs.jsonl", 4)
    first = tmp_path / "one.json"
    assert autoj("generate", "-m", "fake", "-b", str(source), "-o", str(first)).returncode == 0
    again = autoj("generate", "-m", "fake", "-b", str(source), "-o", str(first), "--json")
    assert json.loads(again.stdout)["already_done"] == 4
    other = autoj("generate", "-m", "fake", "-b", str(source), "-o", str(tmp_path / "two.json"), "--json")
    summary = json.loads(other.stdout)
    assert (summary["cache_hits"], summary["generations"]) == (4, 0)
    assert (
        json.loads((tmp_path / "two.json").read_text())[0]["output"]
        == json.loads(first.read_text())[0]["output"]
    )
    before = first.read_bytes()
    mixed = autoj("generate", "-m", "fake:9", "-b", str(source), "-o", str(first))
    assert mixed.returncode == 2
    assert "another generator setup" in mixed.stderr and "Traceback" not in mixed.stderr
    hot = autoj("generate", "-m", "fake", "-b", str(source), "-o", str(first), "--max-new-tokens", "5")
    assert hot.returncode == 2 and "params.max_new_tokens" in hot.stderr
    assert first.read_bytes() == before


def test_changed_instructions_and_foreign_files_are_refused(tmp_path: Path) -> None:
    source = instructions_file(tmp_path / "qs.jsonl", 3)
    out = tmp_path / "o.json"
    assert autoj("generate", "-m", "fake", "-b", str(source), "-o", str(out)).returncode == 0
    source.write_text(source.read_text().replace("Question 1,", "Another question 1,"))
    changed = autoj("generate", "-m", "fake", "-b", str(source), "-o", str(out))
    assert changed.returncode == 2 and "instruction 'q1' was made for another text" in changed.stderr
    theirs = tmp_path / "theirs.json"
    theirs.write_text('[{"instruction": "x", "output": "y"}]')
    refused = autoj("generate", "-m", "fake", "-b", str(source), "-o", str(theirs))
    assert refused.returncode == 2 and "never overwritten" in refused.stderr
    assert theirs.read_text() == '[{"instruction": "x", "output": "y"}]'
    into_input = autoj("generate", "-m", "fake", "-b", str(source), "-o", str(source))
    assert into_input.returncode == 2 and "is the input file" in into_input.stderr


def test_a_run_killed_with_sigkill_resumes_where_it_stopped(tmp_path: Path) -> None:
    source = instructions_file(tmp_path / "qs.jsonl", 30)
    out = tmp_path / "o.json"
    stream = stream_path(out)
    # One answer at a time, each taking 0.3 s: the run is far from done when the stream has 3 lines.
    args = ["generate", "-m", "fake:delay=0.3", "-b", str(source), "-o", str(out), "--concurrency", "1"]
    process = subprocess.Popen([sys.executable, "-m", "autoj", *args], stderr=subprocess.DEVNULL)
    try:
        while not stream.exists() or stream.read_text().count("\n") < 3:
            assert process.poll() is None, "the run ended before it was killed"
            os.sched_yield()
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    kept = stream.read_text().count("\n")
    with stream.open("a") as handle:
        handle.write('{"id": "q29", "instruction": "cut off mid-wri')  # a line the kill cut short
    resumed = autoj(*args, "--json")
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["already_done"] == kept and summary["generated"] == 30 - kept
    records = json.loads(out.read_text())
    assert [r["id"] for r in records] == [f"q{k}" for k in range(30)]
    assert all(r["status"] == "ok" and r["output"] for r in records)


def test_multi_turn_asks_the_second_turn_after_the_models_own_answer(tmp_path: Path) -> None:
    seen: list[Prompt] = []

    def answer(prompt: Prompt) -> str:
        seen.append(prompt)
        return f"answer {len(prompt.messages)}"

    generator = Generator(
        FakeBackend(script=answer), name="scripted", system_prompt="Be brief.", dataset="mt"
    )
    instructions = [BenchmarkInstruction("1", ["first?", "second?"], "writing")]
    out = tmp_path / "o.json"
    summary = asyncio.run(generate_to_file(generator, instructions, out, progress=False))
    assert summary.complete
    [record] = json.loads(out.read_text())
    assert record["turns"] == ["answer 2", "answer 4"] and record["output"] == "answer 4"
    assert record["category"] == "writing"
    assert [(m.role, m.content) for m in seen[1].messages] == [
        ("system", "Be brief."),
        ("user", "first?"),
        ("assistant", "answer 2"),
        ("user", "second?"),
    ]


def test_failed_answers_are_retried_not_kept(tmp_path: Path) -> None:
    calls = {"n": 0}

    class Flaky(FakeBackend):
        async def generate(self, prompts, params):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 2:
                from autoj.types import Completion

                return [Completion.failed("server down") for _ in prompts]
            return await super().generate(prompts, params)

    instructions = [BenchmarkInstruction(str(n), [f"q{n}"]) for n in range(3)]
    out = tmp_path / "o.json"
    cache = JudgmentCache(tmp_path / "c.sqlite")
    first = asyncio.run(
        generate_to_file(Generator(Flaky(), concurrency=1, cache=cache), instructions, out, progress=False)
    )
    assert first.failures == 1 and not out.exists() and stream_path(out).exists()
    second = asyncio.run(
        generate_to_file(Generator(Flaky(), concurrency=1, cache=cache), instructions, out, progress=False)
    )
    assert (second.already_done, second.generated, second.failures) == (2, 1, 0)
    assert [r["id"] for r in json.loads(out.read_text())] == ["0", "1", "2"]


def test_a_missing_extra_is_one_line() -> None:
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed: the missing-extra message cannot show")
    run = autoj("generate", "-m", "vllm:some/model", "-b", "alpaca_eval", "-o", "/tmp/never.json")
    assert run.returncode == 2 and "autoj[vllm]" in run.stderr and "Traceback" not in run.stderr


def test_hf_generation_on_a_tiny_local_model(tmp_path: Path) -> None:
    model, tokenizer = tiny_llama("Question answer say something turn")
    model_dir = tmp_path / "tiny"
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    source = instructions_file(tmp_path / "qs.jsonl", 2, turns=2)
    out = tmp_path / "o.json"
    run = autoj(
        "generate",
        "-m",
        f"hf:{model_dir}",
        "-b",
        str(source),
        "-o",
        str(out),
        "--max-new-tokens",
        "6",
        "--json",
    )
    assert run.returncode == 0, run.stderr
    records = json.loads(out.read_text())
    assert [len(r["turns"]) for r in records] == [2, 2]
    assert all(r["provenance"]["completion_tokens"][0] > 0 for r in records)
    assert records[0]["provenance"]["setup"]["chat_template"] == "tokenizer"


@pytest.mark.model
def test_llama_cpp_pythons_server_as_the_model_under_test(llama_server: str, tmp_path: Path) -> None:
    source = instructions_file(tmp_path / "qs.jsonl", 3)
    out = tmp_path / "o.json"
    spec = f"openai:smollm2-135m@{llama_server}"
    run = autoj("generate", "-m", spec, "-b", str(source), "-o", str(out), "--max-new-tokens", "24", "--json")
    assert run.returncode == 0, run.stderr
    records = json.loads(out.read_text())
    assert [r["generator"] for r in records] == ["smollm2-135m"] * 3
    assert all(r["output"].strip() for r in records)
    setup = records[0]["provenance"]["setup"]
    assert setup["chat_template"] == "server" and setup["backend"]["base_url"] == llama_server


@pytest.mark.model
def test_the_embedded_model_answers_two_turns(tmp_path: Path) -> None:
    source = instructions_file(tmp_path / "qs.jsonl", 2, turns=2)
    out = tmp_path / "o.json"
    run = autoj("generate", "-m", "llamacpp", "-b", str(source), "-o", str(out), "--max-new-tokens", "16")
    assert run.returncode == 0, run.stderr
    records = json.loads(out.read_text())
    assert [len(r["turns"]) for r in records] == [2, 2]
    assert all(t.strip() for r in records for t in r["turns"])
    assert records[0]["output"] == records[0]["turns"][1]
    assert records[0]["provenance"]["setup"]["chat_template"] == "gguf"
