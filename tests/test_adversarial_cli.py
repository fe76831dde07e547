"""The `autoj` command used carelessly or with hostile inputs, as real processes.

Each case asserts exact behaviour: the exit code (2 for a usage mistake, 1 for a run that failed),
one message line naming the flag, file or line, no traceback, and files left intact. Every
registered command is covered: the list comes from the typer app itself.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import typer
from tests.conftest import one_error_line

from autoj import __version__
from autoj.cli.main import _register, app

ROOT = Path(__file__).resolve().parents[1]
AUTOJ = Path(sys.executable).parent / "autoj"
EXAMPLES = ROOT / "examples"


def autoj(*args: str | Path, timeout: float = 60, **options: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AUTOJ), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        **options,  # type: ignore[call-overload]
    )


def wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    """Block until `path` exists (a fake backend's `ready` file); fail if the process ended first."""
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"the run ended before it was ready: {process.communicate()[1]}")
        time.sleep(0.02)


def commands() -> list[tuple[list[str], Any]]:
    """Every command and command group the app registers, as argv paths, with its click object."""
    _register()
    found: list[tuple[list[str], Any]] = []

    def walk(group: Any, path: list[str]) -> None:
        for name, command in group.commands.items():
            found.append(([*path, name], command))
            if isinstance(command, typer.core.TyperGroup):
                walk(command, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = commands()
REQUIRING = [(path, cmd) for path, cmd in COMMANDS if any(p.required for p in cmd.params)]


def write_pairs(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            row = {
                "id": f"item-{i}",
                "prompt": f"Question {i}?",
                "response 1": f"A{i}",
                "response 2": f"B{i}",
                "label": i % 3,  # Auto-J's 0/1/2
            }
            handle.write(json.dumps(row) + "\n")
    return path


def ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


# --- usage: every command, bogus options, missing arguments, --version, -h, bad values -------------


def test_the_app_registers_the_commands_users_know() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"compare", "rate", "report", "serve", "bench pairwise", "cache stats"} <= names


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p))
def test_every_command_names_a_bogus_option_in_one_line(path: list[str]) -> None:
    done = autoj(*path, "--no-such-flag")
    one_error_line(done, 2, "No such option: --no-such-flag", f"autoj {' '.join(path)}")


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p))
def test_every_command_takes_h_for_help(path: list[str]) -> None:
    done = autoj(*path, "-h")
    assert done.returncode == 0, done.stderr
    assert "Usage:" in done.stdout and "--help" in done.stdout


@pytest.mark.parametrize("path", [p for p, _ in REQUIRING], ids=lambda p: " ".join(p))
def test_a_missing_argument_is_one_line_naming_it(path: list[str]) -> None:
    line = one_error_line(autoj(*path), 2, "Missing")
    assert f"'autoj {' '.join(path)} --help'" in line


def test_version_and_top_level_help() -> None:
    for flag in ("--version", "-V"):
        done = autoj(flag)
        assert done.returncode == 0 and done.stdout.strip() == f"autoj {__version__}"
    helped = autoj("-h")
    assert helped.returncode == 0 and "compare" in helped.stdout and "--version" in helped.stdout


@pytest.mark.parametrize(
    "args, flag",
    [
        (["compare", "x.jsonl", "--limit", "-1"], "--limit"),
        (["compare", "x.jsonl", "--max-new-tokens", "0"], "--max-new-tokens"),
        (["compare", "x.jsonl", "--concurrency", "0"], "--concurrency"),
        (["rate", "x.jsonl", "--limit", "many"], "--limit"),
        (["serve", "--port", "99999"], "--port"),
        (["bench", "pairwise", "--limit", "-1"], "--limit"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else v,
)
def test_bad_values_are_usage_errors_naming_the_flag(args: list[str], flag: str) -> None:
    one_error_line(autoj(*args, timeout=30), 2, f"'{flag}'")


# --- outputs: nothing a user owns is destroyed --------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/full", "/dev/zero"])
def test_a_device_output_is_refused_at_once(device: str) -> None:
    # before the fix, `-o /dev/full` read the device "to resume" until memory ran out
    done = autoj("compare", EXAMPLES / "pairs.jsonl", "-o", device, "--judge", "fake", timeout=30)
    one_error_line(done, 2, f"-o {device} is a character device")


def test_a_directory_or_fifo_output_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    for target, kind in ((tmp_path, "a directory"), (fifo, "a FIFO")):
        done = autoj("rate", EXAMPLES / "singles.jsonl", "-o", target, "--judge", "fake", timeout=30)
        one_error_line(done, 2, f"-o {target} is {kind}")


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]], ids=["resume", "overwrite"])
def test_the_input_is_never_the_output_even_through_a_link(tmp_path: Path, overwrite: list[str]) -> None:
    source = write_pairs(tmp_path / "pairs.jsonl", 3)
    link = tmp_path / "link.jsonl"
    link.symlink_to(source)
    before = source.read_bytes()
    for target in (source, link):
        done = autoj("compare", source, "-o", target, "--judge", "fake", *overwrite)
        one_error_line(done, 2, f"is the input file {source}", "not even with --overwrite")
    assert source.read_bytes() == before


@pytest.mark.parametrize(
    "command",
    [
        ["rate", "{src}", "-o", "{out}", "--judge", "fake"],
        ["classify", "{src}", "-o", "{out}", "--mode", "linear"],
        ["pipeline", "ingest", "{src}", "-o", "{out}", "--format", "pairs"],
        ["pipeline", "balance", "{src}", "-o", "{out}"],
        ["bench", "pairwise", "--data", "{src}", "-o", "{out}", "--judge", "fake", "--overwrite"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_other_commands_never_write_over_their_input(tmp_path: Path, command: list[str]) -> None:
    source = write_pairs(tmp_path / "data.jsonl", 3)
    before = source.read_bytes()
    argv = [part.format(src=source, out=source) for part in command]
    one_error_line(autoj(*argv), 2, "is the input file")
    assert source.read_bytes() == before
    argv = [part.format(src=source, out="/dev/full") for part in command]
    one_error_line(autoj(*argv, timeout=30), 2, "is a character device")


def test_report_never_replaces_results(tmp_path: Path) -> None:
    results = tmp_path / "r.jsonl"
    assert autoj("compare", EXAMPLES / "pairs.jsonl", "-o", results, "--judge", "fake").returncode == 0
    other = tmp_path / "other.jsonl"
    other.write_bytes(results.read_bytes())
    before = results.read_bytes()
    one_error_line(autoj("report", results, "-o", results), 2, "is the input file")
    one_error_line(autoj("report", results, "-o", other), 2, "already holds records")
    assert results.read_bytes() == before and other.read_bytes() == before


def test_an_output_that_cannot_be_made_is_one_line_naming_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = autoj("compare", EXAMPLES / "pairs.jsonl", "-o", blocker / "out.jsonl", "--judge", "fake")
    one_error_line(done, 2, f"-o {blocker / 'out.jsonl'}", "Not a directory")
    # /proc takes no new files, even from root: the open fails when the run starts
    done = autoj("compare", EXAMPLES / "pairs.jsonl", "-o", "/proc/autoj-out.jsonl", "--judge", "fake")
    one_error_line(done, 1, "cannot open /proc/autoj-out.jsonl for writing")


def test_a_full_disk_mid_run_keeps_whole_lines_and_the_next_run_resumes(tmp_path: Path) -> None:
    source = write_pairs(tmp_path / "pairs.jsonl", 20)
    probe = tmp_path / "probe.jsonl"
    args = ["--judge", "fake", "--both-orders", "--no-cache", "--concurrency", "1"]
    assert autoj("compare", source, "-o", probe, *args).returncode == 0
    line_size = probe.stat().st_size // 20
    limit = int(line_size * 2.5)  # the third line does not fit: a disk that fills up mid-run

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    out = tmp_path / "out.jsonl"
    done = autoj("compare", source, "-o", out, *args, preexec_fn=small_disk)
    one_error_line(done, 1, f"cannot write to {out}", "File too large", "run again to resume")
    assert len(ids(out)) == 2  # every line in the file is whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "pairs.jsonl", "probe.jsonl"]
    resumed = autoj("compare", source, "-o", out, *args, "--json")
    assert resumed.returncode == 0 and json.loads(resumed.stdout)["already_done"] == 2
    assert sorted(ids(out)) == sorted(f"item-{i}" for i in range(20))


def test_two_runs_on_one_output_the_second_fails_at_once(tmp_path: Path) -> None:
    source = write_pairs(tmp_path / "pairs.jsonl", 30)
    out = tmp_path / "out.jsonl"
    args: list[str | Path] = ["compare", source, "-o", out, "--no-cache", "--concurrency", "1"]
    ready, gate = tmp_path / "ready", tmp_path / "gate"
    # The first run holds the output's lock and waits, mid-run, until the gate file exists: the
    # second run meets it running whatever the machine's load (a barrier, not a delay).
    first = subprocess.Popen(
        [str(AUTOJ), *map(str, args), "--judge", f"fake:ready={ready},gate={gate},free=4"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(ready, first)
        second = autoj(*args, "--judge", "fake", timeout=60)
        one_error_line(second, 1, str(out), "another autoj run")
        assert first.poll() is None
    finally:
        gate.touch()
        _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert sorted(ids(out)) == sorted(f"item-{i}" for i in range(30))  # 30 lines for 30 ids


# --- setups: a resume never reuses another judge's work ------------------------------------------


def test_resume_with_another_judge_is_refused_then_overwrite_starts_over(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    pairs = EXAMPLES / "pairs.jsonl"
    assert autoj("compare", pairs, "-o", out, "--judge", "fake").returncode == 0
    before = out.read_bytes()
    line = one_error_line(autoj("compare", pairs, "-o", out, "--judge", "fake:seed=3"), 2)
    assert "another judge setup" in line and "'fake-seed0' in the file, 'fake-seed3' in this run" in line
    assert "--overwrite" in line and out.read_bytes() == before
    again = autoj("compare", pairs, "-o", out, "--judge", "fake", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["already_done"] == 6
    fresh = autoj("compare", pairs, "-o", out, "--judge", "fake:seed=3", "--overwrite", "--json")
    assert fresh.returncode == 0 and json.loads(fresh.stdout)["judged"] == 6
    models = {json.loads(x)["provenance"]["setup"]["backend"]["model"] for x in out.read_text().splitlines()}
    assert models == {"fake-seed3"}


def test_bench_never_reports_one_judge_under_another_judges_name(tmp_path: Path) -> None:
    out = tmp_path / "bench.jsonl"
    base: list[str | Path] = [
        "bench",
        "pairwise",
        "--data",
        EXAMPLES / "pairs.jsonl",
        "--output",
        out,
        "--json",
    ]
    first = autoj(*base, "--judge", "fake")
    assert first.returncode == 0, first.stderr
    one_error_line(autoj(*base, "--judge", "fake:seed=3"), 2, "another judge setup", "fake-seed3")


def test_report_refuses_a_file_that_mixes_setups(tmp_path: Path) -> None:
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert autoj("compare", EXAMPLES / "pairs.jsonl", "-o", one, "--judge", "fake").returncode == 0
    assert autoj("compare", EXAMPLES / "pairs.jsonl", "-o", two, "--judge", "fake:seed=4").returncode == 0
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(one.read_bytes() + two.read_bytes())
    one_error_line(autoj("report", mixed, "-o", tmp_path / "r.html"), 2, "mixes results of 2 judge setups")


# --- exit codes tell the truth -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["not-gguf", "truncated"])
def test_a_model_that_does_not_load_stops_the_run_with_that_reason(tmp_path: Path, kind: str) -> None:
    model = tmp_path / f"{kind}.gguf"
    if kind == "truncated":  # a download cut off after its first 30 MB
        from autoj.backends.llamacpp import embedded_model_path

        with embedded_model_path().open("rb") as whole:
            model.write_bytes(whole.read(30_000_000))
    else:
        model.write_bytes(b"this is not a GGUF file\n")
    out = tmp_path / "out.jsonl"
    for _ in range(2):  # nothing was counted as done: the second run says the same
        done = autoj(
            "compare", EXAMPLES / "pairs.jsonl", "-o", out, "--judge", f"llamacpp:{model}", "--no-cache"
        )
        line = one_error_line(done, 1, f"cannot load {model}")
        assert "does not fit" not in line
        assert not out.exists()  # nothing judged, nothing left behind


def test_an_unreachable_server_exits_1_with_counts_by_reason(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    judge = f"openai:m@http://127.0.0.1:{port}/v1"
    out = tmp_path / "out.jsonl"
    done = autoj(
        "compare", EXAMPLES / "pairs.jsonl", "-o", out, "-j", judge, "-B", "max_retries=0", "--no-cache"
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert (
        "6 item(s) got no judgment" in done.stderr and "6 x " in done.stderr and "ConnectError" in done.stderr
    )


class _Judge(BaseHTTPRequestHandler):
    """An OpenAI-compatible server whose model always answers `reply`."""

    reply = ""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        chat = self.path.endswith("/chat/completions")
        choice = {"message": {"content": self.reply}} if chat else {"text": self.reply}
        body = json.dumps({"choices": [{**choice, "finish_reason": "stop"}], "usage": {}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def served_judge() -> Iterator[type[_Judge]]:
    handler = type("Handler", (_Judge,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/v1"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def test_parse_failures_are_judgments_so_the_run_exits_0(tmp_path: Path, served_judge: type[_Judge]) -> None:
    served_judge.reply = "Both are fine, I cannot decide."
    judge = f"openai:m@{served_judge.url}"  # type: ignore[attr-defined]
    out = tmp_path / "out.jsonl"
    done = autoj(
        "compare", EXAMPLES / "pairs.jsonl", "-o", out, "-j", judge, "--protocol", "autoj", "--no-cache"
    )
    assert done.returncode == 0, done.stderr
    assert "(6 unparseable)" in done.stderr
    assert [json.loads(x)["status"] for x in out.read_text().splitlines()] == ["parse_error"] * 6


def test_a_judge_that_answers_by_position_gets_a_loud_warning(
    tmp_path: Path, served_judge: type[_Judge]
) -> None:
    served_judge.reply = "So, the final decision is Response 1."
    judge = f"openai:m@{served_judge.url}"  # type: ignore[attr-defined]
    source = write_pairs(tmp_path / "pairs.jsonl", 12)
    out = tmp_path / "out.jsonl"
    done = autoj(
        "compare", source, "-o", out, "-j", judge, "--protocol", "autoj", "--both-orders", "--no-cache"
    )
    assert done.returncode == 0, done.stderr
    assert "WARNING: both-order consistency is 0%" in done.stderr
    assert "the first response shown is chosen in 100% of judgments" in done.stderr
    assert "this judge answers by position; its verdicts carry no information" in done.stderr
    summary = autoj(
        "compare", source, "-o", out, "-j", judge, "--protocol", "autoj", "--both-orders", "--json"
    )
    assert json.loads(summary.stdout)["consistency"] == 0.0 and json.loads(summary.stdout)["warnings"]


# --- damaged files ---------------------------------------------------------------------------------


def test_a_results_file_with_invalid_bytes_names_the_line(tmp_path: Path) -> None:
    results = tmp_path / "r.jsonl"
    assert autoj("compare", EXAMPLES / "pairs.jsonl", "-o", results, "--judge", "fake").returncode == 0
    lines = results.read_bytes().split(b"\n")
    results.write_bytes(b"\n".join([lines[0], b"\xff\xfe\x00 not text", *lines[1:]]))
    before = results.read_bytes()
    one_error_line(autoj("report", results, "-o", tmp_path / "r.html"), 1, f"{results}:2: invalid UTF-8")
    resumed = autoj("compare", EXAMPLES / "pairs.jsonl", "-o", results, "--judge", "fake")
    one_error_line(resumed, 1, f"{results}:2: invalid UTF-8", "--overwrite")
    assert results.read_bytes() == before


def test_a_corrupt_cache_file_never_shows_a_traceback(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    cache.write_bytes(b"this is not a database" * 100)
    env = {**os.environ, "AUTOJ_CACHE": str(cache)}
    done = autoj("compare", EXAMPLES / "pairs.jsonl", "-o", tmp_path / "o.jsonl", "--judge", "fake", env=env)
    assert "Traceback" not in done.stderr and done.returncode in (0, 1), done.stderr
