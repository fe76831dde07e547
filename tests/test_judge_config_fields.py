"""JudgeConfig's fields: the same setting from a Python keyword, a YAML key and a CLI flag.

`stop_early` and `constrain` change judgments (they are recorded in every setup), so each is a
field that a user can set, not an Engine argument only tests reach.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import pytest

from autoj.backends.fake import FakeBackend
from autoj.judges.config import FILE_KEYS, ConfigError, JudgeConfig
from autoj.run.judge import Judge
from autoj.types import Completion, GenerationParams, Prompt

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT / "examples" / "pairs.jsonl"


def test_every_field_says_what_it_is() -> None:
    for name, info in JudgeConfig.model_fields.items():
        assert info.description and len(info.description) > 20, name
    assert set(FILE_KEYS) == set(JudgeConfig.model_fields) - {"source"}


def test_python_keywords_reach_fields_decoding_settings_and_backend_options() -> None:
    with Judge("fake", max_new_tokens=64, stop_early=False, cache=False) as judge:
        assert judge.config.params.max_new_tokens == 64 and not judge.config.stop_early
        assert judge.engine().setup()["stop_early"] is False
        assert judge.compare("q", "a", "b").provenance["setup"]["params"]["max_new_tokens"] == 64
    config = JudgeConfig.load("llamacpp").with_changes(n_ctx=512, temperature=0.5)
    assert config.options["n_ctx"] == 512 and config.params.temperature == 0.5


def test_a_keyword_that_is_no_setting_is_named() -> None:
    with pytest.raises(ConfigError, match=r"unknown setting 'max_tokens': not a JudgeConfig field"):
        Judge("fake", max_tokens=64)
    with pytest.raises(ConfigError, match=r"'params.max_new_tokens': expected an integer >= 1"):
        Judge("fake", max_new_tokens=0)
    with pytest.raises(ConfigError, match=r"'stop_early': expected true or false"):
        JudgeConfig(stop_early="no")  # type: ignore[arg-type]


def test_yaml_keys_set_the_same_fields(tmp_path: Path) -> None:
    path = tmp_path / "j.yaml"
    path.write_text("judge: fake\nstop_early: false\nconstrain: true\n", encoding="utf-8")
    config = JudgeConfig.load(str(path))
    assert (config.stop_early, config.constrain) == (False, True)
    assert JudgeConfig.from_dict(config.to_dict()) == config
    path.write_text("judge: fake\nconstrain: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 2: 'constrain': expected true or false"):
        JudgeConfig.load(str(path))


def test_cli_flags_set_the_fields_and_the_results_record_them(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    given = ["compare", str(PAIRS), "-j", "fake", "--no-cache", "--limit", "2", "-o", str(out)]
    ran = subprocess.run(
        [sys.executable, "-m", "autoj", *given, "--no-stop-early"], capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    setups = {json.dumps(json.loads(line)["provenance"]["setup"], sort_keys=True) for line in out.open()}
    (setup,) = [json.loads(s) for s in setups]
    assert (setup["stop_early"], setup["constrain"]) == (False, False)
    refused = subprocess.run(
        [sys.executable, "-m", "autoj", *given, "--constrain"], capture_output=True, text=True
    )
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "error: judge config (flags) constrain: the fake backend takes no grammar; turn constrain off "
        "(--no-constrain) or pick one that takes one (llamacpp, vllm)"
    ]


class _Grammar(FakeBackend):
    """The fake judge, taking a grammar: records what each generation was asked for."""

    capabilities = frozenset({"stop", "stop_patterns", "grammar", "batching"})
    seen: ClassVar[list[GenerationParams]] = []

    async def generate(self, prompts: list[Prompt], params: GenerationParams) -> list[Completion]:  # type: ignore[override]
        self.seen.append(params)
        return await super().generate(prompts, replace(params, grammar=None))


def test_constrain_and_stop_early_from_the_config_reach_the_backend() -> None:
    with Judge(_Grammar(), constrain=True, stop_early=False) as judge:
        assert judge.compare("q", "a", "b").judgment.status == "ok"
    asked = _Grammar.seen[-1]
    assert asked.grammar is not None and "final decision" in asked.grammar and asked.stop_patterns == ()
    with Judge(_Grammar()) as judge:
        judge.compare("q", "a", "b")
    asked = _Grammar.seen[-1]
    assert asked.grammar is None and asked.stop_patterns
