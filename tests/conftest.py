"""Shared fixtures: the public data directory (skipped cleanly when absent) and the embedded model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autoj.datadir import data_path, missing_data_message


def shared_file(relative: str) -> Path:
    """A file of the shared public data, or skip the test saying where to put it."""
    path = data_path(relative)
    if path is None:
        pytest.skip(missing_data_message(relative))
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test (and every process it starts) gets its own judgment cache, never the user's."""
    path = tmp_path_factory.mktemp("cache") / "judgments.sqlite"
    monkeypatch.setenv("AUTOJ_CACHE", str(path))
    return path


@pytest.fixture(scope="session")
def embedded_backend() -> Iterator[Any]:
    """One embedded llama.cpp model for the whole session (loading costs about a second)."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    from autoj.backends.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend()
    yield backend
