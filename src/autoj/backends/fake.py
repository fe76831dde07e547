"""A deterministic backend for tests and dry runs, shipped so every command works without a model.

Unscripted, it answers each prompt with its answer format's own example (the protocol's output
contract), the verdict or rating chosen by a hash of the prompt: the same prompt always gets the
same text, in the format of whichever family asked; a chat prompt that names no answer format (the
fake as a model under test) gets an answer-like text. Scripted, it returns given texts or a function's.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from autoj.backends.base import Backend, Capability
from autoj.errors import AutojError
from autoj.types import Completion, FinishReason, GenerationParams, Prompt

Script = Sequence[str] | Callable[[Prompt], str]
_GATE_POLL_S = 0.02


def _digest(prompt: Prompt, seed: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}\0{prompt.render()}".encode()).digest()[:8], "big")


#: The answer to a prompt that names no answer format: plain text that parses as nothing.
NO_FORMAT_ANSWER = "This prompt names no answer format, so the fake backend has no example to give."


def canned_judgment(prompt: Prompt, seed: int = 0) -> str:
    """The unscripted answer: the example of the answer format the prompt asks for (its protocol's
    output contract), its verdict or rating chosen by a hash of the prompt and the seed."""
    if prompt.answer_format is None:
        return canned_answer(prompt, seed) if prompt.is_chat else NO_FORMAT_ANSWER
    return prompt.answer_format.example(_digest(prompt, seed))


def canned_answer(prompt: Prompt, seed: int = 0) -> str:
    """The fake as a model under test: an answer to the last user turn whose length (one to six
    points) depends only on the prompt and the seed, so two seeds make two different models."""
    h = _digest(prompt, seed)
    asked = (prompt.messages[-1].content.strip().splitlines() or [""])[0][:80]
    points = [f"{n}. A point about it (variant {(h >> (5 * n)) % 97})." for n in range(1, 2 + h % 6)]
    return "\n".join([f"An answer to: {asked}", *points])


def stopped(text: str, params: GenerationParams) -> str:
    """The text as a decoder honouring the request would end it: before the first stop string, or
    just after the first complete stop-pattern match, whichever comes first."""
    ends = [text.find(stop) for stop in params.stop if stop in text]
    for pattern in params.stop_patterns:
        match = re.search(pattern, text)
        if match is not None:
            ends.append(match.end())
    return text[: min(ends)] if ends else text


class FakeBackend(Backend):
    """Scripted or canned outputs with optional latency; counts tokens as whitespace words."""

    name = "fake"
    capabilities: frozenset[Capability] = frozenset({"stop", "stop_patterns", "batching"})
    context_window = 4096
    max_batch = 8
    max_concurrency = 8

    def __init__(
        self,
        script: Script | None = None,
        seed: int = 0,
        delay: float = 0.0,
        record_calls: bool = True,
        ready: str | None = None,
        gate: str | None = None,
        free: int = 0,
    ) -> None:
        """`ready` and `gate` are files that make a test's timing hold by construction: the
        backend creates `ready` when a request first has to wait, and answers no request beyond
        its first `free` prompts until `gate` exists (so a run is known to be mid-way, and stays
        so, until the test lets it go)."""
        self._script = script
        self._seed = seed
        self._delay = delay
        self._ready = Path(ready) if ready else None
        self._gate = Path(gate) if gate else None
        self._free = free
        self._answered = 0
        self._next = 0
        # Tests read the prompts a judge sent; a long CLI or service run must not keep them all.
        self._record = record_calls
        self.calls: list[Prompt] = []
        self.model_id = f"fake-seed{seed}" if script is None else "fake-scripted"

    def _text_for(self, prompt: Prompt) -> str:
        if self._script is None:
            return canned_judgment(prompt, self._seed)
        if callable(self._script):
            return self._script(prompt)
        if self._next >= len(self._script):
            raise AutojError(f"the fake backend's script has only {len(self._script)} outputs")
        text = self._script[self._next]
        self._next += 1
        return text

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    async def _wait_for_gate(self, prompts: int) -> None:
        self._answered += prompts
        if self._gate is None or self._answered <= self._free:
            return
        if self._ready is not None:
            self._ready.touch()
        while not self._gate.exists():
            await asyncio.sleep(_GATE_POLL_S)

    async def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        await self._wait_for_gate(len(prompts))
        if self._delay:
            await asyncio.sleep(self._delay * len(prompts))
        out: list[Completion] = []
        for prompt in prompts:
            if self._record:
                self.calls.append(prompt)
            text = stopped(self._text_for(prompt), params)
            words = text.split()
            finish: FinishReason = "stop"
            if len(words) > params.max_new_tokens:
                text = " ".join(words[: params.max_new_tokens])
                finish = "length"
            out.append(
                Completion(
                    text=text,
                    prompt_tokens=self.count_tokens(prompt.render()),
                    completion_tokens=len(text.split()),
                    finish_reason=finish,
                )
            )
        return out

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model_id}


def create(arg: str, **options: Any) -> FakeBackend:
    """`fake`, `fake:SEED`, `fake:seed=1,delay=0.05`; `ready=FILE,gate=FILE,free=N` (see
    FakeBackend)."""
    seed, delay, free = 0, 0.0, 0
    files: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in arg.split(","))):
        key, eq, value = part.partition("=")
        try:
            if not eq:
                seed = int(key)
            elif key == "seed":
                seed = int(value)
            elif key == "delay":
                delay = float(value)
            elif key in ("ready", "gate") and value:
                files[key] = value
            elif key == "free":
                free = int(value)
            else:
                raise AutojError(
                    f"unknown fake backend option {key!r} "
                    "(use seed=N, delay=SECONDS, ready=FILE, gate=FILE, free=N)"
                )
        except ValueError:
            raise AutojError(f"bad fake backend option {part!r}") from None
    return FakeBackend(seed=seed, delay=delay, record_calls=False, free=free, **files)
