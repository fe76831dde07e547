"""Core records that flow through autoj: items in, prompts and completions in the middle, judgments out.

They are frozen dataclasses so they can be hashed, shared across tasks and serialised predictably.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal


class Verdict(str, enum.Enum):
    """A pairwise decision. `label` is the Auto-J integer encoding (0, 1, 2)."""

    RESPONSE_1 = "response_1"
    RESPONSE_2 = "response_2"
    TIE = "tie"

    @property
    def label(self) -> int:
        return _VERDICT_LABELS[self]

    @classmethod
    def from_label(cls, label: int) -> Verdict:
        for verdict, value in _VERDICT_LABELS.items():
            if value == label:
                return verdict
        raise ValueError(f"unknown Auto-J label {label!r}: expected 0, 1 or 2")

    def swapped(self) -> Verdict:
        """The same decision seen from the other order of the two responses."""
        if self is Verdict.RESPONSE_1:
            return Verdict.RESPONSE_2
        if self is Verdict.RESPONSE_2:
            return Verdict.RESPONSE_1
        return Verdict.TIE


_VERDICT_LABELS = {Verdict.RESPONSE_1: 0, Verdict.RESPONSE_2: 1, Verdict.TIE: 2}

JudgmentStatus = Literal["ok", "parse_error", "backend_error"]
TaskKind = Literal["pairwise", "single"]


@dataclass(frozen=True)
class PairItem:
    """One query with two responses to compare. `label` is the human verdict when known."""

    query: str
    response_1: str
    response_2: str
    id: str = ""
    scenario: str | None = None
    label: Verdict | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def swapped(self) -> PairItem:
        """The same pair with the responses exchanged (and the label mapped with them)."""
        return PairItem(
            query=self.query,
            response_1=self.response_2,
            response_2=self.response_1,
            id=self.id,
            scenario=self.scenario,
            label=self.label.swapped() if self.label is not None else None,
            meta=self.meta,
        )


@dataclass(frozen=True)
class SingleItem:
    """One query with one response to critique and rate. `reference` is a known score if any."""

    query: str
    response: str
    id: str = ""
    scenario: str | None = None
    reference: float | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


Item = PairItem | SingleItem


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class Prompt:
    """What a backend is asked to continue: raw text, or chat messages for the model's template.

    Auto-J was trained on raw `[INST] ... [/INST]` text, so it is sent as `text`; general chat
    models get `messages` so that the server or engine applies their own chat template.
    """

    text: str | None = None
    messages: tuple[Message, ...] = ()

    def __post_init__(self) -> None:
        if (self.text is None) == (not self.messages):
            raise ValueError("a Prompt has either text or messages, not both and not neither")

    @property
    def is_chat(self) -> bool:
        return self.text is None

    def render(self) -> str:
        """A stable plain-text rendering (for hashing, token estimates and display)."""
        if self.text is not None:
            return self.text
        return "\n\n".join(f"<{m.role}>\n{m.content}" for m in self.messages)

    def to_dict(self) -> dict[str, Any]:
        if self.text is not None:
            return {"text": self.text}
        return {"messages": [asdict(m) for m in self.messages]}


@dataclass(frozen=True)
class GenerationParams:
    """Decoding settings. The defaults are the Auto-J authors' (greedy, 1024 new tokens).

    `stop_patterns` are regexes that end a generation once the text matches (the match is kept:
    used to stop as soon as the verdict or rating line is complete); `grammar` is a GBNF grammar
    the output must follow (constrained verdicts), where the backend supports one. Both are left
    out of `to_dict` when unset, so records and cache keys without them are unchanged.
    """

    max_new_tokens: int = 1024
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int = 0
    logprobs: int | None = None
    stop_patterns: tuple[str, ...] = ()
    grammar: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stop"] = list(self.stop)
        data["stop_patterns"] = list(self.stop_patterns)
        for optional in ("stop_patterns", "grammar"):
            if not data[optional]:
                del data[optional]
        return data


FinishReason = Literal["stop", "length", "error"]


@dataclass(frozen=True)
class TokenLogprob:
    token: str
    logprob: float
    top: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Completion:
    """A backend's answer to one prompt. A failed call is a Completion with `error` set."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: FinishReason = "stop"
    logprobs: tuple[TokenLogprob, ...] | None = None
    error: str | None = None

    @classmethod
    def failed(cls, reason: str) -> Completion:
        return cls(text="", finish_reason="error", error=reason)


@dataclass(frozen=True)
class Judgment:
    """A parsed judge output. A failure keeps the raw text and says why; it never invents a label.

    `verdict` is set for pairwise judgments, `rating` for single ones, and only when status is "ok".
    """

    kind: TaskKind
    status: JudgmentStatus
    raw: str
    critique: str = ""
    verdict: Verdict | None = None
    rating: float | None = None
    reason: str | None = None
    #: P(response_1), P(response_2), P(tie) read from the judge's logprobs, when it gave them
    verdict_probs: Mapping[str, float] | None = None
    #: the rating's expectation under the judge's logprobs for the rating number, when given
    expected_rating: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "verdict": self.verdict.value if self.verdict is not None else None,
            "rating": self.rating,
            "reason": self.reason,
            "critique": self.critique,
            "raw": self.raw,
            **({"verdict_probs": dict(self.verdict_probs)} if self.verdict_probs is not None else {}),
            **({"expected_rating": self.expected_rating} if self.expected_rating is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Judgment:
        verdict = data.get("verdict")
        return cls(
            kind=data["kind"],
            status=data["status"],
            raw=data.get("raw", ""),
            critique=data.get("critique", ""),
            verdict=Verdict(verdict) if verdict is not None else None,
            rating=data.get("rating"),
            reason=data.get("reason"),
            verdict_probs=data.get("verdict_probs"),
            expected_rating=data.get("expected_rating"),
        )
