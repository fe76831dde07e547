"""Request and response models of the judge service (the wire format, apart from the logic).

Sizes are checked by the service against its configured limits (413), so one schema serves every
configuration; the limits are listed in the OpenAPI description.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from autoj.protocols.rubrics import RubricError, packaged_rubrics, parse_rubric_text, rubric_from_mapping
from autoj.run.ranking import Method as RankMethod
from autoj.run.ranking import Outcome as PairOutcome
from autoj.types import Message, Rubric

VerdictName = Literal["response_1", "response_2", "tie"]
Status = Literal["ok", "parse_error", "backend_error"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorResponse(BaseModel):
    """Every non-2xx answer: a short reason, never a stack trace."""

    error: str


class ValidationIssue(BaseModel):
    """Where a request breaks the schema (`loc`: body, field names and list positions) and how."""

    loc: list[str | int]
    msg: str
    type: str


class InvalidRequest(ErrorResponse):
    """422: a body that does not match the schema (each issue in `detail`), or text no judge can
    take; the offending values are not echoed back."""

    detail: list[ValidationIssue] = Field(default_factory=list)


class JudgeInfo(BaseModel):
    """Which judge answered: recorded with every response, like provenance in result files."""

    judge: str
    backend: str
    model: str
    protocol: str


class PairJudgment(BaseModel):
    """The judge's decision on one pair; `verdict` is null unless status is ok."""

    id: str
    status: Status
    verdict: VerdictName | None
    #: Auto-J label encoding: 0 = response 1, 1 = response 2, 2 = tie
    label: int | None
    #: both orders only: whether the two orders agreed (a disagreement is reported as a tie)
    consistent: bool | None = None
    critique: str
    swapped_critique: str | None = None
    reason: str | None = None


class CompareResponse(BaseModel):
    results: list[PairJudgment]
    judge: JudgeInfo


class Rating(BaseModel):
    """A critique and a 1-10 rating; `rating` is null unless status is ok."""

    id: str
    status: Status
    rating: float | None
    critique: str
    reason: str | None = None


class RateResponse(BaseModel):
    results: list[Rating]
    judge: JudgeInfo


class RankResponse(BaseModel):
    """The candidates ordered best first (`ranking`, indices), the best one, and the evidence.

    `rate` (Best-of-N): one rating per candidate (same order); ties on rating go to the earlier
    candidate; unrated candidates rank last. `pairwise`: every pair judged in both orders (a
    disagreement is a tie); `scores` are wins plus half the ties, equal scores go to the earlier
    candidate, `matrix[i][j]` is candidate i's outcome against j and `pairs` the judgments of
    each pair (i, j), i < j, in order. `best` is null only when nothing could be judged.
    """

    method: RankMethod
    ratings: list[Rating]
    best: int | None
    ranking: list[int]
    scores: list[float | None]
    pairs: list[PairJudgment] | None = None
    matrix: list[list[PairOutcome | None]] | None = None
    judge: JudgeInfo


class ScenarioPrediction(BaseModel):
    """The query's scenario in the Auto-J taxonomy, its group, and the classifier's probability."""

    scenario: str
    group: str
    confidence: float | None = None


class ClassifyResponse(BaseModel):
    results: list[ScenarioPrediction]


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    backend: str
    model: str
    protocol: str


class ModelsResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class HealthResponse(BaseModel):
    status: Literal["ok"]
    pending: int
    max_pending: int


class MessageIn(_Strict):
    role: Literal["user", "assistant"]
    content: str


class RubricIn(_Strict):
    """Criteria and what each score means (labels "1".."5", or ranges such as "81-100")."""

    criteria: str
    scores: dict[str, str] = Field(default_factory=dict)
    low: int | None = None
    high: int | None = None


def _rubric_of(value: str | RubricIn) -> Rubric:
    """A packaged rubric's name, inline rubric text or an object (never a path: this is a client's text)."""
    try:
        if isinstance(value, RubricIn):
            return rubric_from_mapping(value.model_dump(exclude_none=True), "rubric")
        return packaged_rubrics().get(value) or parse_rubric_text(value, "rubric")
    except RubricError as exc:
        raise ValueError(str(exc)) from None


class _JudgeInputs(_Strict):
    """Optional inputs for judges that use them; a judge whose protocol cannot use one refuses it (422)."""

    reference_answer: str | None = Field(default=None, description="what a good answer says")
    rubric: str | RubricIn | None = Field(
        default=None, description="inline text ('[criteria]' then 'Score n: ...' lines) or an object"
    )
    conversation: list[MessageIn] = Field(
        default_factory=list,
        description="earlier turns, user first, alternating, before `query`; the response answers `query`",
    )

    @field_validator("rubric")
    @classmethod
    def _readable_rubric(cls, value: str | RubricIn | None) -> str | RubricIn | None:
        if value is not None:
            _rubric_of(value)
        return value

    @field_validator("conversation")
    @classmethod
    def _alternating(cls, value: list[MessageIn]) -> list[MessageIn]:
        for n, message in enumerate(value):
            if message.role != ("user" if n % 2 == 0 else "assistant"):
                raise ValueError(f"turn {n + 1} should be the {'user' if n % 2 == 0 else 'assistant'}'s")
        if len(value) % 2:
            raise ValueError("the earlier turns end with an assistant turn (the query is the next user turn)")
        return value

    def judge_inputs(self) -> dict[str, Any]:
        """The item keyword arguments these fields give (PairItem / SingleItem)."""
        found: dict[str, Any] = {}
        if self.reference_answer is not None:
            found["reference_answer"] = self.reference_answer
        if self.rubric is not None:
            found["rubric"] = _rubric_of(self.rubric)
        if self.conversation:
            found["conversation"] = tuple(Message(m.role, m.content) for m in self.conversation)
        return found


class PairIn(_JudgeInputs):
    query: str
    response_1: str
    response_2: str
    id: str | None = Field(default=None, max_length=200, description="echoed back; default: the index")
    scenario: str | None = Field(default=None, max_length=200)


class CompareRequest(_Strict):
    """One or many pairs; `both_orders` judges each pair as given and swapped."""

    pairs: list[PairIn] = Field(min_length=1)
    both_orders: bool | None = Field(default=None, description="default: the service's setting")


class SingleIn(_JudgeInputs):
    query: str
    response: str
    id: str | None = Field(default=None, max_length=200, description="echoed back; default: the index")
    scenario: str | None = Field(default=None, max_length=200)


class RateRequest(_Strict):
    items: list[SingleIn] = Field(min_length=1)


class RankRequest(_Strict):
    """N candidate responses to one query, ordered by ratings (Best-of-N) or a pairwise tournament."""

    query: str
    candidates: list[str] = Field(min_length=1)
    method: RankMethod = Field(
        default="rate", description="rate: each candidate alone; pairwise: every pair, both orders"
    )


class ClassifyRequest(_Strict):
    queries: list[str] = Field(min_length=1)
