"""`autoj serve`: the judge as an HTTP service (needs the `server` extra)."""

from __future__ import annotations

from typing import Annotated

import typer

from autoj.cli.main import app
from autoj.cli.options import judge_options
from autoj.errors import AutojError
from autoj.judges.config import JudgeConfig


@app.command()
@judge_options()
def serve(
    *,
    config: JudgeConfig,
    host: Annotated[
        str, typer.Option(help="address to listen on; loopback unless you mean it")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8000,
    token: Annotated[
        str | None,
        typer.Option(help="require 'Authorization: Bearer TOKEN' (default: $AUTOJ_SERVE_TOKEN)"),
    ] = None,
    max_pending: Annotated[int, typer.Option(help="judgments waiting at once; 429 beyond")] = 256,
    max_items: Annotated[int, typer.Option(help="pairs or items per request; 413 beyond")] = 64,
    max_field_chars: Annotated[int, typer.Option(help="characters per text field; 413 beyond")] = 50_000,
    max_body_bytes: Annotated[int, typer.Option(help="request body bytes; 413 beyond")] = 1_000_000,
    timeout: Annotated[float, typer.Option(help="seconds one request may wait; 504 beyond")] = 300.0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
) -> None:
    """Serve the judge over HTTP: /v1/compare, /v1/rate, /v1/rank, /v1/classify, /healthz.

    --both-orders sets the default of requests that do not say.
    """
    from autoj.serve import ServeSettings, create_app
    from autoj.serve.server import serve as run_server

    try:
        settings = ServeSettings(
            judge=config.judge,
            token=token,
            both_orders=config.both_orders,
            max_pending=max_pending,
            max_items=max_items,
            max_field_chars=max_field_chars,
            max_body_bytes=max_body_bytes,
            request_timeout_s=timeout,
        )
        settings.resolved_token()  # a token from the environment is checked now, not per request
    except ValueError as exc:
        raise AutojError(str(exc)) from None
    application = create_app(config, settings)
    if settings.resolved_token() is None and host not in ("127.0.0.1", "localhost", "::1"):
        typer.secho(
            f"warning: serving on {host} without a token; anyone who can reach it can use the judge",
            fg=typer.colors.YELLOW,
            err=True,
        )
    run_server(application, host=host, port=port, log_level=log_level)
