"""The one interface every engine sits behind: an async batch `generate`."""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from autoj.types import Completion, GenerationParams, Prompt


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

    @abc.abstractmethod
    async def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        """Continue each prompt; one Completion per prompt, in order."""

    def count_tokens(self, text: str) -> int:
        """Tokens in `text`. Backends with a tokenizer override this; the default estimates."""
        return max(1, len(text.encode("utf-8")) // 4)

    @property
    def counts_tokens_exactly(self) -> bool:
        return type(self).count_tokens is not Backend.count_tokens

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
