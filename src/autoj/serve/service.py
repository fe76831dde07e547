"""The judge service's logic, free of HTTP: checks sizes, admits requests, turns Results into replies.

Batching is not done here: every request runs its own engine on the service's one Judge, and the
Judge's shared batcher coalesces the prompts of concurrent requests into backend calls. The
service adds admission control on top: a bound on pending judgments (429), a per-request timeout
(504), and failure isolation (a request whose judging raises gets 503; the others are unaffected).
Routes call these methods and map the typed errors below to status codes; nothing here knows
about FastAPI, so it can be tested and reused directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from autoj.errors import AutojError
from autoj.io.results import Result
from autoj.run import ranking
from autoj.run.judge import Judge
from autoj.serve import schemas as s
from autoj.serve.classify import classify_queries
from autoj.serve.settings import ServeSettings
from autoj.types import Item, PairItem, SingleItem

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A request the service answers with an error status; the message is safe to show."""

    status = 500


class TooLarge(ServiceError):
    status = 413


class Unprocessable(ServiceError):
    """Well-formed JSON that no judge can take (text that is not valid Unicode)."""

    status = 422


class Busy(ServiceError):
    status = 429


class TimedOut(ServiceError):
    status = 504


class NotAvailable(ServiceError):
    status = 501


class BackendFailed(ServiceError):
    status = 503


class JudgeService:
    """One judge behind admission control, with the service's limits."""

    def __init__(self, judge: Judge, settings: ServeSettings) -> None:
        self.judge = judge
        self.settings = settings
        self._pending = 0
        identity = judge.backend.identity()
        self.info = s.JudgeInfo(
            judge=judge.spec,
            backend=str(identity.get("backend", judge.backend.name)),
            model=str(identity.get("model", judge.backend.model_id)),
            protocol=judge.protocol.id,
        )

    @property
    def pending(self) -> int:
        """Judgments admitted and not yet answered, across all requests."""
        return self._pending

    # -- limits ---------------------------------------------------------------------------

    def _check_count(self, what: str, count: int, limit: int) -> None:
        if count > limit:
            raise TooLarge(f"{count} {what} in one request; the limit is {limit}")

    def _usable(self, item: Item) -> None:
        """An item the judge's protocol cannot prompt is the client's mistake (422), found before
        judging: an input the protocol cannot use, an unknown scenario, a rubric that does not fit
        the protocol's scale. Building the prompt is the one check that covers them all."""
        try:
            self.judge.protocol.prompt(item)
        except AutojError as exc:
            raise Unprocessable(str(exc)) from None

    def _check_text(self, what: str, text: str | None) -> None:
        """Within the size limit and encodable: a lone surrogate (JSON allows "\\ud800") is no text."""
        if text is None:
            return
        limit = self.settings.max_field_chars
        if len(text) > limit:
            raise TooLarge(f"{what} has {len(text)} characters; the limit is {limit}")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise Unprocessable(
                f"{what} holds a lone surrogate (U+{ord(text[exc.start]):04X}) at character {exc.start}: "
                "not valid Unicode text; send UTF-8 text"
            ) from None

    # -- judging ----------------------------------------------------------------------------

    async def _judge(self, items: Sequence[Item], both_orders: bool) -> list[Result]:
        """Admit the request (all of it or none), judge its items, and let them go when it ends.

        A request holds at most `request_share` pending slots: a larger one (a pairwise ranking
        of 32 candidates is 496 pairs) is judged in waves of that size within its slots, so it
        never fills the queue and other clients keep being admitted while it runs.
        """
        share = self.request_share
        held = min(len(items), share)
        if self._pending and self._pending + held > self.settings.max_pending:
            raise Busy(
                f"the judge is busy: {self._pending} judgments pending, limit "
                f"{self.settings.max_pending}; retry later"
            )
        self._pending += held
        try:
            return await asyncio.wait_for(
                self._waves(items, both_orders, held), self.settings.request_timeout_s
            )
        except asyncio.TimeoutError:
            raise TimedOut(f"the judgments took longer than {self.settings.request_timeout_s:g}s") from None
        finally:
            self._pending -= held

    @property
    def request_share(self) -> int:
        """The most pending slots one request may hold: half the bound, so two clients always fit."""
        return max(1, self.settings.max_pending // 2)

    async def _waves(self, items: Sequence[Item], both_orders: bool, size: int) -> list[Result]:
        results: list[Result] = []
        for start in range(0, len(items), max(1, size)):
            results += await self._run(items[start : start + size], both_orders)
        return results

    async def _run(self, items: Sequence[Item], both_orders: bool) -> list[Result]:
        # A failed generation is a Result with status backend_error; an exception here is a
        # backend bug or an item the engine cannot handle: it fails this request only.
        try:
            return await self.judge.engine(both_orders).run(items)
        except Exception:
            log.exception("judging a request of %d items failed", len(items))
            raise BackendFailed("the judge backend failed on this request; see the server log") from None

    async def compare(self, request: s.CompareRequest) -> s.CompareResponse:
        self._check_count("pairs", len(request.pairs), self.settings.max_items)
        items: list[Item] = []
        for n, pair in enumerate(request.pairs):
            for name in ("query", "response_1", "response_2", "id", "scenario", "reference_answer"):
                self._check_text(f"pairs[{n}].{name}", getattr(pair, name))
            items.append(
                PairItem(
                    pair.query,
                    pair.response_1,
                    pair.response_2,
                    id=pair.id if pair.id is not None else str(n),
                    scenario=pair.scenario,
                    **pair.judge_inputs(),
                )
            )
            self._usable(items[-1])
        both = self.settings.both_orders if request.both_orders is None else request.both_orders
        results = await self._judge(items, both)
        return s.CompareResponse(results=[_pair_judgment(r) for r in results], judge=self.info)

    async def rate(self, request: s.RateRequest) -> s.RateResponse:
        self._check_count("items", len(request.items), self.settings.max_items)
        items: list[Item] = []
        for n, one in enumerate(request.items):
            for name in ("query", "response", "id", "scenario", "reference_answer"):
                self._check_text(f"items[{n}].{name}", getattr(one, name))
            items.append(
                SingleItem(
                    one.query,
                    one.response,
                    id=one.id if one.id is not None else str(n),
                    scenario=one.scenario,
                    **one.judge_inputs(),
                )
            )
            self._usable(items[-1])
        results = await self._judge(items, False)
        return s.RateResponse(results=[_rating(r) for r in results], judge=self.info)

    async def rank(self, request: s.RankRequest) -> s.RankResponse:
        """Best-of-N by ratings (the default), or a both-orders pairwise tournament."""
        n = len(request.candidates)
        self._check_count("candidates", n, self.settings.max_candidates)
        self._check_text("query", request.query)
        for k, candidate in enumerate(request.candidates):
            self._check_text(f"candidates[{k}]", candidate)
        items = ranking.rank_items(request.method, request.query, request.candidates)
        results = await self._judge(items, request.method == "pairwise")
        ranked = ranking.ranking_of(request.method, n, results)
        if request.method == "pairwise":
            pairs = [_pair_judgment(r) for r in results]
            return s.RankResponse(
                method="pairwise",
                ratings=[],
                pairs=pairs,
                matrix=[list(row) for row in ranked.matrix or ()],
                scores=list(ranked.scores),
                best=ranked.best,
                ranking=list(ranked.order),
                judge=self.info,
            )
        return s.RankResponse(
            method="rate",
            ratings=[_rating(r) for r in results],
            scores=list(ranked.scores),
            best=ranked.best,
            ranking=list(ranked.order),
            judge=self.info,
        )

    async def classify(self, request: s.ClassifyRequest) -> s.ClassifyResponse:
        self._check_count("queries", len(request.queries), self.settings.max_items)
        for n, query in enumerate(request.queries):
            self._check_text(f"queries[{n}]", query)

        try:
            predictions = await classify_queries(list(request.queries))
        except LookupError as exc:
            raise NotAvailable(str(exc)) from None
        return s.ClassifyResponse(results=predictions)

    def models(self) -> s.ModelsResponse:
        card = s.ModelCard(
            id=self.info.judge, backend=self.info.backend, model=self.info.model, protocol=self.info.protocol
        )
        return s.ModelsResponse(data=[card])

    def health(self) -> s.HealthResponse:
        return s.HealthResponse(status="ok", pending=self._pending, max_pending=self.settings.max_pending)


def _pair_judgment(result: Result) -> s.PairJudgment:
    reasons = [j.reason for j in (result.judgment, result.swapped) if j is not None and j.reason]
    verdict = result.verdict
    return s.PairJudgment(
        id=result.id,
        status=result.status,
        verdict=verdict.value if verdict is not None else None,
        label=verdict.label if verdict is not None else None,
        consistent=result.consistent,
        critique=result.judgment.critique,
        swapped_critique=result.swapped.critique if result.swapped is not None else None,
        reason="; ".join(reasons) or None,
    )


def _rating(result: Result) -> s.Rating:
    return s.Rating(
        id=result.id,
        status=result.status,
        rating=result.rating,
        critique=result.critique,
        reason=result.judgment.reason,
    )
