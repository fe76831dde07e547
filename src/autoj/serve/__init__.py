"""HTTP judge / reward service (FastAPI): `create_app`, `ServeSettings`, and `serve` to run it.

Needs the `server` extra (fastapi, uvicorn); importing this package without it raises
MissingExtraError naming the extra.
"""

from __future__ import annotations

import importlib.util

from autoj.errors import MissingExtraError

for _module in ("fastapi", "uvicorn"):
    if importlib.util.find_spec(_module) is None:
        raise MissingExtraError("autoj serve", "server", _module)

from autoj.serve.app import create_app  # noqa: E402
from autoj.serve.settings import TOKEN_ENV, ServeSettings  # noqa: E402

__all__ = ["TOKEN_ENV", "ServeSettings", "create_app"]
