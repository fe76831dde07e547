"""HTTP routes of the judge service: parse the request, call JudgeService, return its reply."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from autoj.serve import schemas as s
from autoj.serve.service import JudgeService


def service_of(request: Request) -> JudgeService:
    service: JudgeService = request.app.state.service
    return service


Service = Annotated[JudgeService, Depends(service_of)]

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": s.InvalidRequest if code == 422 else s.ErrorResponse, "description": text}
    for code, text in (
        (400, "a body that is not readable JSON"),
        (401, "missing or wrong bearer token"),
        (413, "request body, a field or a list over the service's limit"),
        (422, "a body that is not JSON or does not match the schema, or text that is not valid Unicode"),
        (429, "too many judgments pending; retry after the Retry-After seconds"),
        (503, "the judge backend failed"),
        (504, "the judgments took longer than the request timeout"),
    )
}

# The bearer token is checked by the app's BearerAuth middleware, before the body is read.
api = APIRouter(prefix="/v1", responses=_ERRORS)
public = APIRouter()


@api.post("/compare", response_model=s.CompareResponse)
async def compare(request: s.CompareRequest, service: Service) -> s.CompareResponse:
    """Which response of each pair is better, or a tie, with the judge's critique."""
    return await service.compare(request)


@api.post("/rate", response_model=s.RateResponse)
async def rate(request: s.RateRequest, service: Service) -> s.RateResponse:
    """A critique and a 1-10 rating of each response."""
    return await service.rate(request)


@api.post("/rank", response_model=s.RankResponse)
async def rank(request: s.RankRequest, service: Service) -> s.RankResponse:
    """Order N candidates for one query, best first: by ratings (Best-of-N, the default) or by a
    pairwise tournament in both orders (`method: pairwise`), with the evidence."""
    return await service.rank(request)


@api.post(
    "/classify",
    response_model=s.ClassifyResponse,
    responses={501: {"model": s.ErrorResponse, "description": "no scenario classifier installed"}},
)
async def classify(request: s.ClassifyRequest, service: Service) -> s.ClassifyResponse:
    """The scenario (and scenario group) of each query."""
    return await service.classify(request)


@api.get("/models", response_model=s.ModelsResponse)
async def models(service: Service) -> s.ModelsResponse:
    """The judge this service runs."""
    return service.models()


@public.get("/healthz", response_model=s.HealthResponse)
async def healthz(service: Service) -> s.HealthResponse:
    """Liveness and queue depth; open without a token, for load balancers."""
    return service.health()
