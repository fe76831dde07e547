"""The dataset registry: resolution order, sha256 checks, downloads from a real local server."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from autoj.data import datadir
from autoj.data import registry as datasets
from autoj.data.registry import DataFile, DatasetError

PAYLOAD = b'{"prompt": "hi"}\n'


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving tmp_path/www; yields its base URL."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "good.jsonl").write_bytes(PAYLOAD)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_download_accepts_the_right_bytes(server: str, tmp_path: Path) -> None:
    entry = DataFile("x/good.jsonl", _sha(PAYLOAD), f"{server}/good.jsonl")
    target = datasets.download(entry, tmp_path / "cache" / entry.relative)
    assert target.read_bytes() == PAYLOAD
    datasets.verify(target, entry)


def test_download_rejects_wrong_bytes_and_writes_nothing(server: str, tmp_path: Path) -> None:
    entry = DataFile("x/good.jsonl", _sha(b"other bytes"), f"{server}/good.jsonl")
    target = tmp_path / "cache" / entry.relative
    with pytest.raises(DatasetError, match="sha256"):
        datasets.download(entry, target)
    assert not target.exists()
    assert not target.parent.exists()  # nothing, not even a temporary file, was written


def test_download_of_a_file_stored_gzipped_here(server: str, tmp_path: Path) -> None:
    entry = DataFile("x/good.json.gz", _sha(PAYLOAD), f"{server}/good.jsonl", gzipped_here=True)
    target = datasets.download(entry, tmp_path / entry.relative)
    assert gzip.decompress(target.read_bytes()) == PAYLOAD
    datasets.verify(target, entry)


def test_resolve_downloads_into_the_cache(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = DataFile("x/good.jsonl", _sha(PAYLOAD), f"{server}/good.jsonl")
    dataset = datasets.Dataset("test-set", "a test", {"f": entry})
    monkeypatch.setitem(datasets.DATASETS, "test-set", dataset)
    monkeypatch.setenv(datasets.CACHE_ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.delenv(datadir.ENV_VAR, raising=False)
    monkeypatch.delenv(datasets.OFFLINE_ENV_VAR, raising=False)
    monkeypatch.setattr(datasets, "_network_failed", False)
    path = datasets.resolve("test-set")
    assert path == tmp_path / "cache" / "x" / "good.jsonl"
    assert path.read_bytes() == PAYLOAD


def test_resolution_order_and_offline_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = DataFile("x/here.jsonl", _sha(PAYLOAD), "http://127.0.0.1:9/nothing")
    monkeypatch.setitem(datasets.DATASETS, "test-set", datasets.Dataset("test-set", "t", {"f": entry}))
    monkeypatch.setenv(datasets.CACHE_ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.setenv(datasets.OFFLINE_ENV_VAR, "1")
    monkeypatch.setattr(datadir, "_candidates", lambda: [])
    monkeypatch.delenv(datadir.ENV_VAR, raising=False)
    with pytest.raises(DatasetError) as caught:
        datasets.resolve("test-set")
    message = str(caught.value)
    assert str(tmp_path / "cache" / "x" / "here.jsonl") in message
    assert datadir.ENV_VAR in message and "http://127.0.0.1:9/nothing" in message
    # the cache is used when it holds the file
    cached = tmp_path / "cache" / "x" / "here.jsonl"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(PAYLOAD)
    assert datasets.resolve("test-set") == cached
    # the configured data directory comes before the cache
    configured = tmp_path / "data" / "x" / "here.jsonl"
    configured.parent.mkdir(parents=True)
    configured.write_bytes(PAYLOAD)
    monkeypatch.setenv(datadir.ENV_VAR, str(tmp_path / "data"))
    assert datasets.resolve("test-set") == configured
    # an explicit path comes first, and --check verifies it
    explicit = tmp_path / "mine.jsonl"
    explicit.write_bytes(b"not the registered bytes")
    assert datasets.resolve("test-set", path=explicit) == explicit
    with pytest.raises(DatasetError, match="does not match"):
        datasets.resolve("test-set", path=explicit, check=True)


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(DatasetError, match="eval-p"):
        datasets.get("eval-q")
    with pytest.raises(DatasetError, match="pairwise-swapped"):
        datasets.data_file("autoj-predictions")


@pytest.mark.data
@pytest.mark.parametrize(
    ("name", "key"),
    [(d.name, k) for d in datasets.DATASETS.values() for k in d.files],
)
def test_registered_checksums_match_the_shared_data(name: str, key: str) -> None:
    entry = datasets.data_file(name, key)
    path = datadir.data_path(entry.relative)
    if path is None:
        pytest.skip(datadir.missing_data_message(entry.relative))
    datasets.verify(path, entry)


def test_registry_covers_the_documented_sets() -> None:
    assert {"eval-p", "eval-p-zh", "eval-c", "eval-c-zh", "scenario-classifier"} <= set(datasets.DATASETS)
    assert len(datasets.DATASETS["alpacaeval-outputs"].files) == 46
    for dataset in datasets.DATASETS.values():
        for entry in dataset.files.values():
            assert len(entry.sha256) == 64
            assert entry.url is None or entry.url.startswith("https://raw.githubusercontent.com/")
