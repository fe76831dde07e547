"""The service's JSON answers, with credentials hidden: every answer, the routes' and the errors',
goes out through `RedactedJSONResponse` (a judge spec's `user:pass@`, a key a server echoed)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from autoj.backends.redaction import redact_data


class RedactedJSONResponse(JSONResponse):
    """A JSON answer whose every string is redacted (see `autoj.backends.redaction`)."""

    def render(self, content: Any) -> bytes:
        return super().render(redact_data(content))
