"""Judge weights fetched from a hub on first use, against a loopback server that speaks the hub's
protocol: HEAD on /REPO/resolve/REV/FILE answers with the commit (X-Repo-Commit), the blob's
sha256 as X-Linked-Etag, its size as X-Linked-Size and a redirect to a storage host (here a
second port), where GET serves the bytes, Range requests included (206). The file served is the
embedded model's GGUF, so a catalog entry pointing at it judges for real.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub.utils import _detect_agent

from autoj.backends.llamacpp import EMBEDDED_FILE, embedded_model_path
from autoj.judges import hub
from autoj.judges.hub import HubError, HubFile, HubReferenceError, parse_ref

REPO = "loopback-org/smollm2-gguf"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def gguf() -> tuple[Path, str]:
    path = embedded_model_path()
    return path, hub.file_sha256(path)


@dataclass
class HubState:
    """What the loopback hub serves and what it was asked."""

    path: Path
    sha256: str
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    cut_first_get_after: int | None = None  # close the connection mid-body, once
    corrupt: bool = False  # flip a byte of what is sent (a transfer gone wrong)
    cdn: str = ""

    def body(self) -> bytes:
        data = self.path.read_bytes()
        if self.corrupt:
            data = data[:1000] + bytes([data[1000] ^ 0xFF]) + data[1001:]
        return data


def _handler(state: HubState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _record(self) -> None:
            if not self.path.startswith("/api/"):  # the client's own registry lookups are not file traffic
                state.requests.append((self.command, self.path, self.headers.get("Range")))

        def _error(self, status: int, code: str) -> None:
            self.send_response(status)
            self.send_header("X-Error-Code", code)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_HEAD(self) -> None:
            self._record()
            prefix = f"/{REPO}/resolve/"
            if not self.path.startswith(prefix):
                self._error(404, "RepoNotFound")
                return
            revision, _, filename = self.path[len(prefix) :].partition("/")
            if revision not in (COMMIT, "main"):
                self._error(404, "RevisionNotFound")
                return
            if filename != EMBEDDED_FILE:
                self._error(404, "EntryNotFound")
                return
            self.send_response(302)
            self.send_header("Location", f"{state.cdn}/blobs/{state.sha256}")
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("ETag", '"0123abcd"')  # the pointer file's etag; the blob's is linked
            self.send_header("X-Linked-Etag", f'"{state.sha256}"')
            self.send_header("X-Linked-Size", str(state.path.stat().st_size))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self._record()
            if self.path != f"/blobs/{state.sha256}":
                self._error(404, "EntryNotFound")
                return
            data = state.body()
            start = 0
            wanted = self.headers.get("Range")
            if wanted:
                start = int(wanted.removeprefix("bytes=").split("-")[0])
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            cut = state.cut_first_get_after
            if cut is not None and not wanted:
                state.cut_first_get_after = None
                self.wfile.write(data[:cut])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)  # the connection drops mid-file
                return
            self.wfile.write(data[start:])

    return Handler


@pytest.fixture
def loopback_hub(
    gguf: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[HubState]:
    """A hub on one loopback port and its storage host on another; the cache in tmp_path."""
    state = HubState(*gguf)
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _handler(state)) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    hub_url, cdn_url = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
    state.cdn = cdn_url
    monkeypatch.setenv("HF_ENDPOINT", hub_url)
    # huggingface_hub fetches a registry of agent tools from the endpoint it saw when imported;
    # an empty registry in memory keeps the tests from reaching outside the loopback
    monkeypatch.setattr(_detect_agent, "_registry", {"standardEnvVars": [], "harnesses": {}})
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    yield state
    for server in servers:
        server.shutdown()
        server.server_close()


def _cached_files(root: Path) -> list[Path]:
    """Model data left in a hub cache: blobs (complete or partial) and snapshot links, dangling or not."""
    return [
        p
        for p in root.rglob("*")
        if {"blobs", "snapshots"} & set(p.parts) and (p.is_symlink() or p.is_file())
    ]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("hf://org/repo/model.gguf", HubFile("org/repo", "model.gguf", "main", None)),
        (
            "hf://org/repo/sub/dir/model.Q4_K_M.gguf@v1.0",
            HubFile("org/repo", "sub/dir/model.Q4_K_M.gguf", "v1.0"),
        ),
        (f"hf://org/repo/m.gguf@{COMMIT}", HubFile("org/repo", "m.gguf", COMMIT)),
        (f"hf://org/repo/m.gguf#sha256={'AB' * 32}", HubFile("org/repo", "m.gguf", "main", "ab" * 32)),
        (
            f"hf://o.x/r-1_2/m.gguf@{COMMIT}#sha256={'0' * 64}",
            HubFile("o.x/r-1_2", "m.gguf", COMMIT, "0" * 64),
        ),
    ],
)
def test_hub_references_parse(ref: str, expected: HubFile) -> None:
    assert parse_ref(ref) == expected


@pytest.mark.parametrize(
    "ref",
    [
        "hf://repo-without-owner.gguf",
        "hf://org/repo",  # no file
        "hf://org/repo/m.gguf#sha256=1234",  # a checksum too short
        "hf://org/repo/m.gguf@",  # an empty revision
        "https://org/repo/m.gguf",
    ],
)
def test_malformed_hub_references_are_one_line_errors(ref: str) -> None:
    with pytest.raises(HubReferenceError, match="write hf://OWNER/REPO/FILE") as info:
        parse_ref(ref)
    assert "\n" not in str(info.value) and info.value.exit_code == 2  # a usage mistake


def test_first_use_downloads_the_pinned_file_then_the_cache_serves_it_offline(
    loopback_hub: HubState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = hub.fetch(REPO, EMBEDDED_FILE, COMMIT, loopback_hub.sha256)
    assert hub.file_sha256(path) == loopback_hub.sha256
    assert path.is_relative_to(tmp_path / "hub-cache")
    assert path.parent.name == COMMIT  # the snapshot of the pinned revision
    assert [r[0] for r in loopback_hub.requests] == ["HEAD", "HEAD", "GET"]  # a quick probe, the client's own
    assert loopback_hub.requests[2][1] == f"/blobs/{loopback_hub.sha256}"  # followed the storage redirect

    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")  # the hub is gone
    again = hub.fetch(REPO, EMBEDDED_FILE, COMMIT, loopback_hub.sha256)
    assert again == path
    assert len(loopback_hub.requests) == 3  # a pinned, cached file costs no request


def test_an_interrupted_download_resumes_with_a_range_request(loopback_hub: HubState) -> None:
    cut = 10 * 1024 * 1024
    loopback_hub.cut_first_get_after = cut
    path = hub.fetch(REPO, EMBEDDED_FILE, COMMIT, loopback_hub.sha256)
    assert hub.file_sha256(path) == loopback_hub.sha256
    gets = [r for r in loopback_hub.requests if r[0] == "GET"]
    assert gets[0][2] is None
    assert len(gets) == 2
    resumed_from = int(gets[1][2].removeprefix("bytes=").rstrip("-"))  # type: ignore[union-attr]
    assert 0 < resumed_from <= cut  # picked up where the dropped connection left the file


def test_a_wrong_checksum_is_one_line_and_leaves_nothing_in_the_cache(
    loopback_hub: HubState, tmp_path: Path
) -> None:
    wrong = "f" * 64
    with pytest.raises(HubError) as info:
        hub.fetch(REPO, EMBEDDED_FILE, COMMIT, wrong)
    message = str(info.value)
    assert "\n" not in message
    assert wrong in message and loopback_hub.sha256 in message and "removed from the cache" in message
    assert _cached_files(tmp_path / "hub-cache") == []
    assert hub.fetch(REPO, EMBEDDED_FILE, COMMIT, loopback_hub.sha256).is_file()  # the right file still comes


def test_a_corrupt_transfer_is_caught_removed_and_fetched_again_next_time(
    loopback_hub: HubState, tmp_path: Path
) -> None:
    loopback_hub.corrupt = True
    with pytest.raises(HubError, match="does not match"):
        hub.fetch(REPO, EMBEDDED_FILE, COMMIT, loopback_hub.sha256)
    assert _cached_files(tmp_path / "hub-cache") == []
    loopback_hub.corrupt = False
    path = hub.fetch(REPO, EMBEDDED_FILE, COMMIT, loopback_hub.sha256)
    assert hub.file_sha256(path) == loopback_hub.sha256


def test_an_unpinned_branch_fetched_before_is_served_from_the_cache_offline(
    loopback_hub: HubState, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = hub.fetch(REPO, EMBEDDED_FILE, "main")
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    assert hub.fetch(REPO, EMBEDDED_FILE, "main") == path


def test_offline_without_a_cached_copy_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(HubError, match="the hub cannot be reached and the file is not in") as info:
        hub.fetch(REPO, EMBEDDED_FILE, COMMIT, "0" * 64)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("repo", "filename", "revision", "says"),
    [
        ("nobody/nothing", EMBEDDED_FILE, COMMIT, "no such repository"),
        (REPO, "other.gguf", COMMIT, "has no file 'other.gguf'"),
        (REPO, EMBEDDED_FILE, "v9", "has no revision 'v9'"),
    ],
)
def test_what_the_hub_does_not_have_is_named(
    loopback_hub: HubState, repo: str, filename: str, revision: str, says: str
) -> None:
    with pytest.raises(HubError, match=says):
        hub.fetch(repo, filename, revision)


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoj", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=cwd,
        timeout=900,
    )


def test_a_bad_checksum_in_a_judge_spec_ends_the_cli_with_one_line(
    loopback_hub: HubState, tmp_path: Path
) -> None:
    spec = f"llamacpp:hf://{REPO}/{EMBEDDED_FILE}@{COMMIT}#sha256={'e' * 64}"
    env = {"HF_ENDPOINT": os.environ["HF_ENDPOINT"], "HF_HUB_CACHE": os.environ["HF_HUB_CACHE"]}
    done = _cli(
        ["compare", "--judge", spec, "--query", "q", "--response-1", "a", "--response-2", "b"], env, tmp_path
    )
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "does not match" in lines[0]
    assert "Traceback" not in done.stderr


@pytest.mark.model
def test_a_catalog_entry_on_the_loopback_hub_judges_the_example_pairs(
    loopback_hub: HubState, tmp_path: Path
) -> None:
    """End to end: a user catalog names the hub file; `autoj compare -j NAME` fetches it (checked)
    and judges examples/pairs.jsonl on the embedded llama.cpp backend."""
    catalog = tmp_path / "judges.yaml"
    catalog.write_text(
        f"""
- name: loopback-smollm2
  title: SmolLM2 served by the loopback hub
  protocol: chat
  backend: llamacpp:hf://{REPO}/{EMBEDDED_FILE}@{COMMIT}#sha256={loopback_hub.sha256}
  model: {REPO}
  license: apache-2.0
  context: 4096
""",
        encoding="utf-8",
    )
    env = {
        "HF_ENDPOINT": os.environ["HF_ENDPOINT"],
        "HF_HUB_CACHE": os.environ["HF_HUB_CACHE"],
        "AUTOJ_CATALOG": str(catalog),
        "AUTOJ_CACHE": str(tmp_path / "judgments.sqlite"),
    }
    listed = _cli(["judges", "--json"], env, tmp_path)
    assert "loopback-smollm2" in [e["name"] for e in json.loads(listed.stdout)]

    out = tmp_path / "out.jsonl"
    done = _cli(
        ["compare", str(ROOT / "examples" / "pairs.jsonl"), "-o", str(out), "-j", "loopback-smollm2"],
        env,
        tmp_path,
    )
    assert done.returncode in (0, 1), done.stderr  # 1: a judgment the 135M model got unparseable
    assert "Traceback" not in done.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    pairs = (ROOT / "examples" / "pairs.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(rows) == len(pairs)
    assert [r[0] for r in loopback_hub.requests] == ["HEAD", "HEAD", "GET"]  # fetched once, on first use
    blob = hashlib.sha256(Path(hub.fetch(REPO, EMBEDDED_FILE, COMMIT, loopback_hub.sha256)).read_bytes())
    assert blob.hexdigest() == loopback_hub.sha256
    assert loopback_hub.sha256 in out.read_text(encoding="utf-8")  # results record the model file's sha256
