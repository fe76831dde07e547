"""The judge service's logic, free of HTTP: checks sizes, queues items, turns Results into replies.

Routes call these methods and map the typed errors below to status codes; nothing here knows
about FastAPI, so it can be tested and reused directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from autoj.bench.correlation import Candidate, pick_best
from autoj.judge import Judge
from autoj.results import Result
from autoj.serve import schemas as s
from autoj.serve.batcher import JudgeFailed, MicroBatcher, QueueFull
from autoj.serve.settings import ServeSettings
from autoj.types import Item, PairItem, SingleItem


class ServiceError(Exception):
    """A request the service answers with an error status; the message is safe to show."""

    status = 500


class TooLarge(ServiceError):
    status = 413


class Busy(ServiceError):
    status = 429


class TimedOut(ServiceError):
    status = 504


class NotAvailable(ServiceError):
    status = 501


class BackendFailed(ServiceError):
    status = 503


class JudgeService:
    """One judge behind a micro-batcher, with the service's limits."""

    def __init__(self, judge: Judge, settings: ServeSettings) -> None:
        self.judge = judge
        self.settings = settings
        self.batcher = MicroBatcher(
            self._run_batch,
            window_s=settings.batch_window_s,
            max_batch=settings.max_batch,
            max_pending=settings.max_pending,
        )
        identity = judge.backend.identity()
        self.info = s.JudgeInfo(
            judge=judge.spec,
            backend=str(identity.get("backend", judge.backend.name)),
            model=str(identity.get("model", judge.backend.model_id)),
            protocol=judge.protocol.id,
        )

    async def _run_batch(self, items: list[Item], both_orders: bool) -> list[Result]:
        # One engine call per batch; the engine answers prompts found in the judge's cache
        # (autoj.cache) without reaching the model.
        return await self.judge.engine(both_orders).run(items)

    # -- limits ---------------------------------------------------------------------------

    def _check_count(self, what: str, count: int, limit: int) -> None:
        if count > limit:
            raise TooLarge(f"{count} {what} in one request; the limit is {limit}")

    def _check_text(self, what: str, text: str) -> None:
        if len(text) > self.settings.max_field_chars:
            raise TooLarge(f"{what} has {len(text)} characters; the limit is {self.settings.max_field_chars}")

    # -- judging ----------------------------------------------------------------------------

    async def _judge(self, items: Sequence[Item], both_orders: bool) -> list[Result]:
        try:
            futures = self.batcher.submit(items, both_orders)
        except QueueFull as exc:
            raise Busy("the judge is busy: too many pending judgments, retry later") from exc
        gathered = asyncio.gather(*futures, return_exceptions=True)
        try:
            outcomes = await asyncio.wait_for(gathered, self.settings.request_timeout_s)
        except asyncio.TimeoutError:
            raise TimedOut(f"the judgments took longer than {self.settings.request_timeout_s:g}s") from None
        results: list[Result] = []
        for outcome in outcomes:
            if isinstance(outcome, JudgeFailed):
                raise BackendFailed("the judge backend failed on this batch; see the server log")
            if isinstance(outcome, BaseException):
                raise outcome
            results.append(outcome)
        return results

    async def compare(self, request: s.CompareRequest) -> s.CompareResponse:
        self._check_count("pairs", len(request.pairs), self.settings.max_items)
        items: list[Item] = []
        for n, pair in enumerate(request.pairs):
            for name in ("query", "response_1", "response_2"):
                self._check_text(f"pairs[{n}].{name}", getattr(pair, name))
            items.append(
                PairItem(
                    pair.query,
                    pair.response_1,
                    pair.response_2,
                    id=pair.id if pair.id is not None else str(n),
                    scenario=pair.scenario,
                )
            )
        both = self.settings.both_orders if request.both_orders is None else request.both_orders
        results = await self._judge(items, both)
        return s.CompareResponse(results=[_pair_judgment(r) for r in results], judge=self.info)

    async def rate(self, request: s.RateRequest) -> s.RateResponse:
        self._check_count("items", len(request.items), self.settings.max_items)
        items: list[Item] = []
        for n, one in enumerate(request.items):
            self._check_text(f"items[{n}].query", one.query)
            self._check_text(f"items[{n}].response", one.response)
            items.append(
                SingleItem(
                    one.query,
                    one.response,
                    id=one.id if one.id is not None else str(n),
                    scenario=one.scenario,
                )
            )
        results = await self._judge(items, False)
        return s.RateResponse(results=[_rating(r) for r in results], judge=self.info)

    async def rank(self, request: s.RankRequest) -> s.RankResponse:
        self._check_count("candidates", len(request.candidates), self.settings.max_candidates)
        self._check_text("query", request.query)
        for n, candidate in enumerate(request.candidates):
            self._check_text(f"candidates[{n}]", candidate)
        items: list[Item] = [
            SingleItem(request.query, candidate, id=str(n)) for n, candidate in enumerate(request.candidates)
        ]
        ratings = [_rating(r) for r in await self._judge(items, False)]
        return s.RankResponse(
            ratings=ratings, best=best_index(ratings), ranking=ranking(ratings), judge=self.info
        )

    async def classify(self, request: s.ClassifyRequest) -> s.ClassifyResponse:
        self._check_count("queries", len(request.queries), self.settings.max_items)
        for n, query in enumerate(request.queries):
            self._check_text(f"queries[{n}]", query)
        from autoj.serve.classify import classify_queries

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
        return s.HealthResponse(
            status="ok", pending=self.batcher.pending, max_pending=self.batcher.max_pending
        )


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


def best_index(ratings: Sequence[s.Rating]) -> int | None:
    """The highest-rated candidate; a tie goes to the earlier one (autoj.bench's rule)."""
    return pick_best([Candidate(rating=r.rating, reference=0.0) for r in ratings])


def ranking(ratings: Sequence[s.Rating]) -> list[int]:
    """Candidate indices best first: by rating, ties by position, unrated last."""
    return sorted(
        range(len(ratings)),
        key=lambda i: (ratings[i].rating is None, -(ratings[i].rating or 0.0), i),
    )
