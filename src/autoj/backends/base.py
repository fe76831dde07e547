"""The one interface every engine sits behind: an async batch `generate`."""

from __future__ import annotations

import abc
import asyncio
import functools
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, Literal

from autoj.errors import AutojError
from autoj.types import Completion, GenerationParams, Prompt

#: What a request may ask of a backend beyond plain decoding.
Capability = Literal["stop", "stop_patterns", "grammar", "logprobs", "batching"]

_Generate = Callable[[Any, Sequence[Prompt], GenerationParams], Awaitable[list[Completion]]]


class UnsupportedFeature(AutojError):
    """A request asks a backend for something it does not do; refused before any model call."""


def requested_features(params: GenerationParams) -> list[Capability]:
    """The features these parameters ask for (batching is how prompts are handed over, not asked)."""
    wanted: list[Capability] = []
    if params.stop:
        wanted.append("stop")
    if params.stop_patterns:
        wanted.append("stop_patterns")
    if params.grammar is not None:
        wanted.append("grammar")
    if params.logprobs is not None:
        wanted.append("logprobs")
    return wanted


def check_request(backend: Backend, params: GenerationParams) -> None:
    """Refuse parameters the backend would otherwise silently ignore."""
    missing = [feature for feature in requested_features(params) if feature not in backend.capabilities]
    if missing:
        honoured = ", ".join(sorted(backend.capabilities)) or "none of them"
        raise UnsupportedFeature(
            f"the {backend.name} backend does not honour {', '.join(missing)} (it honours {honoured}); "
            "drop the option or pick a backend that has it"
        )


def _checked(generate: _Generate) -> _Generate:
    @functools.wraps(generate)
    async def checked(self: Backend, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        check_request(self, params)
        return await generate(self, prompts, params)

    checked.__autoj_checked__ = True  # type: ignore[attr-defined]
    return checked


class Backend(abc.ABC):
    """A text generator. Subclasses implement `generate`; everything else has a sensible default.

    `generate` never raises for a failed prompt: it returns a Completion with `error` set, so one
    bad request does not lose the rest of a batch.
    """

    #: registry name, e.g. "llamacpp"
    name: str = "backend"
    #: the model's identity as recorded in results and cache keys (path + file hash, repo + revision)
    model_id: str = ""
    #: how many tokens prompt + output may take, when known
    context_window: int | None = None
    #: how many prompts the engine should hand over in one call
    max_batch: int = 1
    #: how many calls may be in flight at once
    max_concurrency: int = 1
    #: what it honours of a request (stop strings, stop patterns, grammars, logprobs) and whether
    #: it decodes a batch of prompts together; a request for anything else is refused
    capabilities: frozenset[Capability] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every backend's `generate` checks the request against `capabilities` first (one place)."""
        super().__init_subclass__(**kwargs)
        generate = cls.__dict__.get("generate")
        if generate is not None and not getattr(generate, "__autoj_checked__", False):
            setattr(cls, "generate", _checked(generate))  # noqa: B010

    @abc.abstractmethod
    async def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        """Continue each prompt; one Completion per prompt, in order."""

    def count_tokens(self, text: str) -> int:
        """Tokens in `text`. Backends with a tokenizer override this; the default estimates."""
        return max(1, len(text.encode("utf-8")) // 4)

    def identity(self) -> dict[str, Any]:
        """What determines this backend's outputs, for provenance and cache keys."""
        return {"backend": self.name, "model": self.model_id}

    async def aclose(self) -> None:
        """Release connections or engines. Safe to call twice."""
        return None

    def generate_sync(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        """Blocking form of `generate` for scripts (not for use inside a running event loop)."""
        return asyncio.run(self.generate(prompts, params))


def known_options(options: Mapping[str, Any], allowed: Collection[str]) -> dict[str, Any]:
    """The options a backend understands and that were given (None means "not given").

    Callers such as the CLI pass one set of options to whichever backend a spec names.
    """
    return {key: value for key, value in options.items() if key in allowed and value is not None}
