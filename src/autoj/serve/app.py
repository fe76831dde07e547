"""The FastAPI application factory of the judge service.

`create_app(Judge(...))`, `create_app(JudgeConfig(...), ServeSettings(...))` or
`create_app(ServeSettings(...))`; run it with uvicorn (`autoj serve`).
Errors are JSON `{"error": ...}` with a status that says what to do (401, 413, 422, 429 +
Retry-After, 501, 503, 504); an unexpected failure is logged and answered with a bare 500, never a
traceback. The bearer token is checked before the body is read, then the body's size.
"""

from __future__ import annotations

import hmac
import logging
import math
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from autoj.backends.redaction import install_log_redaction
from autoj.judges.config import JudgeConfig
from autoj.protocols.base import OPTIONAL_INPUTS
from autoj.run.judge import Judge
from autoj.serve.responses import RedactedJSONResponse as JSONResponse  # every answer redacted
from autoj.serve.routes import api, public
from autoj.serve.service import Busy, JudgeService, ServiceError
from autoj.serve.settings import ServeSettings
from autoj.version import __version__

log = logging.getLogger(__name__)


#: Paths that need the bearer token (when the service has one); /healthz and the schema are open.
PROTECTED_PREFIX = "/v1"


class BearerAuth:
    """Answers 401 to a /v1 request without the service's bearer token, before its body is read.

    The token is compared in constant time. Checking here, not in a route dependency, means an
    unauthenticated client costs no body parsing and learns nothing from validation errors.
    """

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.expected = token.encode() if token is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.expected is not None and scope["type"] == "http" and _protected(scope["path"]):
            # every Authorization header, not the last one: two of them are ambiguous, never guessed
            headers = [
                value for name, value in scope.get("headers") or [] if name.lower() == b"authorization"
            ]
            scheme, _, given = (headers[0] if len(headers) == 1 else b"").partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(given.strip(), self.expected):
                message = (
                    "send one Authorization header, not several"
                    if len(headers) > 1
                    else "a valid bearer token is required (Authorization: Bearer TOKEN)"
                )
                response = JSONResponse(
                    {"error": message},
                    status_code=400 if len(headers) > 1 else 401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _protected(path: str) -> bool:
    return path == PROTECTED_PREFIX or path.startswith(PROTECTED_PREFIX + "/")


def _printable(value: Any) -> Any:
    """A validation error's text made safe to encode (a lone surrogate becomes its escape)."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def _validation_detail(error: dict[str, Any]) -> dict[str, Any]:
    """FastAPI's error entry without the offending input, which may not be encodable as JSON
    (NaN, Infinity, a lone surrogate) and need not be echoed back."""
    message = error.get("msg", "")
    given = error.get("input")
    if isinstance(given, float) and not math.isfinite(given):
        message = f"{message} (NaN and Infinity are not JSON numbers)"
    elif error.get("type") == "json_invalid":
        message = f"{message}: {error.get('ctx', {}).get('error', '')}"
    return {
        "loc": [_printable(part) for part in error.get("loc", ())],
        "msg": _printable(message),
        "type": _printable(error.get("type", "")),
    }


def _field_name(loc: list[Any]) -> str:
    """("body", "pairs", 0, "query") as the service names fields elsewhere: pairs[0].query."""
    name = ""
    for part in loc[1:] if loc[:1] == ["body"] else loc:
        name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
    return name or "body"


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


def _with_limits(schema: dict[str, Any], settings: ServeSettings, inputs: Collection[str]) -> dict[str, Any]:
    """The OpenAPI schema with this service's size limits, so clients and fuzzers know them, and
    with only the optional judge inputs (`inputs`) its protocol uses: the others are refused (422)."""
    models = schema.get("components", {}).get("schemas", {})
    for model in ("PairIn", "SingleIn"):
        for name in OPTIONAL_INPUTS:
            if model in models and name not in inputs:
                models[model]["properties"].pop(name, None)
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


def _settings_config(settings: ServeSettings) -> JudgeConfig:
    """The judge that settings alone describe; their cache default (None) is off."""
    base = JudgeConfig.load(settings.judge)
    return base.with_changes(
        protocol=settings.protocol,
        max_new_tokens=settings.max_new_tokens,
        cache=settings.cache or False,
        both_orders=settings.both_orders,
    )


def create_app(judge: Judge | JudgeConfig | ServeSettings, settings: ServeSettings | None = None) -> FastAPI:
    """The service for a ready Judge (owned by the caller), or for a judge config or settings (the
    app builds the judge and owns it). With a JudgeConfig, the settings' own judge fields (judge,
    protocol, max_new_tokens, cache) are not used: the config says what the judge is."""
    owned = not isinstance(judge, Judge)
    if isinstance(judge, Judge):
        settings = settings or ServeSettings(judge=judge.spec)
        built = judge
    elif isinstance(judge, JudgeConfig):
        settings = settings or ServeSettings(judge=judge.judge, both_orders=judge.both_orders)
        built = Judge(judge)
    else:
        settings = judge
        built = Judge(_settings_config(settings))
    service = JudgeService(built, settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                await built.backend.aclose()
                if built.cache is not None:
                    built.cache.close()

    install_log_redaction()
    app = FastAPI(
        default_response_class=JSONResponse,
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
            app.openapi_schema = _with_limits(base_openapi(), settings, built.protocol.inputs)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.include_router(public)
    app.include_router(api)
    # The last added runs first: the token, then the body's size, then the routes.
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(BearerAuth, token=settings.resolved_token())

    @app.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> JSONResponse:
        headers: dict[str, Any] = {}
        if isinstance(exc, Busy):
            headers["Retry-After"] = str(settings.retry_after_s)
        return JSONResponse({"error": str(exc)}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [_validation_detail(e) for e in exc.errors()]
        summary = (
            f"invalid request: {_field_name(detail[0]['loc'])}: {detail[0]['msg']}"
            if detail
            else "invalid request"
        )
        return JSONResponse({"error": summary, "detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error in the judge service", exc_info=exc)
        return JSONResponse({"error": "internal error"}, status_code=500)

    return app
