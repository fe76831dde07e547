"""Every command that takes a judge finishes against a server that keeps connections alive.

HTTP/1.1 keep-alive leaves sockets open in the client after a run. When they belonged to an event
loop that had ended, closing the judge raised "Event loop is closed" after every item was judged
(evaluate and bench printed a traceback and exited 1). A connection belongs to the loop that made
it: these tests run each command against a stub that keeps connections alive (and counts how
many it saw, so the keep-alive is real) and against llama-cpp-python's own server.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from tests.conftest import free_port

from autoj import Judge
from autoj.backends.openai import OpenAIBackend
from autoj.types import GenerationParams, Message, Prompt

VERDICT = "Response 1 is clearer.\n\nSo, the final decision is Response 1."
RATING = "A fine answer.\n\nRating: [[7]]"


class KeepAlive(BaseHTTPRequestHandler):
    """A minimal OpenAI-compatible server speaking HTTP/1.1 with persistent connections."""

    protocol_version = "HTTP/1.1"
    peers: ClassVar[set[int]] = set()
    requests: ClassVar[int] = 0

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        KeepAlive.peers.add(self.client_address[1])
        KeepAlive.requests += 1
        prompt = json.dumps(body.get("messages") or body.get("prompt"))
        text = RATING if "Rating" in prompt and "Response 2" not in prompt else VERDICT
        if "messages" in body:
            choice: dict[str, Any] = {"message": {"role": "assistant", "content": text}}
        else:
            choice = {"text": text}
        payload = json.dumps(
            {
                "choices": [{**choice, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 9},
            }
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def stub() -> Iterator[str]:
    KeepAlive.peers, KeepAlive.requests = set(), 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def autoj(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoj", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def _no_traceback(run: subprocess.CompletedProcess[str]) -> None:
    shown = run.stdout + run.stderr
    assert "Traceback" not in shown and "Event loop is closed" not in shown, shown[-2000:]
    assert run.returncode == 0, shown[-2000:]


def _outputs(path: Path, model: str, answers: list[str]) -> Path:
    questions = ["Name a primary colour.", "What is 2+2?", "Say hello in French."]
    rows = [
        {"instruction": q, "output": a, "generator": model} for q, a in zip(questions, answers, strict=True)
    ]
    path.write_text(json.dumps(rows))
    return path


def _pairs(path: Path) -> Path:
    rows = [
        {
            "id": str(n),
            "prompt": f"Question {n}?",
            "response 1": "A long careful answer.",
            "response 2": "No.",
            "label": n % 2,
            "scenario": "open_question",
        }
        for n in range(4)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _judge_spec(url: str) -> str:
    return f"openai:stub@{url}"


# one connection at a time, so every request after the first rides a kept-alive socket
ONE = ("-B", "concurrency=1")


def _evaluate(tmp_path: Path, spec: str, *options: str) -> subprocess.CompletedProcess[str]:
    """`autoj evaluate` of a three-answer model against a reference, judged by `spec`."""
    ref = _outputs(tmp_path / "ref.json", "reference", ["Red.", "4", "Bonjour"])
    model = _outputs(tmp_path / "model.json", "mine", ["Blue is one.", "Four.", "Salut"])
    return autoj(
        "evaluate", str(model), "--reference", str(ref), "-j", spec, *options,
        "--no-scenarios", "--json", "-o", "results.jsonl", cwd=tmp_path,
    )  # fmt: skip


def test_evaluate_finishes_with_its_board_against_a_keep_alive_server(stub: str, tmp_path: Path) -> None:
    run = _evaluate(tmp_path, _judge_spec(stub), "--protocol", "autoj", *ONE)
    _no_traceback(run)
    board = json.loads(run.stdout)["leaderboard"]
    assert [row["model"] for row in board] == ["mine"] and board[0]["n_total"] == 3
    assert KeepAlive.requests == 6 and len(KeepAlive.peers) == 1  # one connection, kept alive


def test_bench_pairwise_and_ratings_finish_against_a_keep_alive_server(stub: str, tmp_path: Path) -> None:
    pairs = _pairs(tmp_path / "pairs.jsonl")
    run = autoj(
        "bench",
        "pairwise",
        "--data",
        str(pairs),
        "-j",
        _judge_spec(stub),
        "--protocol",
        "autoj",
        *ONE,
        "-o",
        "bench.jsonl",
        "--json",
        cwd=tmp_path,
    )
    _no_traceback(run)
    assert json.loads(run.stdout)["meta"]["items"] == 4
    singles = tmp_path / "singles.jsonl"
    singles.write_text(
        "".join(
            json.dumps({"id": str(n), "prompt": f"Q{n}?", "response": "A.", "score": n}) + "\n"
            for n in range(3)
        )
    )
    run = autoj(
        "bench",
        "ratings",
        "--data",
        str(singles),
        "-j",
        _judge_spec(stub),
        "--protocol",
        "autoj",
        *ONE,
        "-o",
        "ratings.jsonl",
        "--json",
        cwd=tmp_path,
    )
    _no_traceback(run)
    assert KeepAlive.requests == 8 + 3 and len(KeepAlive.peers) == 2  # one connection per run


def test_rank_compare_and_rate_finish_against_a_keep_alive_server(stub: str, tmp_path: Path) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        json.dumps({"id": "q", "prompt": "Best colour?", "candidates": ["red", "blue", "green"]}) + "\n"
    )
    run = autoj(
        "rank",
        str(queries),
        "-o",
        "ranked.jsonl",
        "-j",
        _judge_spec(stub),
        "--protocol",
        "autoj",
        *ONE,
        cwd=tmp_path,
    )
    _no_traceback(run)
    assert json.loads((tmp_path / "ranked.jsonl").read_text())["ranked"]
    run = autoj(
        "compare",
        str(_pairs(tmp_path / "p.jsonl")),
        "-o",
        "c.jsonl",
        "-j",
        _judge_spec(stub),
        *ONE,
        cwd=tmp_path,
    )
    _no_traceback(run)
    assert len(KeepAlive.peers) == 2  # one connection per run


def test_the_python_judge_reuses_its_connections_across_calls_and_closes_them(stub: str) -> None:
    judge = Judge(_judge_spec(stub), protocol="autoj", cache=False)
    for _ in range(3):
        assert judge.compare("q", "a", "b").verdict is not None
    judge.close()
    assert KeepAlive.requests == 3 and len(KeepAlive.peers) == 1


def test_a_backend_used_from_several_loops_closes_each_client_on_its_own_loop(stub: str) -> None:
    backend = OpenAIBackend("stub", base_url=stub)
    prompt = Prompt(messages=(Message("user", "Say yes."),))
    params = GenerationParams(max_new_tokens=4)
    for _ in range(2):  # each asyncio.run ends its loop: the loop's client is closed on it first
        [done] = backend.generate_sync([prompt], params)
        assert done.error is None
    asyncio.run(backend.aclose())  # nothing of the ended loops is touched from this one

    async def used_then_closed() -> None:
        [done] = await backend.generate([prompt], params)
        assert done.error is None
        await backend.aclose()

    asyncio.run(used_then_closed())


@pytest.mark.model
def test_evaluate_bench_and_serve_against_llama_cpp_pythons_server(llama_server: str, tmp_path: Path) -> None:
    spec = f"openai:smollm2-135m@{llama_server}"
    run = _evaluate(tmp_path, spec, "--max-new-tokens", "24")
    _no_traceback(run)
    assert json.loads(run.stdout)["leaderboard"][0]["model"] == "mine"
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 3  # every item judged
    run = autoj(
        "bench",
        "pairwise",
        "--data",
        str(_pairs(tmp_path / "pairs.jsonl")),
        "-j",
        spec,
        "--max-new-tokens",
        "24",
        "--limit",
        "2",
        "-o",
        "bench.jsonl",
        "--json",
        cwd=tmp_path,
    )
    _no_traceback(run)


def _serve_round(spec: str, tmp_path: Path, extra: tuple[str, ...] = ()) -> str:
    """Start `autoj serve` on `spec`, judge three pairs over HTTP, stop it with SIGINT: its log."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "autoj", "serve", "-j", spec, "--port", str(port), *extra],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        for n in range(3):
            pair = {"query": f"Best colour {n}?", "response_1": "Blue, for its calm.", "response_2": "Red."}
            answer = httpx.post(f"{url}/v1/compare", json={"pairs": [pair]}, timeout=120)
            assert answer.status_code == 200, answer.text
            assert answer.json()["results"][0]["status"] in ("ok", "parse_error")
    finally:
        process.send_signal(signal.SIGINT)
        log, _ = process.communicate(timeout=60)
    return log


def test_serve_judges_through_a_keep_alive_server_and_stops_cleanly(stub: str, tmp_path: Path) -> None:
    log = _serve_round(_judge_spec(stub), tmp_path, ("--protocol", "autoj", *ONE))
    assert "Traceback" not in log and "Event loop is closed" not in log, log[-3000:]
    assert KeepAlive.requests == 3 and len(KeepAlive.peers) == 1


@pytest.mark.model
def test_serve_judges_through_llama_cpp_pythons_server_and_stops_cleanly(
    llama_server: str, tmp_path: Path
) -> None:
    log = _serve_round(f"openai:smollm2-135m@{llama_server}", tmp_path, ("--max-new-tokens", "24"))
    assert "Traceback" not in log and "Event loop is closed" not in log, log[-3000:]
