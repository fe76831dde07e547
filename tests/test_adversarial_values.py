"""Second adversarial round (issue 21, causes 5-12): values never checked, exit codes, CSV/TSV
text, resources, the service's statuses, terminal escapes, evaluate's figures, silent fallbacks.

Each case asserts exact behaviour: the exit code (2 for a usage mistake, 1 for a run that
failed), one message line naming the file, line, flag or field, no traceback, files intact.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from tests.conftest import one_error_line

from autoj import FakeBackend, Judge
from autoj.backends.base import BackendOptionError
from autoj.backends.openai import MAX_ANSWER_BYTES, OpenAIBackend
from autoj.judges.config import ConfigError, JudgeConfig
from autoj.safeload import MAX_DEPTH, DocumentError, load_json, load_yaml
from autoj.serve import ServeSettings, create_app
from autoj.serve.server import serve_in_thread
from autoj.types import GenerationParams, Prompt

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT / "examples" / "pairs.jsonl"


def autoj(
    *args: str | Path, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoj", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- cause 5: every value checked at the edge ----------------------------------------------------


@pytest.mark.parametrize(
    ("option", "needles"),
    [
        ("concurrency=0", ["'concurrency'", "-B concurrency=0", "an integer >= 1"]),  # hung forever
        ("concurrency=-1", ["'concurrency'", "an integer >= 1"]),
        ("timeout=nan", ["'timeout'", "-B timeout=nan", "a finite number > 0"]),
        ("timeout=inf", ["'timeout'", "a finite number > 0"]),
        ("timeout=abc", ["'timeout'", "a finite number > 0", "'abc'"]),
        ("timeout=0", ["'timeout'", "> 0"]),
        ("max_retries=-3", ["'max_retries'", "an integer >= 0"]),
        ("backoff=inf", ["'backoff'", "a finite number >= 0"]),
        ('extra_body={"model":', ["'extra_body'", "not valid JSON"]),
        ("extra_body=model-B", ["'extra_body'", "a JSON object"]),
        ("extra_body=" + "[" * 5000 + "]" * 5000, ["'extra_body'", "a JSON object"]),
        ("extra_body={" + '"a":{' * 500 + "}" * 501, ["'extra_body'", "nested deeper than"]),
    ],
)
def test_bad_backend_option_values_are_one_line_naming_the_option(
    tmp_path: Path, option: str, needles: list[str]
) -> None:
    out = tmp_path / "out.jsonl"
    judge = f"openai:m@http://127.0.0.1:{closed_port()}/v1"
    done = autoj("compare", PAIRS, "-o", out, "-j", judge, "-B", option, "--no-cache", timeout=30)
    one_error_line(done, 2, *needles)
    assert not out.exists()


def test_a_json_object_backend_option_is_taken_from_the_command_line() -> None:
    config = JudgeConfig.load("openai:m@http://127.0.0.1:1/v1")
    from autoj.backends.registry import parse_backend_options

    options = parse_backend_options(config.judge, ['extra_body={"top_k": 5}', "timeout=2"])
    assert options == {"extra_body": {"top_k": 5}, "timeout": 2.0}


def test_python_keywords_are_checked_like_flags() -> None:
    from autoj.backends.registry import create_backend

    with pytest.raises(BackendOptionError, match=r"backend option 'concurrency': expected an integer >= 1"):
        create_backend("openai:m@http://127.0.0.1:1/v1", concurrency=0)
    with pytest.raises(ConfigError, match=r"'options.timeout': expected a finite number > 0"):
        JudgeConfig(judge="openai:m@http://127.0.0.1:1/v1", options={"timeout": float("nan")})


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ("{temperature: .nan}", "'params.temperature': expected a finite number"),
        ("{temperature: .inf}", "'params.temperature': expected a finite number"),
        ("{top_p: .nan}", "'params.top_p': expected a finite number"),
        ("{top_p: -.inf}", "'params.top_p': expected a finite number"),
    ],
)
def test_nan_and_infinity_in_a_judge_file_name_the_line_and_key(
    tmp_path: Path, params: str, needle: str
) -> None:
    judge = tmp_path / "judge.yaml"
    judge.write_text(f"judge: fake\nparams: {params}\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = autoj("compare", PAIRS, "-o", out, "-j", judge, "--no-cache")
    one_error_line(done, 2, f"{judge} line 2", needle)
    assert not out.exists()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_nan_generation_params_never_reach_results(value: float) -> None:
    for name in ("temperature", "top_p"):
        params = GenerationParams(**{name: value})  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match=f"'params.{name}': expected a finite number"):
            JudgeConfig(judge="fake", params=params)
        with pytest.raises(ConfigError, match=f"'params.{name}': expected a finite number"):
            Judge("fake", params=params)


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _zero_link(path: Path) -> Path:
    path.symlink_to("/dev/zero")
    return path


@pytest.mark.parametrize("make", [_fifo, _zero_link], ids=["fifo", "dev-zero"])
def test_a_judge_file_or_catalog_that_is_no_regular_file_is_refused_at_once(
    tmp_path: Path, make: object
) -> None:
    special = make(tmp_path / "judge.yaml")  # type: ignore[operator]
    out = tmp_path / "out.jsonl"
    started = time.monotonic()
    done = autoj("compare", PAIRS, "-o", out, "-j", special, "--no-cache", timeout=30)
    one_error_line(done, 2, "judge file", str(special), "not a regular file")
    # the catalog is read even for `-j fake` (a catalog entry may be named like a backend)
    done = autoj(
        "compare",
        PAIRS,
        "-o",
        out,
        "-j",
        "fake",
        "--no-cache",
        env={"AUTOJ_CATALOG": str(special)},
        timeout=30,
    )
    one_error_line(done, 2, "AUTOJ_CATALOG", str(special), "not a regular file")
    assert time.monotonic() - started < 25  # a reader blocked on the FIFO would hit the 30 s timeout
    assert not out.exists()


def _alias_bomb() -> str:
    """Ten levels of nine aliases each: 9**10 strings once expanded, about 530 bytes of YAML."""
    lines = ["judge: fake", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        (_alias_bomb(), ["aliases expand to more than"]),
        ("judge: fake\noptions: " + "[" * 5000 + "]" * 5000 + "\n", ["nested deeper than"]),
        ("judge: fake\noptions: " + "{a: " * 150 + "1" + "}" * 150 + "\n", ["nested deeper than"]),
    ],
    ids=["alias-bomb", "deep-list", "deep-mapping"],
)
def test_hostile_yaml_is_refused_quickly(tmp_path: Path, text: str, needles: list[str]) -> None:
    for where, env in (("judge", {}), ("catalog", {"AUTOJ_CATALOG": "SELF"})):
        path = tmp_path / f"{where}.yaml"
        path.write_text(
            text if where == "judge" else "- name: x\n  " + text.replace("\n", "\n  "), encoding="utf-8"
        )
        args = ["-j", path] if where == "judge" else ["-j", "fake"]
        env = {k: str(path) for k in env}
        started = time.monotonic()
        done = autoj("compare", PAIRS, "-o", tmp_path / "out.jsonl", *args, "--no-cache", env=env)
        assert time.monotonic() - started < 30
        one_error_line(done, 2, str(path), *needles)


def test_the_safe_loader_bounds_depth_and_expansion() -> None:
    assert load_yaml("a: [1, {b: 2}]", "x.yaml") == {"a": [1, {"b": 2}]}
    assert load_json('{"a": [1, {"b": 2}]}', "answer") == {"a": [1, {"b": 2}]}
    with pytest.raises(DocumentError, match=r"x\.yaml line 7: its aliases expand"):
        load_yaml(_alias_bomb(), "x.yaml")
    with pytest.raises(DocumentError, match=f"answer: nested deeper than {MAX_DEPTH}"):
        load_json("[" * 100_000 + "]" * 100_000, "answer")  # a RecursionError in json itself
    with pytest.raises(DocumentError, match="nested deeper than"):
        load_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "answer")
    with pytest.raises(DocumentError, match="contains itself"):
        load_yaml("a: &a [*a]", "x.yaml")


def test_serve_refuses_a_nan_timeout_and_a_token_that_can_never_match() -> None:
    done = autoj("serve", "-j", "fake", "--timeout", "nan", timeout=30)
    one_error_line(done, 2, "request_timeout_s", "positive finite")
    done = autoj("serve", "-j", "fake", "--token", "two words", timeout=30)
    one_error_line(done, 2, "the token", "spaces")
    done = autoj("serve", "-j", "fake", env={"AUTOJ_SERVE_TOKEN": "tab\tinside"}, timeout=30)
    one_error_line(done, 2, "$AUTOJ_SERVE_TOKEN", "spaces")


# --- cause 8: resources are bounded ---------------------------------------------------------------


class _Hostile(BaseHTTPRequestHandler):
    """`mode` "drip": one byte of a valid answer every 0.5 s; "bomb": a 0.5 MB gzip body that
    decodes to about half a gigabyte; "deep": JSON nested 100000 deep."""

    mode = "drip"
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.mode == "bomb":
            body = BOMB
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
        else:
            answer = {"choices": [{"text": "Rating: [[5]]", "finish_reason": "stop"}]}
            body = json.dumps(answer).encode() if self.mode == "drip" else b"[" * 100_000 + b"]" * 100_000
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.mode != "drip":
            self.wfile.write(body)
            return
        try:
            for byte in body:  # ~30 s for the whole answer: far past any timeout given below
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.5)
        except OSError:
            return

    def log_message(self, *args: object) -> None:
        return None


def _gzip_bomb(mib: int = 512) -> bytes:
    """`mib` MiB of zeros gzipped (about 0.5 MB), made in steps: this process never holds them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"0" * 2**20
    return b"".join(packer.compress(block) for _ in range(mib)) + packer.flush()


BOMB = _gzip_bomb()


@pytest.fixture
def hostile() -> Iterator[type[_Hostile]]:
    handler = type("Hostile", (_Hostile,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/v1"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def test_a_timeout_bounds_the_whole_request_against_a_dripping_server(
    tmp_path: Path, hostile: type[_Hostile]
) -> None:
    hostile.mode = "drip"
    out = tmp_path / "out.jsonl"
    started = time.monotonic()
    done = autoj(
        "rate", ROOT / "examples" / "singles.jsonl", "-o", out, "-j", f"openai:m@{hostile.url}",  # type: ignore[attr-defined]
        "-B", "timeout=2", "-B", "max_retries=0", "--no-cache", "--limit", "2", timeout=120,
    )  # fmt: skip
    wall = time.monotonic() - started
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "no complete answer within the 2s timeout" in done.stderr
    assert wall < 15, wall  # the whole answer takes ~30 s to drip


def test_a_gzip_bomb_answer_is_refused_with_bounded_memory(hostile: type[_Hostile]) -> None:
    hostile.mode = "bomb"
    assert len(BOMB) < 600_000
    # the peak resident size of the process that reads the answer (VmHWM: its own, not inherited)
    script = (
        "import re\n"
        "from autoj.backends.openai import OpenAIBackend\n"
        "from autoj.types import GenerationParams, Prompt\n"
        "def peak():\n"
        "    return int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1]) // 1024\n"
        f"backend = OpenAIBackend('m', base_url={hostile.url!r}, max_retries=0)\n"  # type: ignore[attr-defined]
        "before = peak()\n"
        "[done] = backend.generate_sync([Prompt(text='hi')], GenerationParams())\n"
        "print(done.error); print(peak() - before)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr
    error, grown_mib = run.stdout.strip().splitlines()
    assert f"larger than {MAX_ANSWER_BYTES // 2**20} MiB once decoded" in error
    assert int(grown_mib) < 2 * MAX_ANSWER_BYTES // 2**20, grown_mib  # was 1.27 GB


def test_a_deeply_nested_answer_fails_that_judgment_only(hostile: type[_Hostile]) -> None:
    hostile.mode = "deep"
    backend = OpenAIBackend("m", base_url=hostile.url, max_retries=0)  # type: ignore[attr-defined]
    [done] = backend.generate_sync([Prompt(text="hi")], GenerationParams())
    assert done.error is not None and "nested deeper than" in done.error


def test_one_large_rank_leaves_room_for_other_clients() -> None:
    """A pairwise rank of 32 candidates (496 pairs) used to fill the queue: 20 small requests
    sent while it runs all got 429. It now holds at most half the slots."""
    judge = Judge(FakeBackend(delay=0.02))
    settings = ServeSettings(judge="fake", max_pending=256)
    with serve_in_thread(create_app(judge, settings)) as url:
        big = {
            "query": "Which is best?",
            "candidates": [f"answer {n}" for n in range(32)],
            "method": "pairwise",
        }

        def rank() -> httpx.Response:
            return httpx.post(f"{url}/v1/rank", json=big, timeout=300)

        result: list[httpx.Response] = []
        thread = threading.Thread(target=lambda: result.append(rank()))
        thread.start()
        deadline = time.monotonic() + 30
        while httpx.get(f"{url}/healthz").json()["pending"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert httpx.get(f"{url}/healthz").json()["pending"] == 128
        small = {"pairs": [{"query": "q", "response_1": "a", "response_2": "b"}]}
        statuses = [httpx.post(f"{url}/v1/compare", json=small, timeout=60).status_code for _ in range(20)]
        thread.join()
    judge.close()
    assert statuses == [200] * 20
    assert result[0].status_code == 200 and len(result[0].json()["pairs"]) == 496


# --- cause 9: the service's statuses and auth -----------------------------------------------------


@pytest.fixture(scope="module")
def services() -> Iterator[dict[str, str]]:
    with (
        serve_in_thread(
            create_app(JudgeConfig(judge="fake", protocol="chat+criteria", cache=False))
        ) as criteria,
        serve_in_thread(
            create_app(JudgeConfig(judge="fake", protocol="prometheus", cache=False))
        ) as prometheus,
        serve_in_thread(
            create_app(
                JudgeConfig(judge="fake", cache=False), ServeSettings(judge="fake", token="s3cret-token")
            )
        ) as guarded,
    ):
        yield {"criteria": criteria, "prometheus": prometheus, "guarded": guarded}


@pytest.mark.parametrize("scenario", ["../../etc/passwd", "no-such-scenario"])
def test_an_unknown_scenario_is_the_clients_mistake(
    services: dict[str, str], scenario: str, caplog: pytest.LogCaptureFixture
) -> None:
    pair = {"query": "q", "response_1": "a", "response_2": "b", "scenario": scenario}
    answer = httpx.post(f"{services['criteria']}/v1/compare", json={"pairs": [pair]})
    assert answer.status_code == 422, answer.text
    assert f"unknown scenario {scenario!r}" in answer.json()["error"]
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("rubric", ["Is it helpful? (no score lines)", "[c]\nScore 1: bad\nScore 5: good"])
def test_a_rubric_that_does_not_fit_the_protocol_is_422(
    services: dict[str, str], rubric: str, caplog: pytest.LogCaptureFixture
) -> None:
    item = {"query": "q", "response": "a", "rubric": rubric}
    answer = httpx.post(f"{services['prometheus']}/v1/rate", json={"items": [item]})
    assert answer.status_code == 422, answer.text
    assert "rubric" in answer.json()["error"] or "score" in answer.json()["error"]
    assert "Traceback" not in caplog.text


def test_two_authorization_headers_are_refused(services: dict[str, str]) -> None:
    url = f"{services['guarded']}/v1/models"
    good, bad = ("Authorization", "Bearer s3cret-token"), ("Authorization", "Bearer wrong")
    assert httpx.get(url, headers=[good]).status_code == 200
    for headers in ([bad, good], [good, bad], [good, good]):
        answer = httpx.get(url, headers=headers)
        assert answer.status_code == 400
        assert "one Authorization header" in answer.json()["error"]


# --- cause 6: a run whose items failed exits non-zero ---------------------------------------------


def test_classify_llm_with_every_query_failed_exits_1(tmp_path: Path) -> None:
    source = tmp_path / "q.jsonl"
    source.write_text(
        "".join(json.dumps({"query": f"question {n}?"}) + "\n" for n in range(3)), encoding="utf-8"
    )
    out = tmp_path / "o.jsonl"
    judge = f"openai:m@http://127.0.0.1:{closed_port()}/v1"
    done = autoj("classify", source, "-o", out, "--mode", "llm", "--backend", judge, "-B", "max_retries=0")
    assert "Traceback" not in done.stderr and done.returncode == 1, done.stderr
    assert "3 of 3 queries got no scenario" in done.stderr and str(out) in done.stderr
    assert all("scenario_error" in json.loads(line) for line in out.read_text().splitlines())


def test_pipeline_teacher_with_only_backend_errors_exits_1(tmp_path: Path) -> None:
    from autoj.pipeline import files

    rows = [
        {
            "chosen": f"\n\nHuman: question {n}?\n\nAssistant: good {n}",
            "rejected": f"\n\nHuman: question {n}?\n\nAssistant: bad {n}",
        }
        for n in range(3)
    ]
    source = tmp_path / "hh.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    files.ingest_file(source, tmp_path / "pairs.jsonl", "hh")
    files.classify_file(tmp_path / "pairs.jsonl", tmp_path / "cls.jsonl", fallback="others")
    files.balance_file(tmp_path / "cls.jsonl", tmp_path / "bal.jsonl", cap=100)
    out = tmp_path / "teacher.jsonl"
    judge = f"openai:m@http://127.0.0.1:{closed_port()}/v1"
    done = autoj(
        "pipeline",
        "teacher",
        tmp_path / "bal.jsonl",
        "-o",
        out,
        "-j",
        judge,
        "-B",
        "max_retries=0",
        "--no-cache",
    )
    assert "Traceback" not in done.stderr and done.returncode == 1, done.stderr
    assert "3 sample(s)" in done.stderr and "got no teacher judgment" in done.stderr
    assert json.loads(done.stdout)["statuses"] == {"backend_error": 3}


def test_the_failed_count_is_the_no_judgment_count(tmp_path: Path) -> None:
    """An item too long for the judge's context got no judgment but was not counted as failed."""
    source = tmp_path / "long.jsonl"
    rows = [{"id": f"x{n}", "prompt": "q " * 6000, "response 1": "a", "response 2": "b"} for n in range(3)]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    judge = tmp_path / "judge.yaml"
    judge.write_text(
        f"judge: openai:m@http://127.0.0.1:{closed_port()}/v1\noptions: {{context_window: 512}}\n",
        encoding="utf-8",
    )
    done = autoj("compare", source, "-o", tmp_path / "out.jsonl", "-j", judge, "--no-cache")
    assert "Traceback" not in done.stderr and done.returncode == 1, done.stderr
    assert "3 failed" in done.stderr and "3 item(s) got no judgment" in done.stderr


# --- cause 7: CSV / TSV text is read as written ---------------------------------------------------


def test_an_unclosed_csv_quote_names_the_line_it_opened_on(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        'id,prompt,response 1,response 2\na,"q1,r1,r2\nb,q2,r2,r3\nc,q3,r3,r4\n', encoding="utf-8"
    )
    out = tmp_path / "out.jsonl"
    done = autoj("compare", source, "-o", out, "-j", "fake", "--no-cache")
    one_error_line(done, 2, f"{source}:2", "quote", "never closed")
    assert not out.exists()  # it used to judge 1 item, swallowing the rows after the quote


def test_a_tsv_field_keeps_its_quotes(tmp_path: Path) -> None:
    from autoj.io.items import load_items

    source = tmp_path / "in.tsv"
    source.write_text(
        'id\tprompt\tresponse 1\tresponse 2\na\t"Hello" she said\t"yes"\tno\nb\tq2\ta "b" c\td\n',
        encoding="utf-8",
    )
    pairs = load_items(source, "pairwise").pairs
    assert [(p.query, p.response_1) for p in pairs] == [('"Hello" she said', '"yes"'), ("q2", 'a "b" c')]


# --- cause 10: control characters from outside are shown escaped ----------------------------------


class _Escaping(BaseHTTPRequestHandler):
    """A server whose error answer clears the screen and sets the terminal's title."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b"\x1b[2J\x1b]0;owned\x07 bad request\r"
        self.send_response(400)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


def test_escapes_from_a_server_or_a_file_reach_the_terminal_escaped(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Escaping)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        done = autoj("compare", PAIRS, "-o", tmp_path / "o.jsonl", "-j", f"openai:m@{url}", "--no-cache")
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 1
    assert "\x1b" not in done.stderr + done.stdout and "\x07" not in done.stderr and "\r" not in done.stderr
    assert "\\x1b[2J\\x1b]0;owned" in done.stderr  # shown, not obeyed (rich drops the bell and \r)
    missing = autoj("compare", PAIRS, "-o", tmp_path / "o2.jsonl", "-j", "judge\x1b[2J.yaml")
    line = one_error_line(missing, 2, "judge\\x1b[2J.yaml")
    assert "\x1b" not in line


# --- cause 12: a mistake is an error where it is made ---------------------------------------------


def test_a_misnamed_input_field_is_an_error_not_the_packaged_default(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"prompt": "q", "response": "r", "my_rubric": "x"}) + "\n", encoding="utf-8")
    done = autoj(
        "rate",
        source,
        "-o",
        tmp_path / "o.jsonl",
        "-j",
        "fake",
        "--protocol",
        "prometheus",
        "--rubric-field",
        "nope",
        "--no-cache",
    )
    assert "Traceback" not in done.stderr and done.returncode == 2, done.stderr
    assert f"{source}:1 field 'nope'" in done.stderr and "--rubric-field" in done.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_python_misuse_is_an_error_at_the_mistake() -> None:
    from autoj import PairItem
    from autoj.errors import InputError
    from autoj.io.items import load_items

    with pytest.raises(TypeError, match="PairItem label 1 is not a Verdict"):
        PairItem("q", "a", "b", label=1)  # type: ignore[arg-type]
    judge = Judge("fake", cache=False)
    with pytest.raises(TypeError, match="item 0 is a tuple, not a PairItem or SingleItem"):
        judge.compare_many([("q", "a", "b")])  # type: ignore[list-item]
    judge.close()
    with pytest.raises(InputError, match="field 'response 2': missing field"):
        load_items(PAIRS.parent / "singles.jsonl", "pairwise")
    assert load_items(PAIRS.parent / "singles.jsonl", "pairwise", on_invalid="skip").problems


def test_a_catalog_entry_cannot_take_a_backends_name(tmp_path: Path) -> None:
    user = tmp_path / "catalog.yaml"
    user.write_text(
        "- name: fake\n  title: shadow\n  protocol: autoj\n  backend: openai:m@http://127.0.0.1:1/v1\n"
        "  model: m\n  license: x\n  context: 4096\n",
        encoding="utf-8",
    )
    done = autoj(
        "compare",
        PAIRS,
        "-o",
        tmp_path / "o.jsonl",
        "-j",
        "fake",
        "--no-cache",
        env={"AUTOJ_CATALOG": str(user)},
    )
    one_error_line(done, 2, str(user), "'fake' is a backend's name")


# --- everyday use ---------------------------------------------------------------------------------


def test_help_and_the_judges_table_are_readable_in_a_pipe() -> None:
    helped = autoj("compare", "--help")
    assert "--instruction-fi…" not in helped.stdout and "--reference-answer-field" in helped.stdout
    listed = autoj("judges")
    rows = [line for line in listed.stdout.splitlines() if line.startswith("│ autoj-13b ")]
    assert rows and "vllm:GAIR/autoj-13b" in rows[0]  # one row, not a spec broken over lines


class _Chatty(BaseHTTPRequestHandler):
    """A judge that never writes any protocol's verdict or rating line."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"choices": [{"message": {"content": "Looks fine to me."}, "text": "Looks fine."}]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        return None


def test_a_judge_that_does_not_speak_the_protocol_is_told_which_judges_do(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Chatty)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        judge = f"openai:m@http://127.0.0.1:{server.server_address[1]}/v1"
        singles = ROOT / "examples" / "singles.jsonl"
        done = autoj(
            "rate", singles, "-o", tmp_path / "o.jsonl", "-j", judge, "--protocol", "prometheus", "--no-cache"
        )
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0 and "Traceback" not in done.stderr  # parse failures are the judge's answers
    assert "no answer could be read in the prometheus protocol's format" in done.stderr
    assert "prometheus-7b-v2" in done.stderr


def test_small_fits_raise_no_numpy_warnings() -> None:
    import warnings

    import numpy as np

    from autoj.stats.glm import fit_soft_logistic

    features = np.array([[1.0, 0.2], [1.0, -0.4], [1.0, 0.9]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for rows in (1, 2, 3):
            fit = fit_soft_logistic(features[:rows], np.array([0.8, 0.3, 0.6])[:rows])
            assert np.all(np.isfinite(fit.coef))


# --- cause 11: evaluate's figures never drop or mix data silently ---------------------------------


def _annotations(path: Path, model: str, prefs: list[float]) -> Path:
    rows = [
        {
            "instruction": f"instruction {n}",
            "output_1": "reference answer " * (n % 3 + 1),
            "generator_1": "base",
            "output_2": "model answer " * (n % 4 + 1),
            "generator_2": model,
            "preference": p,
        }
        for n, p in enumerate(prefs)
    ]
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("model", "prefs", "field", "needle"),
    [
        ("m", [1.0, 2.0, 7.0, 1.5], "preference", "7 is outside alpaca_eval's scale"),
        ("m", [1.0, -1.0], "preference", "-1 is outside"),
        ("base", [1.0, 2.0], "generator_2", "a model is never compared with itself"),
    ],
)
def test_annotations_that_cannot_be_scored_name_the_record(
    tmp_path: Path, model: str, prefs: list[float], field: str, needle: str
) -> None:
    from autoj.errors import InputError
    from autoj.evaluate.comparisons import read_annotations

    path = _annotations(tmp_path / "a.json", model, prefs)
    with pytest.raises(InputError) as info:
        read_annotations(path)
    line = prefs.index(7.0) + 1 if 7.0 in prefs else 2 if -1.0 in prefs else 1
    assert f"{path}:{line} field {field!r}" in str(info.value) and needle in str(info.value)


def test_a_model_named_as_the_reference_is_refused(tmp_path: Path) -> None:
    rows = [{"instruction": f"i{n}", "output": f"o{n}", "generator": "base"} for n in range(3)]
    reference, model = tmp_path / "ref.json", tmp_path / "model.json"
    reference.write_text(json.dumps(rows), encoding="utf-8")
    model.write_text(json.dumps([{**r, "output": r["output"] + "!"} for r in rows]), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = autoj("evaluate", model, "--reference", reference, "-j", "fake", "-o", out, "--no-cache")
    one_error_line(done, 2, str(model), "'base'", "never compared with itself")
    assert not out.exists()


def test_a_results_line_whose_provenance_is_not_an_object_names_the_line(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert autoj("compare", PAIRS, "-o", out, "-j", "fake", "--no-cache").returncode == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    broken = json.loads(lines[1])
    broken["provenance"] = "by hand"
    lines[1] = json.dumps(broken)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = out.read_bytes()
    resumed = autoj("compare", PAIRS, "-o", out, "-j", "fake", "--no-cache")
    one_error_line(resumed, 1, f"{out}:2")
    reported = autoj("report", out, "-o", tmp_path / "r.html")
    one_error_line(reported, 1, f"{out}:2", "'provenance' is str, not an object")
    assert out.read_bytes() == before


def test_intersection_with_one_shared_instruction_scores_it_without_warnings(tmp_path: Path) -> None:
    reference, model = tmp_path / "ref.json", tmp_path / "m.json"
    reference.write_text(
        json.dumps([{"instruction": f"i{n}", "output": f"o{n}", "generator": "ref"} for n in range(3)])
    )
    model.write_text(
        json.dumps([{"instruction": f"i{n}", "output": f"x{n}", "generator": "m"} for n in (0, 7, 8)])
    )
    out = tmp_path / "out.jsonl"
    done = autoj(
        "evaluate", model, "--reference", reference, "-j", "fake", "-o", out, "--no-cache", "--intersection"
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "RuntimeWarning" not in done.stderr and "Mean of empty slice" not in done.stderr
    assert len(out.read_text().splitlines()) == 1


def test_a_judge_bench_of_another_setup_is_refused_before_judging(tmp_path: Path) -> None:
    bench = tmp_path / "bench.jsonl"
    made = autoj("compare", PAIRS, "-o", bench, "-j", "fake", "--both-orders", "--no-cache")
    assert made.returncode == 0, made.stderr
    rows = [{"instruction": f"i{n}", "output": f"o{n}", "generator": "ref"} for n in range(3)]
    reference, model = tmp_path / "ref.json", tmp_path / "m.json"
    reference.write_text(json.dumps(rows), encoding="utf-8")
    model.write_text(
        json.dumps([{**r, "output": r["output"] + "!", "generator": "m"} for r in rows]), encoding="utf-8"
    )
    out = tmp_path / "out.jsonl"
    args = ["evaluate", model, "--reference", reference, "-o", out, "--no-cache", "--judge-bench", bench]
    other = autoj(*args, "-j", "fake", "--protocol", "chat")
    one_error_line(other, 2, f"--judge-bench {bench}", "another judge setup")
    assert not out.exists()
    same = autoj(*args, "-j", "fake")
    assert same.returncode == 0 and "Traceback" not in same.stderr, same.stderr
