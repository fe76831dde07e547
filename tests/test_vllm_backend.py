"""The vLLM backend's code path with `vllm` faked at the module boundary (no GPU, no vllm install)."""

from __future__ import annotations

import asyncio
import sys
import types
from dataclasses import dataclass, field
from typing import Any

import pytest

from autoj.backends import registry
from autoj.errors import MissingExtraError
from autoj.types import GenerationParams, Message, Prompt


@dataclass
class Logprob:
    logprob: float
    decoded_token: str


@dataclass
class Output:
    text: str
    token_ids: list[int]
    finish_reason: str
    logprobs: list[dict[int, Logprob]] | None = None


@dataclass
class RequestOutput:
    prompt_token_ids: list[int]
    outputs: list[Output]


@dataclass
class FakeLLM:
    """Records calls like vllm.LLM; answers with the verdict and one logprob step per token."""

    options: dict[str, Any]
    calls: list[tuple[str, Any, Any]] = field(default_factory=list)

    def _answer(self, sampling: Any) -> RequestOutput:
        logprobs = None
        if sampling.options["logprobs"]:
            logprobs = [{7: Logprob(-0.1, "Tie"), 8: Logprob(-2.4, "Response")}]
        finish = "length" if sampling.options["max_tokens"] < 2 else "stop"
        return RequestOutput([1, 2, 3], [Output("So, the final decision is Tie", [7], finish, logprobs)])

    def generate(self, prompts: list[str], sampling: Any, use_tqdm: bool = True) -> list[RequestOutput]:
        self.calls.append(("generate", prompts, sampling))
        return [self._answer(sampling) for _ in prompts]

    def chat(self, conversations: list[Any], sampling: Any, use_tqdm: bool = True) -> list[RequestOutput]:
        self.calls.append(("chat", conversations, sampling))
        return [self._answer(sampling) for _ in conversations]


class SamplingParams:
    def __init__(self, **options: Any) -> None:
        self.options = options


class StructuredOutputsParams:
    def __init__(self, grammar: str) -> None:
        self.grammar = grammar


@pytest.fixture
def fake_vllm(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("vllm")
    module.LLM = lambda **options: FakeLLM(options)  # type: ignore[attr-defined]
    module.SamplingParams = SamplingParams  # type: ignore[attr-defined]
    module.sampling_params = types.SimpleNamespace(StructuredOutputsParams=StructuredOutputsParams)  # type: ignore[attr-defined]
    module.__spec__ = importlib_spec("vllm")
    monkeypatch.setitem(sys.modules, "vllm", module)
    return module


def importlib_spec(name: str) -> Any:
    import importlib.machinery

    return importlib.machinery.ModuleSpec(name, loader=None)


def test_registry_builds_the_engine_with_options(fake_vllm: types.ModuleType) -> None:
    backend = registry.create_backend("vllm:GAIR/autoj-13b@abc123", tensor_parallel_size=2)
    assert backend.identity() == {"backend": "vllm", "model": "GAIR/autoj-13b", "revision": "abc123"}
    llm = backend._llm  # type: ignore[attr-defined]
    assert llm.options["tensor_parallel_size"] == 2 and llm.options["revision"] == "abc123"


def test_raw_and_chat_prompts_keep_their_order_and_params(fake_vllm: types.ModuleType) -> None:
    backend = registry.create_backend("vllm:m")
    prompts = [Prompt(text="[INST] a [/INST]"), Prompt(messages=(Message("user", "b"),)), Prompt(text="c")]
    params = GenerationParams(max_new_tokens=50, stop=("\n\n",), logprobs=2, grammar='root ::= "x"')
    out = asyncio.run(backend.generate(prompts, params))
    llm = backend._llm  # type: ignore[attr-defined]
    kinds = [(kind, payload) for kind, payload, _ in llm.calls]
    assert kinds == [("generate", ["[INST] a [/INST]", "c"]), ("chat", [[{"role": "user", "content": "b"}]])]
    sampling = llm.calls[0][2].options
    assert sampling["temperature"] == 0.0 and sampling["max_tokens"] == 50 and sampling["stop"] == ["\n\n"]
    assert sampling["structured_outputs"].grammar == 'root ::= "x"'
    assert [c.text for c in out] == ["So, the final decision is Tie"] * 3
    assert out[0].prompt_tokens == 3 and out[0].completion_tokens == 1 and out[0].finish_reason == "stop"
    assert out[0].logprobs is not None and out[0].logprobs[0].token == "Tie"
    assert out[0].logprobs[0].top == {"Tie": -0.1, "Response": -2.4}


def test_engine_errors_become_failed_completions(fake_vllm: types.ModuleType) -> None:
    backend = registry.create_backend("vllm:m")

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("prompt too long")

    backend._llm.generate = boom  # type: ignore[attr-defined]
    [completion] = asyncio.run(backend.generate([Prompt(text="x")], GenerationParams()))
    assert completion.error == "vLLM: prompt too long"


def test_missing_vllm_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "vllm", raising=False)
    if registry.backend_entries() and registry._REGISTRY["vllm"].installed():
        pytest.skip("vllm is installed here")
    with pytest.raises(MissingExtraError, match=r"pip install 'autoj\[vllm\]'"):
        registry.create_backend("vllm:m")


def test_engine_options_that_change_outputs_are_part_of_the_identity(fake_vllm: types.ModuleType) -> None:
    """A resume (and the cache) must not mix a float16 or AWQ engine's judgments with another's."""
    plain = registry.create_backend("vllm:GAIR/autoj-13b@abc123", tensor_parallel_size=2, dtype="auto")
    assert plain.identity() == {"backend": "vllm", "model": "GAIR/autoj-13b", "revision": "abc123"}
    tuned = registry.create_backend(
        "vllm:GAIR/autoj-13b@abc123", dtype="float16", quantization="awq", max_model_len=2048
    )
    assert tuned.identity() == {
        "backend": "vllm",
        "model": "GAIR/autoj-13b",
        "revision": "abc123",
        "dtype": "float16",
        "quantization": "awq",
        "max_model_len": 2048,
    }


def test_generation_sends_chat_turns_for_the_tokenizers_template(fake_vllm: types.ModuleType) -> None:
    """`autoj generate -m vllm:MODEL`: every turn goes to vLLM's chat (its tokenizer's template),
    the second after the model's own first answer."""
    from autoj.data.benchmarks import BenchmarkInstruction
    from autoj.run.generation import Generator

    with Generator.from_spec("vllm:m", cache=False, dataset="mt") as generator:
        [record] = generator.run(generator.answer_all([BenchmarkInstruction("1", ["first?", "second?"])]))
        llm = generator.backend._llm  # type: ignore[attr-defined]
    assert [kind for kind, _, _ in llm.calls] == ["chat", "chat"]
    assert llm.calls[1][1] == [
        [
            {"role": "user", "content": "first?"},
            {"role": "assistant", "content": "So, the final decision is Tie"},
            {"role": "user", "content": "second?"},
        ]
    ]
    assert record["turns"] == ["So, the final decision is Tie"] * 2
    assert record["provenance"]["setup"]["chat_template"] == "tokenizer"
