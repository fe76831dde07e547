"""A deterministic backend for tests and dry runs, shipped so every command works without a model.

Unscripted, it answers each prompt with a well-formed Auto-J-style judgment chosen by a hash of the
prompt: the same prompt always gets the same text. Scripted, it returns given texts or a function's.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Any

from autoj.backends.base import Backend, Capability
from autoj.errors import AutojError
from autoj.types import Completion, FinishReason, GenerationParams, Prompt

Script = Sequence[str] | Callable[[Prompt], str]

_EN_VERDICTS = ("Response 1", "Response 2", "Tie")
_ZH_VERDICTS = ("回应1", "回应2", "平局")


def _digest(prompt: Prompt, seed: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}\0{prompt.render()}".encode()).digest()[:8], "big")


_REASONS = "The two answers differ in accuracy and in how completely they address the request."

# Other judge families, told apart by a line of their prompt: (marker, answer for a choice 0, 1, 2).
_FAMILIES: tuple[tuple[str, Callable[[int], str]], ...] = (
    ("更好的回答", lambda n: f'{{"原因": "回答{1 + n % 2}更准确。", "更好的回答": {1 + n % 2}}}'),
    ("###Response A:", lambda n: f"{_REASONS} [RESULT] {'AB'[n % 2]}"),
    ("###Response to evaluate:", lambda n: f"The response meets part of the rubric. [RESULT] {1 + n % 5}"),
    (
        "<|The Start of Assistant A's Answer|>",
        lambda n: f"{_REASONS}\n\nMy final verdict is [[{('A>B', 'B>A', 'A=B')[n % 3]}]]",
    ),
    ('"[[C]]" for a tie', lambda n: f"{_REASONS}\n\n[[{'ABC'[n % 3]}]]"),
    ("[The Start of Assistant B's Answer]", lambda n: f"[[{'AB'[n % 2]}]]"),
    ("[The Start of Assistant 2's Answer]", lambda n: f"{(8, 6, 7)[n % 3]} {(6, 8, 7)[n % 3]}\n{_REASONS}"),
    ("### Response 2:", lambda n: f"{('1', '2', 'Tie')[n % 3]}\n\n### Reason: {_REASONS}"),
    ("# Which is better, Output (a) or Output (b)?", lambda n: f"Output ({'ab'[n % 2]})"),
)


def canned_judgment(prompt: Prompt, seed: int = 0) -> str:
    """The unscripted answer: a plausible judgment whose decision depends only on the prompt, in the
    output format its prompt asks for (Auto-J's, or another family's)."""
    text = prompt.render()
    h = _digest(prompt, seed)
    for marker, answer in _FAMILIES:
        if marker in text:
            return answer(h)
    chinese = "回应" in text
    if "[Response 2]" in text or "[回应2]" in text:
        if chinese:
            choice = _ZH_VERDICTS[h % 3]
            return (
                "1. 区分这两个回应的关键因素：\n- 准确性：两个回应的准确程度不同。\n\n"
                f"2. 最终决定：\n\n所以，最终决定是{choice}。"
            )
        choice = _EN_VERDICTS[h % 3]
        return (
            "1. The key factors to distinguish these two responses:\n"
            "- accuracy: the responses differ in how exactly they answer the query.\n"
            "- completeness: one of them covers more of what was asked.\n\n"
            f"2. The final decision:\n\nSo, the final decision is {choice}."
        )
    if text.rstrip().endswith("Scenario:"):
        return "others"
    rating = 1 + h % 10
    if chinese:
        return f"这个回应部分回答了用户的问题，但还可以更具体。\n\n评分：[[{rating}]]"
    return (
        "The response addresses the query but could be more specific and better organised.\n\n"
        f"Rating: [[{rating}]]"
    )


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
        self, script: Script | None = None, seed: int = 0, delay: float = 0.0, record_calls: bool = True
    ) -> None:
        self._script = script
        self._seed = seed
        self._delay = delay
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

    async def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
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
    """`fake`, `fake:SEED` or `fake:seed=1,delay=0.05`."""
    seed, delay = 0, 0.0
    for part in filter(None, (p.strip() for p in arg.split(","))):
        key, eq, value = part.partition("=")
        try:
            if not eq:
                seed = int(key)
            elif key == "seed":
                seed = int(value)
            elif key == "delay":
                delay = float(value)
            else:
                raise AutojError(f"unknown fake backend option {key!r} (use seed=N, delay=SECONDS)")
        except ValueError:
            raise AutojError(f"bad fake backend option {part!r}") from None
    return FakeBackend(seed=seed, delay=delay, record_calls=False)
