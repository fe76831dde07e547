"""Core records that flow through autoj: items in, prompts and completions in the middle, judgments out.

They are frozen dataclasses so they can be hashed, shared across tasks and serialised predictably.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, Protocol


class Verdict(str, enum.Enum):
    """A pairwise decision. `label` is the Auto-J integer encoding (0, 1, 2)."""

    RESPONSE_1 = "response_1"
    RESPONSE_2 = "response_2"
    TIE = "tie"

    @property
    def label(self) -> int:
        return _VERDICT_LABELS[self]

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


Role = Literal["system", "user", "assistant"]
ROLES: tuple[Role, ...] = ("system", "user", "assistant")


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class Rubric:
    """What a rubric-guided judge grades against: its criteria and what each score means.

    `scores` pairs each score label with its description, in scale order: "1" ... "5" on the
    default 1-5 scale, or ranges such as "81-100" on a 1-100 scale. `low` / `high` bound the
    scale the judge must answer in. A rubric without scores is criteria only (pairwise judges).
    """

    criteria: str
    scores: tuple[tuple[str, str], ...] = ()
    low: int = 1
    high: int = 5

    def __post_init__(self) -> None:
        if not self.criteria.strip():
            raise ValueError("a rubric needs its criteria")
        if self.low >= self.high:
            raise ValueError(f"a rubric scale runs from low to high, not {self.low}-{self.high}")

    @property
    def scale(self) -> str:
        return f"{self.low}-{self.high}"

    def to_dict(self) -> dict[str, Any]:
        return {"criteria": self.criteria, "scores": dict(self.scores), "low": self.low, "high": self.high}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rubric:
        scores = data.get("scores") or {}
        return cls(
            criteria=str(data["criteria"]),
            scores=tuple((str(k), str(v)) for k, v in scores.items()),
            low=int(data.get("low", 1)),
            high=int(data.get("high", 5)),
        )


def check_history(turns: tuple[Message, ...]) -> None:
    """Earlier turns alternate user / assistant, starting with the user and ending with the assistant.

    They are what came before an item's query; the judged turn answers the query.
    """
    for n, message in enumerate(turns):
        expected = "user" if n % 2 == 0 else "assistant"
        if message.role != expected:
            raise ValueError(f"conversation turn {n + 1} is from the {message.role}, expected the {expected}")
    if len(turns) % 2:
        raise ValueError("the earlier turns of a conversation end with an assistant turn")


def messages_from(value: Any) -> tuple[Message, ...]:
    """Messages from their plain form: a list of {"role", "content"} objects (or that list as JSON
    text, as a CSV cell holds it). Raises ValueError saying what is wrong."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"a conversation is a JSON list of messages: {exc.msg}") from None
    if not isinstance(value, list | tuple):
        raise ValueError("a conversation is a list of {role, content} messages")
    messages: list[Message] = []
    for n, entry in enumerate(value, start=1):
        if isinstance(entry, Message):
            messages.append(entry)
            continue
        role = entry.get("role") if isinstance(entry, Mapping) else None
        content = entry.get("content") if isinstance(entry, Mapping) else None
        if role not in ROLES or not isinstance(content, str):
            raise ValueError(f"message {n} needs a role (user / assistant) and text content")
        messages.append(Message(role, content))
    return tuple(messages)


def split_conversation(messages: tuple[Message, ...]) -> tuple[tuple[Message, ...], str, str | None]:
    """(earlier turns, the last user turn, the judged assistant turn or None) of a conversation.

    The judged turn is the last assistant turn; a conversation that ends with the user's turn
    leaves the response(s) to be given separately. A leading system message is not a turn and is
    not accepted: judges see the dialogue only.
    """
    judged: str | None = None
    body = messages
    if body and body[-1].role == "assistant":
        judged, body = body[-1].content, body[:-1]
    if not body or body[-1].role != "user":
        raise ValueError("a conversation ends with a user turn (then, optionally, the judged assistant turn)")
    history = body[:-1]
    check_history(history)
    return history, body[-1].content, judged


@dataclass(frozen=True)
class PairItem:
    """One query with two responses to compare. `label` is the human verdict when known.

    Optional inputs for judges that use them: `reference_answer` (what a good answer says),
    `rubric`, and `conversation`, the earlier turns of a multi-turn dialogue (before `query`,
    which is the last user turn; the two responses are the judged last assistant turns).
    """

    query: str
    response_1: str
    response_2: str
    id: str = ""
    scenario: str | None = None
    label: Verdict | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    reference_answer: str | None = None
    rubric: Rubric | None = None
    conversation: tuple[Message, ...] = ()

    def __post_init__(self) -> None:
        check_history(self.conversation)
        if self.label is not None and not isinstance(self.label, Verdict):
            raise TypeError(
                f"PairItem label {self.label!r} is not a Verdict: give Verdict.RESPONSE_1, "
                "Verdict.RESPONSE_2, Verdict.TIE or None (autoj.io.labels reads 0/1/2 and other encodings)"
            )

    def swapped(self) -> PairItem:
        """The same pair with the responses exchanged (and the label mapped with them)."""
        return replace(
            self,
            response_1=self.response_2,
            response_2=self.response_1,
            label=self.label.swapped() if self.label is not None else None,
        )


@dataclass(frozen=True)
class SingleItem:
    """One query with one response to critique and rate.

    `reference_score` is a known score of the response (what benchmarks correlate ratings with);
    `reference_answer`, `rubric` and `conversation` are inputs for judges, as on PairItem.
    """

    query: str
    response: str
    id: str = ""
    scenario: str | None = None
    reference_score: float | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    reference_answer: str | None = None
    rubric: Rubric | None = None
    conversation: tuple[Message, ...] = ()

    def __post_init__(self) -> None:
        check_history(self.conversation)


Item = PairItem | SingleItem


def check_item_types(items: list[Any]) -> None:
    """Every element is a PairItem or a SingleItem (a tuple or a dict is a mistake worth naming)."""
    for n, item in enumerate(items):
        if not isinstance(item, PairItem | SingleItem):
            raise TypeError(
                f"item {n} is a {type(item).__name__}, not a PairItem or SingleItem: build one, e.g. "
                "PairItem(query, response_1, response_2) or SingleItem(query, response)"
            )


class AnswerFormat(Protocol):
    """The answer a prompt asks for, as far as a backend needs it: an example of a well-formed one."""

    def example(self, pick: int) -> str:
        """A well-formed answer; `pick` chooses among its verdicts or ratings."""
        ...


@dataclass(frozen=True)
class Prompt:
    """What a backend is asked to continue: raw text, or chat messages for the model's template.

    Auto-J was trained on raw `[INST] ... [/INST]` text, so it is sent as `text`; general chat
    models get `messages` so that the server or engine applies their own chat template.
    `answer_format` is the answer the prompt asks for (a protocol's output contract): the fake
    backend answers with its example. It is no part of the prompt's text, identity or hash.
    """

    text: str | None = None
    messages: tuple[Message, ...] = ()
    answer_format: AnswerFormat | None = field(default=None, compare=False, repr=False)

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
    #: each response's score, for judges that score both to compare them (JudgeLM)
    scores: tuple[float, float] | None = None

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
            **({"scores": list(self.scores)} if self.scores is not None else {}),
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
            scores=_score_pair(data.get("scores")),
        )


def _score_pair(value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    first, second = value
    return float(first), float(second)
