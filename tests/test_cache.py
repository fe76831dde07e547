"""The judgment cache: keys, round trips, engine integration, concurrent writers, CLI."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autoj.backends.base import Backend
from autoj.backends.fake import FakeBackend
from autoj.protocols import get_protocol
from autoj.run.cache import JudgmentCache, cache_key, default_cache_path, resolve_cache
from autoj.run.engine import Engine
from autoj.run.judge import Judge
from autoj.types import Completion, GenerationParams, Message, PairItem, Prompt, TokenLogprob

IDENTITY = {"backend": "llamacpp", "model": "m.gguf", "sha256": "ab" * 32}
PROMPT = Prompt(text="[INST] judge this [/INST]")


def test_key_changes_with_everything_that_determines_a_generation() -> None:
    base = cache_key(IDENTITY, "autoj@1", PROMPT, GenerationParams())
    assert base == cache_key(dict(IDENTITY), "autoj@1", Prompt(text=PROMPT.text), GenerationParams())
    variants = [
        cache_key({**IDENTITY, "sha256": "cd" * 32}, "autoj@1", PROMPT, GenerationParams()),
        cache_key({**IDENTITY, "model": "other.gguf"}, "autoj@1", PROMPT, GenerationParams()),
        cache_key(IDENTITY, "autoj@2", PROMPT, GenerationParams()),
        cache_key(IDENTITY, "autoj@1", Prompt(text=PROMPT.text + " "), GenerationParams()),
        cache_key(
            IDENTITY, "autoj@1", Prompt(messages=(Message("user", PROMPT.text or ""),)), GenerationParams()
        ),
        cache_key(IDENTITY, "autoj@1", PROMPT, GenerationParams(max_new_tokens=10)),
        cache_key(IDENTITY, "autoj@1", PROMPT, GenerationParams(temperature=0.7)),
        cache_key(IDENTITY, "autoj@1", PROMPT, GenerationParams(seed=1)),
        cache_key(IDENTITY, "autoj@1", PROMPT, GenerationParams(stop=("\n",))),
        cache_key(IDENTITY, "autoj@1", PROMPT, GenerationParams(logprobs=5)),
    ]
    assert len({base, *variants}) == len(variants) + 1


def test_round_trip_keeps_text_tokens_finish_and_logprobs(tmp_path: Path) -> None:
    completion = Completion(
        text="So, the final decision is Tie",
        prompt_tokens=12,
        completion_tokens=7,
        finish_reason="length",
        logprobs=(TokenLogprob("Tie", -0.25, {"Tie": -0.25, "Response": -1.5}),),
    )
    with JudgmentCache(tmp_path / "c.sqlite") as cache:
        assert cache.get("k") is None
        assert cache.put_many([("k", completion)], IDENTITY, "autoj@1") == 1
        assert cache.get("k") == completion
        assert (cache.hits, cache.misses, cache.stores) == (1, 1, 1)
    with JudgmentCache(tmp_path / "c.sqlite") as reopened:  # persistent
        assert reopened.get("k") == completion
        assert reopened.stats().by_model == {"llamacpp:m.gguf": 1}


def test_failed_generations_are_not_stored(tmp_path: Path) -> None:
    with JudgmentCache(tmp_path / "c.sqlite") as cache:
        stored = cache.put_many(
            [("bad", Completion.failed("timeout")), ("ok", Completion("x"))], IDENTITY, "p"
        )
        assert stored == 1
        assert cache.get("bad") is None
        assert cache.stats().entries == 1


def test_wal_mode_and_clear(tmp_path: Path) -> None:
    with JudgmentCache(tmp_path / "c.sqlite") as cache:
        assert cache._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        cache.put_many([("a", Completion("1")), ("b", Completion("2"))], IDENTITY, "p")
        cache.put_many([("c", Completion("3"))], {"backend": "fake", "model": "f"}, "p")
        assert cache.clear(model="f") == 1
        assert cache.stats().entries == 2
        assert cache.clear() == 2
        assert cache.stats().entries == 0


def test_default_path_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUTOJ_CACHE", str(tmp_path / "x.sqlite"))
    assert default_cache_path() == tmp_path / "x.sqlite"
    monkeypatch.delenv("AUTOJ_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_path() == tmp_path / "autoj" / "judgments.sqlite"
    assert resolve_cache(None) is None and resolve_cache(False) is None
    resolved = resolve_cache(True)
    assert resolved is not None and resolved.path == tmp_path / "autoj" / "judgments.sqlite"
    resolved.close()


class FlakyBackend(Backend):
    """Fails the prompts whose text contains 'fail'; counts every prompt it is asked."""

    name = "flaky"
    model_id = "flaky-1"
    max_concurrency = 4

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        self.asked.extend(p.render() for p in prompts)
        return [
            Completion.failed("server down")
            if "fail" in p.render()
            else Completion("So, the final decision is Response 2", 10, 5)
            for p in prompts
        ]


def test_engine_looks_up_before_and_stores_after(tmp_path: Path) -> None:
    items = [PairItem("q", "a", f"b{n}", id=str(n)) for n in range(3)] + [PairItem("q", "fail", "b", id="f")]
    with JudgmentCache(tmp_path / "c.sqlite") as cache:
        backend = FlakyBackend()
        engine = Engine(backend, get_protocol("autoj"), both_orders=True, cache=cache)
        first = asyncio.run(engine.run(items))
        assert len(backend.asked) == 8 and engine.stats.cache_hits == 0
        assert cache.stats().entries == 6  # the two failed generations are not kept
        second = asyncio.run(engine.run(items))
        assert engine.stats.cache_hits == 6
        assert backend.asked[8:] == [p for p in backend.asked[:8] if "fail" in p]  # only failures redone
        assert [r.to_dict()["judgment"] for r in second] == [r.to_dict()["judgment"] for r in first]
        assert [r.status for r in second] == ["ok", "ok", "ok", "backend_error"]
        # a different protocol version or generation params is a different key
        other = Engine(backend, get_protocol("autoj"), GenerationParams(max_new_tokens=5), cache=cache)
        asyncio.run(other.run(items[:1]))
        assert other.stats.cache_hits == 0


def test_judge_api_cache_parameter(tmp_path: Path) -> None:
    path = tmp_path / "api.sqlite"
    with Judge(FakeBackend(seed=3, delay=0.0), cache=path) as judge:
        first = judge.compare("q", "a", "b")
    backend = FakeBackend(seed=3)
    with Judge(backend, cache=path) as judge:
        again = judge.compare("q", "a", "b")
    assert backend.calls == []  # served from the cache written by the first judge
    assert again.judgment == first.judgment


def _writer(path: str, worker: int, count: int) -> int:
    with JudgmentCache(path) as cache:
        for n in range(count):
            cache.put_many([(f"{worker}-{n}", Completion(f"text {worker} {n}", 1, 1))], IDENTITY, "p")
            assert cache.get(f"{worker}-{n // 2}") is not None
    return count


def test_concurrent_writers_in_several_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    JudgmentCache(path).close()
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        written = pool.starmap(_writer, [(path, worker, 150) for worker in range(4)])
    assert written == [150] * 4
    with JudgmentCache(path) as cache:
        assert cache.stats().entries == 600
        assert cache.get("3-149") == Completion("text 3 149", 1, 1)


def test_cli_rerun_uses_the_cache_and_no_cache_opts_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autoj.cli.main import _register, app

    _register()
    monkeypatch.setenv("AUTOJ_CACHE", str(tmp_path / "cli.sqlite"))
    data = tmp_path / "in.jsonl"
    data.write_text(
        "".join(
            f'{{"id": "{n}", "prompt": "q{n}", "response 1": "a", "response 2": "b"}}\n' for n in range(5)
        )
    )
    runner = CliRunner()
    args = ["compare", str(data), "-o", str(tmp_path / "out.jsonl"), "-j", "fake", "--overwrite", "--json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert '"cache_hits": 0' in first.output
    second = runner.invoke(app, args)
    assert '"cache_hits": 5' in second.output
    third = runner.invoke(app, [*args, "--no-cache"])
    assert '"cache_hits": 0' in third.output
    stats = runner.invoke(app, ["cache", "stats", "--json"])
    assert '"entries": 5' in stats.output
    cleared = runner.invoke(app, ["cache", "clear", "--yes"])
    assert "deleted 5" in cleared.output


def test_a_cached_rerun_loads_no_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Served from the cache, an item needs neither the weights nor the tokenizer."""
    pytest.importorskip("llama_cpp")
    from autoj import Judge
    from autoj.backends.llamacpp import LlamaCppBackend
    from autoj.types import GenerationParams

    path = tmp_path / "judgments.sqlite"
    first = Judge(LlamaCppBackend(), params=GenerationParams(max_new_tokens=16), cache=path)
    before = first.compare("What is 2+2?", "4", "5")
    first.close()
    backend = LlamaCppBackend()
    again = Judge(backend, params=GenerationParams(max_new_tokens=16), cache=path)
    after = again.compare("What is 2+2?", "4", "5")
    assert after.judgment == before.judgment
    assert backend._vocab_model is None and not backend.loaded


# -- the cache can never break a run ---------------------------------------------------------------


def _filled(path: Path, n: int = 400) -> None:
    with JudgmentCache(path) as cache:
        cache.put_many([(f"k{i}", Completion("t" * 200 + str(i))) for i in range(n)], IDENTITY, "p")
        cache._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database, it is a note someone saved here\n" * 100)


def _damaged_pages(path: Path) -> None:
    """A real cache file with pages in the middle overwritten, as a bad disk or a copy cut short does."""
    _filled(path)
    data = bytearray(path.read_bytes())
    for offset in range(4096 * 3, min(len(data), 4096 * 12), 4096):
        data[offset : offset + 4096] = b"\xa5" * 4096
    path.write_bytes(bytes(data))


def _run_items(cache: JudgmentCache) -> list[str]:
    items = [PairItem("q", "a", f"b{n}", id=str(n)) for n in range(6)]
    engine = Engine(FakeBackend(), get_protocol("autoj"), both_orders=True, cache=cache)
    return [r.status for r in asyncio.run(engine.run(items))]


def test_a_garbage_cache_file_warns_once_and_the_run_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "c.sqlite"
    _garbage(path)
    with caplog.at_level(logging.WARNING, logger="autoj.run.cache"), JudgmentCache(path) as cache:
        statuses = _run_items(cache) + _run_items(cache)
    assert statuses == ["ok"] * 12
    assert cache.disabled is not None and str(path) in cache.disabled
    warnings = [r for r in caplog.records if r.name == "autoj.run.cache"]
    assert len(warnings) == 1 and "carrying on without the cache" in warnings[0].getMessage()


def test_damaged_pages_found_by_a_lookup_turn_the_cache_off_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "c.sqlite"
    _damaged_pages(path)
    keys = [f"k{i}" for i in range(400)]
    with caplog.at_level(logging.WARNING, logger="autoj.run.cache"), JudgmentCache(path) as cache:
        assert _run_items(cache) == ["ok"] * 6
        found = [cache.get_many(keys[n : n + 50]) for n in range(0, 400, 50)]
        assert _run_items(cache) == ["ok"] * 6
    assert cache.disabled is not None and "malformed" in cache.disabled
    assert sum(c is not None for chunk in found for c in chunk) < 400
    assert len([r for r in caplog.records if r.name == "autoj.run.cache"]) == 1


def test_a_locked_cache_costs_one_short_wait_then_the_run_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "c.sqlite"
    _filled(path, 1)
    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process is writing and does not let go
    try:
        with caplog.at_level(logging.WARNING, logger="autoj.run.cache"):
            cache = JudgmentCache(path, busy_timeout=0.2)
            assert _run_items(cache) == ["ok"] * 6
            assert _run_items(cache) == ["ok"] * 6
            cache.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert cache.disabled is not None and "locked" in cache.disabled
    assert len([r for r in caplog.records if r.name == "autoj.run.cache"]) == 1


def test_a_full_cache_stops_storing_and_the_run_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="autoj.run.cache"),
        JudgmentCache(tmp_path / "c.sqlite") as cache,
    ):
        pages = cache._conn.execute("PRAGMA page_count").fetchone()[0]
        cache._conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLITE_FULL, as on a full disk
        big = [(f"k{i}", Completion("x" * 5000)) for i in range(20)]
        assert cache.put_many(big, IDENTITY, "p") == 0
        assert cache.disabled is not None and "full" in cache.disabled
        assert _run_items(cache) == ["ok"] * 6
    assert len([r for r in caplog.records if r.name == "autoj.run.cache"]) == 1


def test_a_text_with_a_lone_surrogate_is_stored_and_read_back(tmp_path: Path) -> None:
    with JudgmentCache(tmp_path / "c.sqlite") as cache:
        assert cache.put_many([("s", Completion("bad \udc80 byte"))], IDENTITY, "p") == 1
        assert cache.get("s") == Completion("bad \udc80 byte")
        assert cache.disabled is None


def test_check_tells_a_sound_file_from_a_damaged_one(tmp_path: Path) -> None:
    sound, damaged, garbage = tmp_path / "ok.sqlite", tmp_path / "bad.sqlite", tmp_path / "junk.sqlite"
    _filled(sound, 50)
    _damaged_pages(damaged)
    _garbage(garbage)
    with JudgmentCache(sound) as cache:
        assert cache.check().ok
    for path in (damaged, garbage):
        with JudgmentCache(path, quiet=True) as cache:
            health = cache.check()
        assert not health.ok and health.detail != "ok"


def test_cache_stats_cli_reports_integrity_and_damage(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    def stats(path: Path, *more: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "autoj", "cache", "stats", "--path", str(path), *more]
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    sound, damaged, garbage = tmp_path / "ok.sqlite", tmp_path / "bad.sqlite", tmp_path / "junk.sqlite"
    _filled(sound, 50)
    _damaged_pages(damaged)
    _garbage(garbage)
    ok = stats(sound, "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["entries"] == 50 and json.loads(ok.stdout)["integrity"] == "ok"
    for path in (damaged, garbage):
        result = stats(path)
        assert result.returncode == 1, result.stderr
        [line] = result.stderr.strip().splitlines()
        assert str(path) in line and "damaged" in line and "Traceback" not in result.stderr
    cleared = subprocess.run(
        [sys.executable, "-m", "autoj", "cache", "clear", "--yes", "--path", str(garbage)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cleared.returncode == 0 and "removed the damaged cache file" in cleared.stdout
    assert stats(garbage).returncode == 0


def test_a_compare_run_on_a_corrupt_cache_file_judges_everything(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    cache = tmp_path / "corrupt.sqlite"
    _garbage(cache)
    data = tmp_path / "in.jsonl"
    rows = [{"id": str(n), "prompt": f"q{n}", "response 1": "a", "response 2": "b"} for n in range(5)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "autoj", "compare", str(data), "-o", str(out), "-j", "fake"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "AUTOJ_CACHE": str(cache)},
    )
    assert result.returncode == 0, result.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 5
    warnings = [line for line in result.stderr.splitlines() if "without the cache" in line]
    assert len(warnings) == 1 and str(cache) in warnings[0]
    assert "Traceback" not in result.stderr
