"""Backends by name, created from a string spec, imported only when used.

Specs: `llamacpp` (the embedded default), `llamacpp:PATH.gguf`, `openai:MODEL@URL`, `fake`,
`fake:SEED`, and later engines such as `vllm:MODEL` and `hf:MODEL`. A missing optional dependency
raises one error naming the extra to install.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autoj.backends.base import Backend
from autoj.errors import AutojError, MissingExtraError


@dataclass(frozen=True)
class BackendEntry:
    name: str
    factory: str  # "module:function" taking (arg: str, **options)
    requires: tuple[str, ...]  # importable modules the backend needs
    extra: str | None  # the pip extra that installs them
    description: str

    def installed(self) -> bool:
        return all(importlib.util.find_spec(module) is not None for module in self.requires)


_REGISTRY: dict[str, BackendEntry] = {}


def register_backend(entry: BackendEntry) -> None:
    _REGISTRY[entry.name] = entry


def backend_entries() -> list[BackendEntry]:
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def split_spec(spec: str) -> tuple[str, str]:
    """`name:arg` -> (name, arg); a Windows-free world lets the first colon split."""
    name, _, arg = spec.partition(":")
    return name.strip(), arg.strip()


def create_backend(spec: str, **options: Any) -> Backend:
    """Build the backend a spec names, importing its module only now."""
    name, arg = split_spec(spec)
    entry = _REGISTRY.get(name)
    if entry is None:
        known = ", ".join(sorted(_REGISTRY))
        raise AutojError(f"unknown judge backend {name!r} in {spec!r}: known backends are {known}")
    for module in entry.requires:
        if importlib.util.find_spec(module) is None:
            raise MissingExtraError(f"the {name!r} backend", entry.extra or name, module)
    module_name, _, function = entry.factory.partition(":")
    factory: Callable[..., Backend] = getattr(importlib.import_module(module_name), function)
    return factory(arg, **options)


for _entry in (
    BackendEntry(
        "llamacpp",
        "autoj.backends.llamacpp:create",
        ("llama_cpp",),
        None,
        "GGUF model in process on the CPU (llama-cpp-python); the embedded default",
    ),
    BackendEntry(
        "openai",
        "autoj.backends.openai:create",
        ("httpx",),
        None,
        "any OpenAI-compatible server: vllm serve, llama-server, hosted APIs (MODEL@URL)",
    ),
    BackendEntry(
        "vllm",
        "autoj.backends.vllm:create",
        ("vllm",),
        "vllm",
        "vLLM in process on GPUs (MODEL or MODEL@REVISION); tensor_parallel_size option",
    ),
    BackendEntry(
        "hf",
        "autoj.backends.hf:create",
        ("transformers", "torch"),
        "hf",
        "transformers generate, batched with left padding; GPTQ/AWQ/bitsandbytes via quantization",
    ),
    BackendEntry(
        "fake",
        "autoj.backends.fake:create",
        (),
        None,
        "deterministic well-formed judgments seeded by the prompt, for tests and dry runs",
    ),
):
    register_backend(_entry)
