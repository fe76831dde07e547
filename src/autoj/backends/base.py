"""The one interface every engine sits behind: an async batch `generate`."""

from __future__ import annotations

import abc
import asyncio
import functools
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from autoj.errors import AutojError
from autoj.safeload import load_json
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
    #: what formats a chat prompt's messages: "server" (the server applies the model's own),
    #: "gguf" (the model file's), "tokenizer" (the tokenizer's), "none" (no template)
    chat_template: str = "none"
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


@dataclass(frozen=True)
class Option:
    """What one backend option accepts; every entry point (`-B`, a judge file's `options`, Python
    keywords) checks a value through here, so a bad value is refused before a backend is built."""

    kind: Literal["int", "number", "flag", "text", "mapping", "text_or_mapping"]
    minimum: float | None = None
    maximum: float | None = None
    #: the minimum itself is not allowed (a timeout of 0 waits for nothing)
    above: bool = False

    def expected(self) -> str:
        """`an integer >= 1`, `a number > 0`, ... for messages."""
        noun = {
            "int": "an integer",
            "number": "a finite number",
            "flag": "true or false",
            "text": "text",
            "mapping": "a JSON object",
            "text_or_mapping": "text or a JSON object",
        }[self.kind]
        bounds = []
        if self.minimum is not None:
            bounds.append(f"{'>' if self.above else '>='} {self.minimum:g}")
        if self.maximum is not None:
            bounds.append(f"<= {self.maximum:g}")
        return f"{noun} {' and '.join(bounds)}".strip()

    def check(self, value: Any) -> Any:
        """The value, converted where text stands for it (`-B` gives text); ValueError otherwise."""
        if (
            self.kind in ("mapping", "text_or_mapping")
            and isinstance(value, str)
            and value.lstrip()[:1] == "{"
        ):
            value = _json_object(value)
        if self.kind == "flag":
            if not isinstance(value, bool):
                raise ValueError(f"expected {self.expected()}")
            return value
        if self.kind in ("text", "text_or_mapping") and isinstance(value, str) and value.strip():
            return value
        if self.kind in ("mapping", "text_or_mapping") and isinstance(value, Mapping):
            if not all(isinstance(k, str) for k in value):
                raise ValueError(f"expected {self.expected()} with text keys")
            return dict(value)
        if self.kind in ("int", "number"):
            return self._number(value)
        raise ValueError(f"expected {self.expected()}")

    def _number(self, value: Any) -> int | float:
        whole = self.kind == "int"
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (whole and not isinstance(value, int))
        ):
            raise ValueError(f"expected {self.expected()}")
        if not math.isfinite(value):
            raise ValueError(f"expected {self.expected()}")
        low, high = self.minimum, self.maximum
        if low is not None and (value <= low if self.above else value < low):
            raise ValueError(f"expected {self.expected()}")
        if high is not None and value > high:
            raise ValueError(f"expected {self.expected()}")
        return value if whole else float(value)


def _json_object(text: str) -> Any:

    try:
        return load_json(text, "the value")
    except ValueError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    except AutojError as exc:
        raise ValueError(str(exc)) from None


class BackendOptionError(AutojError):
    """A backend option whose value the backend cannot use; names the option and what it takes."""


def check_option(backend: str, key: str, value: Any, allowed: Mapping[str, Option]) -> Any:
    """One option's value checked against what the backend declares (ValueError names the problem)."""
    option = allowed.get(key)
    if option is None:
        names = ", ".join(sorted(allowed)) or "none"
        raise ValueError(f"the {backend!r} backend takes {names}")
    try:
        return option.check(value)
    except ValueError as exc:
        raise ValueError(f"{exc} (got {value!r})") from None


def known_options(options: Mapping[str, Any], allowed: Mapping[str, Option]) -> dict[str, Any]:
    """The options a backend understands and that were given (None means "not given"), each value
    checked: a bad one is a BackendOptionError naming it, never a traceback from deep inside.

    Callers such as the CLI pass one set of options to whichever backend a spec names.
    """
    checked: dict[str, Any] = {}
    for key, value in options.items():
        if key not in allowed or value is None:
            continue
        try:
            checked[key] = allowed[key].check(value)
        except ValueError as exc:
            raise BackendOptionError(f"backend option {key!r}: {exc} (got {value!r})") from None
    return checked
