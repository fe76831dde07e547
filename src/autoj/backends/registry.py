"""Backends by name, created from a string spec, imported only when used.

Specs: `llamacpp` (the embedded default), `llamacpp:PATH.gguf`, `openai:MODEL@URL`, `fake`,
`fake:SEED`, and later engines such as `vllm:MODEL` and `hf:MODEL`. A missing optional dependency
raises one error naming the extra to install.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from autoj.backends.base import Backend, Option, check_option
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


def _module(spec: str) -> tuple[Any, str, str]:
    """The backend module a spec names (imported now), the factory's name and the spec's argument."""
    name, arg = split_spec(spec)
    entry = _REGISTRY.get(name)
    if entry is None:
        known = ", ".join(sorted(_REGISTRY))
        raise AutojError(f"unknown judge backend {name!r} in {spec!r}: known backends are {known}")
    for module in entry.requires:
        if importlib.util.find_spec(module) is None:
            raise MissingExtraError(f"the {name!r} backend", entry.extra or name, module)
    module_name, _, function = entry.factory.partition(":")
    return importlib.import_module(module_name), function, arg


def create_backend(spec: str, **options: Any) -> Backend:
    """Build the backend a spec names, importing its module only now."""
    module, function, arg = _module(spec)
    factory: Callable[..., Backend] = getattr(module, function)
    return factory(arg, **options)


def backend_options(spec: str) -> Mapping[str, Option]:
    """The options the spec's backend takes (its module's OPTIONS: name -> what it accepts)."""
    module, _, _ = _module(spec)
    return dict(getattr(module, "OPTIONS", {}))


def parse_backend_options(spec: str, pairs: list[str]) -> dict[str, Any]:
    """`KEY=VALUE` strings (`-B`) -> typed options (true/false, integers, numbers, JSON objects,
    else text), each checked against what the backend takes: a misspelt option or a bad value is
    an error naming `-B KEY`, not silently ignored or a traceback later."""
    if not pairs:
        return {}
    allowed = backend_options(spec)
    options: dict[str, Any] = {}
    for pair in pairs:
        key, eq, value = (part.strip() for part in pair.partition("="))
        if not eq or not key:
            raise AutojError(f"backend option {pair!r}: write KEY=VALUE, e.g. n_threads=2")
        try:
            options[key] = check_option(split_spec(spec)[0], key, _typed(value), allowed)
        except ValueError as exc:
            given = "" if key not in allowed else f" (-B {key}={value})"
            raise AutojError(f"backend option {key!r}{given}: {exc}") from None
    return options


def _typed(value: str) -> Any:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


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
