"""JudgeConfig: one description of a judge, from a spec, a YAML file or a catalog name.

The CLI runs are real processes on real files (examples/pairs.jsonl); the embedded-model run is
marked `model`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from autoj.backends.fake import FakeBackend
from autoj.cli.options import judge_config
from autoj.errors import AutojError
from autoj.judges import catalog
from autoj.judges.config import DEFAULT_CACHE, PARAM_CHECKS, ConfigError, JudgeConfig
from autoj.run.judge import Judge
from autoj.types import GenerationParams

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT / "examples" / "pairs.jsonl"


def autoj(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "autoj", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def results(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- loading -------------------------------------------------------------------------------------


def test_every_generation_param_is_checked() -> None:
    assert set(PARAM_CHECKS) == {f.name for f in fields(GenerationParams)}


def test_a_spec_loads_as_a_config_with_the_defaults() -> None:
    config = JudgeConfig.load("fake:3")
    assert (config.judge, config.protocol, config.params, config.cache, config.source) == (
        "fake:3",
        None,
        GenerationParams(),
        DEFAULT_CACHE,
        "spec",
    )


def test_a_yaml_file_gives_every_field(tmp_path: Path) -> None:
    path = write(
        tmp_path / "judge.yaml",
        "judge: fake:2\n"
        "protocol: chat\n"
        "params:\n  max_new_tokens: 64\n  temperature: 0.5\n  stop: ['###']\n"
        "both_orders: true\n"
        "cache: my-cache.sqlite\n"
        "concurrency: 3\n"
        "language: zh\n",
    )
    config = JudgeConfig.load(str(path))
    assert config.judge == "fake:2" and config.protocol == "chat"
    assert config.params == GenerationParams(max_new_tokens=64, temperature=0.5, stop=("###",))
    assert config.both_orders and config.concurrency == 3 and config.language == "zh"
    assert config.cache == str(tmp_path / "my-cache.sqlite"), "a relative cache path is the file's"
    assert config.source == f"file:{path}"


def test_a_catalog_name_loads_its_entry() -> None:
    entry = catalog.get_entry("prometheus-7b-v2")
    assert entry is not None
    config = JudgeConfig.load("prometheus-7b-v2")
    assert (config.judge, config.protocol, config.source) == (
        entry.backend,
        entry.protocol,
        "catalog:prometheus-7b-v2",
    )


def test_a_file_may_start_from_a_catalog_entry(tmp_path: Path) -> None:
    path = write(tmp_path / "p.yaml", "judge: prometheus-7b-v2\nparams: {max_new_tokens: 300}\n")
    config = JudgeConfig.load(str(path))
    listed = JudgeConfig.load("prometheus-7b-v2")
    assert config.judge == listed.judge and config.protocol == listed.protocol == "prometheus"
    assert config.params.max_new_tokens == 300


@pytest.mark.parametrize("name", catalog.names())
def test_every_catalog_entry_round_trips(name: str) -> None:
    config = JudgeConfig.load(name)
    data = json.loads(json.dumps(config.to_dict()))
    assert JudgeConfig.from_dict(data) == config


@pytest.mark.parametrize(
    "config",
    [
        JudgeConfig(),
        JudgeConfig(
            judge="llamacpp:/models/x.gguf",
            protocol="autoj",
            params=GenerationParams(max_new_tokens=7, stop=("a", "b"), stop_patterns=("x+",), logprobs=5),
            options={"n_ctx": 2048, "n_threads": 2},
            both_orders=True,
            cache="/tmp/c.sqlite",
            concurrency=4,
            language="zh",
            source="flags",
        ),
        JudgeConfig(judge="openai:m@http://127.0.0.1:1/v1", options={"extra_body": {"top_k": 5}}),
    ],
)
def test_to_dict_and_from_dict_round_trip_through_json_and_yaml(config: JudgeConfig, tmp_path: Path) -> None:
    assert JudgeConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    path = write(tmp_path / "shown.yaml", config.to_yaml())  # what `autoj judges show` prints
    again = JudgeConfig.from_file(path)
    assert again == JudgeConfig.from_dict({**config.to_dict(), "source": f"file:{path}"})


def test_a_config_made_in_python_checks_its_backend_options() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'options\.n_thread': the 'llamacpp' backend takes"):
        JudgeConfig(judge="llamacpp", options={"n_thread": 2})
    assert JudgeConfig(judge="llamacpp", options={"n_threads": 2}).options["n_threads"] == 2


def test_a_config_is_frozen() -> None:
    config = JudgeConfig(options={"n_ctx": 1})
    with pytest.raises(AttributeError):
        config.judge = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.options["n_ctx"] = 2  # type: ignore[index]


# -- mistakes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        ("judge: fake\nprotocl: chat\n", "line 2", "unknown key 'protocl'"),
        ("protocol: chat\n", "", "'judge' is missing"),
        (
            "judge: fake\nparams:\n  max_new_tokens: 0\n",
            "line 3",
            "'params.max_new_tokens': expected an integer >= 1",
        ),
        ("judge: fake\nparams:\n  max_tokens: 9\n", "line 3", "unknown key 'params.max_tokens'"),
        (
            "judge: fake\nparams: {temperature: -1}\n",
            "line 2",
            "'params.temperature': expected a number >= 0",
        ),
        ("judge: fake\nparams: {top_p: 0}\n", "line 2", "'params.top_p': expected a number > 0"),
        ("judge: fake\nparams: {stop_patterns: ['(']}\n", "line 2", "not a valid regular expression"),
        ("judge: fake\nparams: 5\n", "line 2", "'params': expected a mapping"),
        ("judge: fake\nboth_orders: 'yes'\n", "line 2", "'both_orders': expected true or false"),
        ("judge: fake\ncache: 3\n", "line 2", "'cache': expected true, false or a cache file path"),
        ("judge: fake\nconcurrency: 0\n", "line 2", "'concurrency': expected an integer >= 1"),
        ("judge: fake\nlanguage: fr\n", "line 2", "'language': expected one of en, zh"),
        ("judge: fake\noptions: {n_ctx: 512}\n", "line 2", "unknown key 'options.n_ctx': the 'fake' backend"),
        ("judge: fake\noptions: [1]\n", "line 2", "'options': expected a mapping"),
        ("judge: 7\n", "line 1", "'judge': expected a non-empty string"),
        ("judge: nope:x\n", "", "unknown judge backend 'nope'"),
        ("judge: [fake\n", "line 2", ""),
        ("judge: fake\ncache: false\ncache: true\n", "line 3", "'cache' is given twice"),
        ("judge: fake\nparams:\n  seed: 1\n  seed: 2\n", "line 4", "'params.seed' is given twice"),
        ("- judge: fake\n", "", "expected a mapping"),
    ],
)
def test_a_bad_judge_file_is_one_line_naming_file_line_and_key(
    tmp_path: Path, text: str, where: str, says: str
) -> None:
    path = write(tmp_path / "bad.yaml", text)
    with pytest.raises(ConfigError) as caught:
        JudgeConfig.load(str(path))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path)), message
    assert where in message and says in message, message


def test_a_missing_or_undecodable_judge_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        JudgeConfig.load(str(tmp_path / "none.yaml"))
    path = tmp_path / "latin1.yaml"
    path.write_bytes("judge: fake # caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        JudgeConfig.load(str(path))


def test_an_unknown_name_says_what_a_judge_can_be() -> None:
    with pytest.raises(ConfigError, match=r"not a judge file .* a catalog name .* or a backend spec"):
        JudgeConfig.load("no-such-judge")


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("judge: fake\nprotocl: chat\n", "protocl"),
        ("judge: fake\nparams: {max_new_tokens: -3}\n", "params.max_new_tokens"),
    ],
)
def test_a_bad_judge_file_on_the_command_line_exits_2_with_one_line(
    tmp_path: Path, text: str, flag: str
) -> None:
    path = write(tmp_path / "bad.yaml", text)
    done = autoj("compare", str(PAIRS), "-o", str(tmp_path / "out.jsonl"), "-j", str(path))
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert str(path) in done.stderr and flag in done.stderr
    assert not (tmp_path / "out.jsonl").exists()


# -- flags over a config -------------------------------------------------------------------------


def test_flags_change_only_what_they_name(tmp_path: Path) -> None:
    path = write(
        tmp_path / "j.yaml",
        "judge: fake\nprotocol: chat\nparams: {max_new_tokens: 64, temperature: 0.7}\nboth_orders: true\n",
    )
    config = judge_config(str(path), max_new_tokens=8, cache=False)
    assert config.params == GenerationParams(max_new_tokens=8, temperature=0.7)
    assert config.protocol == "chat" and config.both_orders and config.cache is False
    assert judge_config(str(path), both_orders=False).both_orders is False
    assert judge_config(str(path)) == JudgeConfig.load(str(path))
    assert judge_config("fake").source == "flags"


def test_backend_options_from_flags_are_typed_and_checked() -> None:
    config = judge_config("llamacpp", backend_option=["n_threads=2", "deterministic=true"], n_ctx=1024)
    assert dict(config.options) == {"n_threads": 2, "deterministic": True, "n_ctx": 1024}
    with pytest.raises(AutojError, match="takes"):
        judge_config("llamacpp", backend_option=["n_thread=2"])
    with pytest.raises(AutojError, match="--n-ctx: the 'fake' backend takes no 'n_ctx'"):
        judge_config("fake", n_ctx=1024)


# -- the Python Judge ----------------------------------------------------------------------------


def test_judge_builds_from_a_config_a_spec_or_a_file(tmp_path: Path) -> None:
    config = JudgeConfig(judge="fake:1", protocol="chat", params=GenerationParams(max_new_tokens=32))
    with Judge(config) as judge:
        assert judge.config == config and judge.protocol.name == "chat" and judge.params.max_new_tokens == 32
        assert judge.backend.model_id == FakeBackend(seed=1).model_id
    with Judge("fake", both_orders=True) as judge:
        assert judge.both_orders and judge.config.both_orders
        assert judge.compare("q", "a", "b").swapped is not None
    path = write(tmp_path / "j.yaml", "judge: fake\nprotocol: autoj\n")
    with Judge(str(path), protocol="chat") as judge:
        assert judge.protocol.name == "chat", "keyword arguments change the config"


def test_the_cache_default_is_the_same_in_judge_and_on_the_command_line(
    tmp_path: Path, isolated_cache: Path
) -> None:
    with Judge("fake") as judge:
        assert DEFAULT_CACHE and judge.cache is not None and judge.cache.path == isolated_cache
    with Judge("fake", cache=False) as judge:
        assert judge.cache is None
    with Judge(FakeBackend()) as judge:
        assert judge.cache is None, "a ready Backend is not cached unless asked"
    shown = autoj("judges", "show", "fake", "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["cache"] is DEFAULT_CACHE
    first = autoj("compare", str(PAIRS), "-o", str(tmp_path / "a.jsonl"), "-j", "fake")
    again = autoj("compare", str(PAIRS), "-o", str(tmp_path / "b.jsonl"), "-j", "fake")
    assert first.returncode == again.returncode == 0, again.stderr
    assert "from the cache" not in first.stderr and "generations from the cache" in again.stderr


def test_backend_options_do_not_apply_to_a_ready_backend() -> None:
    with pytest.raises(AutojError, match="ready Backend"):
        Judge(FakeBackend(), n_ctx=10)


# -- end to end ----------------------------------------------------------------------------------


def test_compare_runs_a_yaml_judge_end_to_end(tmp_path: Path) -> None:
    path = write(
        tmp_path / "my-judge.yaml",
        "judge: fake:4\nprotocol: chat\nparams: {max_new_tokens: 200}\nboth_orders: true\ncache: false\n",
    )
    out = tmp_path / "out.jsonl"
    done = autoj("compare", str(PAIRS), "-o", str(out), "-j", str(path))
    assert done.returncode == 0, done.stderr
    rows = results(out)
    assert len(rows) == len(PAIRS.read_text(encoding="utf-8").splitlines())
    assert all(r.get("swapped") is not None for r in rows), "both_orders from the file"
    assert all(r["provenance"]["setup"]["both_orders"] for r in rows)
    assert {r["provenance"]["protocol"].split("@")[0] for r in rows} == {"chat"}
    assert {r["provenance"]["params"]["max_new_tokens"] for r in rows} == {200}
    one = autoj("compare", str(PAIRS), "-o", str(tmp_path / "one.jsonl"), "-j", str(path), "--one-order")
    assert one.returncode == 0 and all(r.get("swapped") is None for r in results(tmp_path / "one.jsonl"))


def test_a_catalog_name_works_where_a_judge_is_taken(tmp_path: Path) -> None:
    mine = write(
        tmp_path / "catalog.yaml",
        "- name: my-fake-judge\n  protocol: chat\n  backend: fake:5\n  model: fake\n  context: 4096\n"
        "  params: {max_new_tokens: 77}\n",
    )
    env = {"AUTOJ_CATALOG": str(mine)}
    shown = autoj("judges", "show", "my-fake-judge", env=env)
    assert shown.returncode == 0, shown.stderr
    assert yaml.safe_load(shown.stdout) == {
        **JudgeConfig(judge="fake:5", protocol="chat", params=GenerationParams(max_new_tokens=77)).to_dict(),
        "source": "catalog:my-fake-judge",
    }
    out = tmp_path / "out.jsonl"
    done = autoj(
        "rate", str(ROOT / "examples" / "singles.jsonl"), "-o", str(out), "-j", "my-fake-judge", env=env
    )
    assert done.returncode == 0, done.stderr
    assert {r["provenance"]["params"]["max_new_tokens"] for r in results(out)} == {77}


def test_judges_show_prints_a_file_resolved_with_flags(tmp_path: Path) -> None:
    path = write(tmp_path / "j.yaml", "judge: fake\nparams: {temperature: 0.2}\n")
    done = autoj("judges", "show", str(path), "--max-new-tokens", "9", "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["params"]["temperature"] == 0.2 and shown["params"]["max_new_tokens"] == 9
    assert shown["source"] == f"file:{path}"
    bad = autoj("judges", "show", "no-such-judge")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.model
def test_compare_runs_a_yaml_judge_on_the_embedded_model(tmp_path: Path) -> None:
    path = write(
        tmp_path / "embedded.yaml",
        "judge: llamacpp\nparams: {max_new_tokens: 24}\noptions: {n_threads: 2, n_ctx: 2048}\n",
    )
    out = tmp_path / "out.jsonl"
    done = autoj("compare", str(PAIRS), "-o", str(out), "-j", str(path), "--limit", "2", "--no-cache")
    assert done.returncode == 0, done.stderr
    rows = results(out)
    assert len(rows) == 2 and all(r["judgment"]["raw"] for r in rows)
    assert {r["provenance"]["params"]["max_new_tokens"] for r in rows} == {24}


def test_the_service_runs_the_judge_a_file_describes(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    import httpx

    from autoj.serve import ServeSettings, create_app
    from autoj.serve.server import serve_in_thread

    path = write(tmp_path / "j.yaml", "judge: fake:4\nprotocol: chat\nboth_orders: true\ncache: false\n")
    config = JudgeConfig.load(str(path))
    settings = ServeSettings(judge=config.judge, both_orders=config.both_orders)
    with serve_in_thread(create_app(config, settings)) as url:
        body = {"pairs": [{"query": "2+2?", "response_1": "4", "response_2": "5", "id": "a"}]}
        reply = httpx.post(f"{url}/v1/compare", json=body, timeout=30).json()
    assert reply["judge"]["model"] == FakeBackend(seed=4).model_id
    assert reply["judge"]["protocol"].startswith("chat@")
    assert reply["results"][0]["swapped_critique"] is not None, "both orders from the file"


def test_a_ray_actor_gets_the_config_as_plain_data(tmp_path: Path) -> None:
    """What Ray ships to each actor is `to_dict()` (JSON-ready), and the actor's judge is the one it
    describes: the file's protocol, params and both orders."""
    import pickle

    from autoj.distributed import JudgeActor
    from autoj.types import PairItem

    path = write(tmp_path / "j.yaml", "judge: fake:2\nprotocol: chat\nparams: {max_new_tokens: 99}\n")
    shipped = json.loads(json.dumps(JudgeConfig.load(str(path)).with_changes(both_orders=True).to_dict()))
    actor = JudgeActor(shipped)
    batch = {"index": [0], "item": [pickle.dumps(PairItem("2+2?", "4", "5", id="x"))]}
    (line,) = actor(batch)["result"]
    result = json.loads(line)
    assert result["provenance"]["protocol"].startswith("chat@")
    assert (
        result["provenance"]["setup"]["both_orders"]
        and result["provenance"]["params"]["max_new_tokens"] == 99
    )
