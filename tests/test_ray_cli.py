"""`autoj generate --ray-workers N`: the same file as a local run, resumed the same way, on a local
Ray started once for the module (2 CPUs); the CLI runs in this process, as `python -m autoj` does."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autoj.cli.main import main

VOLATILE = {"elapsed_s", "finished_at", "cache_hits"}


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A local Ray whose workers inherit this process's $AUTOJ_CACHE (a fresh file): the cache the
    driver's own runs use too. Yields that cache file."""
    ray = pytest.importorskip("ray")
    cache = tmp_path_factory.mktemp("ray-cache") / "cache.sqlite"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTOJ_CACHE", str(cache))
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
        try:
            yield cache
        finally:
            ray.shutdown()


def autoj(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of the CLI, run here (so it finds the module's Ray running)."""
    capsys.readouterr()
    argv = sys.argv
    sys.argv = ["autoj", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = argv
    out, err = capsys.readouterr()
    return code, out, err


def instructions_file(path: Path) -> Path:
    """Six instructions, every second one of two turns."""
    rows = [
        {"id": f"q{k}", "turns": [f"Question {k}, turn {t + 1}: say something." for t in range(1 + k % 2)]}
        for k in range(6)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def steady(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "provenance": {k: v for k, v in record["provenance"].items() if k not in VOLATILE}}


def test_a_ray_run_writes_what_a_local_run_writes(
    local_ray: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = instructions_file(tmp_path / "qs.jsonl")
    on_ray, here = tmp_path / "ray.json", tmp_path / "local.json"
    code, out, err = autoj(
        capsys,
        "generate",
        "-m",
        "fake:2",
        "-b",
        str(source),
        "-o",
        str(on_ray),
        "--ray-workers",
        "2",
        "--json",
    )
    assert code == 0, err
    remote = json.loads(out)
    assert (remote["total"], remote["generated"], remote["generations"], remote["cache_hits"]) == (6, 6, 9, 0)
    # the same setup here, with the cache the workers opened (theirs: $AUTOJ_CACHE where Ray started):
    # every answer comes from it
    monkeypatch.setenv("AUTOJ_CACHE", str(local_ray))
    code, out, err = autoj(capsys, "generate", "-m", "fake:2", "-b", str(source), "-o", str(here), "--json")
    assert code == 0, err
    local = json.loads(out)
    assert (local["generations"], local["cache_hits"]) == (0, 9)
    assert local["completion_tokens"] == remote["completion_tokens"] > 0
    records = json.loads(on_ray.read_text())
    assert [r["id"] for r in records] == [f"q{k}" for k in range(6)]
    assert [steady(r) for r in records] == [steady(r) for r in json.loads(here.read_text())]
    assert [len(r.get("turns", [])) for r in records] == [0, 2, 0, 2, 0, 2]
    assert records[0]["provenance"]["setup"]["backend"] == {"backend": "fake", "model": "fake-seed2"}


def test_a_resume_on_ray_sends_only_what_is_pending_and_refuses_another_setup(
    local_ray: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = instructions_file(tmp_path / "qs.jsonl")
    out_file = tmp_path / "part.jsonl"
    args = ["generate", "-m", "fake:5", "-b", str(source), "-o", str(out_file), "--no-cache", "--json"]
    assert autoj(capsys, *args)[0] == 0
    whole = out_file.read_text().splitlines(keepends=True)
    kept = [line for line in whole if json.loads(line)["id"] in {"q0", "q1"}]
    out_file.write_text("".join(kept))
    code, out, err = autoj(capsys, *args, "--ray-workers", "2")
    assert code == 0, err
    summary = json.loads(out)
    # q2..q5 only: 4 records back from the workers, 6 generations (q3 and q5 have two turns)
    assert (summary["already_done"], summary["generated"], summary["generations"]) == (2, 4, 6)
    lines = out_file.read_text().splitlines(keepends=True)
    assert lines[:2] == kept
    assert sorted(json.loads(line)["id"] for line in lines[2:]) == ["q2", "q3", "q4", "q5"]
    assert sorted(map(steady, map(json.loads, lines)), key=lambda r: r["id"]) == sorted(
        map(steady, map(json.loads, whole)), key=lambda r: r["id"]
    )
    before = out_file.read_bytes()
    mixed = [a if a != "fake:5" else "fake:9" for a in args]
    code, _, err = autoj(capsys, *mixed, "--ray-workers", "2")
    assert code == 2 and "another generator setup" in err and "Traceback" not in err
    assert out_file.read_bytes() == before


def test_without_the_ray_extra_the_error_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails, as where it is not installed
    source = instructions_file(tmp_path / "qs.jsonl")
    out_file = tmp_path / "o.json"
    code, _, err = autoj(
        capsys, "generate", "-m", "fake", "-b", str(source), "-o", str(out_file), "--ray-workers", "2"
    )
    assert code == 2 and "pip install 'autoj[ray]'" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and not out_file.exists()


def test_ray_flags_without_workers_are_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = instructions_file(tmp_path / "qs.jsonl")
    args = ["generate", "-m", "fake", "-b", str(source), "-o", str(tmp_path / "o.json")]
    code, _, err = autoj(capsys, *args, "--ray-address", "auto")
    assert code == 2 and "add --ray-workers N" in err and not (tmp_path / "o.json").exists()


def test_an_address_where_no_cluster_listens_is_one_line(tmp_path: Path) -> None:
    """In a process of its own: Ray would wait for ever on such an address; autoj says so at once."""
    pytest.importorskip("ray")
    with socket.socket() as probe:  # a port nothing listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = instructions_file(tmp_path / "qs.jsonl")
    args = ["generate", "-m", "fake", "-b", str(source), "-o", str(tmp_path / "o.json"), "--ray-workers", "2"]
    run = subprocess.run(
        [sys.executable, "-m", "autoj", *args, "--ray-address", f"127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"},
    )
    assert run.returncode == 2 and f"no Ray cluster answers at '127.0.0.1:{port}'" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "o.json").exists()
