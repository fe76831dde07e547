"""The judgment cache: keys, round trips, engine integration, concurrent writers, CLI."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autoj.backends.base import Backend
from autoj.backends.fake import FakeBackend
from autoj.cache import JudgmentCache, cache_key, default_cache_path, resolve_cache
from autoj.engine import Engine
from autoj.judge import Judge
from autoj.protocols import get_protocol
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
