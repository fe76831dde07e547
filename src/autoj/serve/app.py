"""The FastAPI application factory of the judge service.

`create_app(Judge(...))` or `create_app(ServeSettings(...))`; run it with uvicorn (`autoj serve`).
Errors are JSON `{"error": ...}` with a status that says what to do (401, 413, 429 + Retry-After,
501, 503, 504); an unexpected failure is logged and answered with a bare 500, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from autoj import __version__
from autoj.judge import Judge
from autoj.serve.routes import api, public
from autoj.serve.service import Busy, JudgeService, ServiceError
from autoj.serve.settings import ServeSettings
from autoj.types import GenerationParams

log = logging.getLogger(__name__)


class BodyLimit:
    """Answers 413 when a request body is over `limit` bytes, before any route reads it.

    The body is read here (it is small by construction) and replayed to the app, so a client that
    lies in Content-Length or streams without one is cut off too.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _too_large(send, self.limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _too_large(send: Send, limit: int) -> None:
    response = JSONResponse({"error": f"request body over {limit} bytes"}, status_code=413)
    await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


def _describe(settings: ServeSettings) -> str:
    return (
        "Auto-J style judge as a service: pairwise verdicts, 1-10 ratings, Best-of-N ranking.\n\n"
        f"Limits: body {settings.max_body_bytes} bytes; {settings.max_field_chars} characters per "
        f"text; {settings.max_items} items per request; {settings.max_candidates} candidates per "
        f"rank; {settings.max_pending} judgments pending (429 beyond); "
        f"{settings.request_timeout_s:g}s per request (504 beyond)."
    )


def _with_limits(schema: dict[str, Any], settings: ServeSettings) -> dict[str, Any]:
    """The OpenAPI schema with this service's size limits, so clients and fuzzers know them."""
    models = schema.get("components", {}).get("schemas", {})
    text = {"maxLength": settings.max_field_chars}
    lists = {
        ("CompareRequest", "pairs"): settings.max_items,
        ("RateRequest", "items"): settings.max_items,
        ("ClassifyRequest", "queries"): settings.max_items,
        ("RankRequest", "candidates"): settings.max_candidates,
    }
    texts = {
        "PairIn": ("query", "response_1", "response_2"),
        "SingleIn": ("query", "response"),
        "RankRequest": ("query",),
    }
    for (model, field), limit in lists.items():
        if model in models:
            models[model]["properties"][field]["maxItems"] = limit
    for model, fields in texts.items():
        for field in fields:
            if model in models:
                models[model]["properties"][field].update(text)
    for model, field in (("RankRequest", "candidates"), ("ClassifyRequest", "queries")):
        if model in models:
            models[model]["properties"][field]["items"].update(text)
    return schema


def create_app(judge: Judge | ServeSettings, settings: ServeSettings | None = None) -> FastAPI:
    """The service for a ready Judge (owned by the caller) or for settings (the app owns it)."""
    owned = not isinstance(judge, Judge)
    if isinstance(judge, Judge):
        settings = settings or ServeSettings(judge=judge.spec)
        built = judge
    else:
        settings = judge
        built = Judge(
            settings.judge,
            protocol=settings.protocol,
            params=GenerationParams(max_new_tokens=settings.max_new_tokens),
            cache=settings.cache,
        )
    service = JudgeService(built, settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.batcher.start()
        try:
            yield
        finally:
            await service.batcher.stop()
            if owned:
                await built.backend.aclose()
                if built.cache is not None:
                    built.cache.close()

    app = FastAPI(
        title="autoj judge service",
        version=__version__,
        description=_describe(settings),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    base_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _with_limits(base_openapi(), settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.state.token = settings.resolved_token()
    app.include_router(public)
    app.include_router(api)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)

    @app.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> JSONResponse:
        headers: dict[str, Any] = {}
        if isinstance(exc, Busy):
            headers["Retry-After"] = str(settings.retry_after_s)
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse({"error": str(exc)}, status_code=exc.status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error in the judge service", exc_info=exc)
        return JSONResponse({"error": "internal error"}, status_code=500)

    return app
