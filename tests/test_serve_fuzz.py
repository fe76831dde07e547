"""Property-based fuzzing of the live service from its own OpenAPI schema: no input gives a 500.

Schemathesis generates valid and invalid requests for every operation; every response must be
a non-5xx status documented for that operation, with a body that matches its schema. Bounded by
a fixed number of examples per operation on the fast fake backend.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="install schemathesis (the dev extra)")

from fastapi import FastAPI  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import Case  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402

from autoj import FakeBackend, Judge  # noqa: E402
from autoj.serve import ServeSettings, create_app  # noqa: E402
from autoj.serve.server import serve_in_thread  # noqa: E402

TOKEN = "fuzz-token"
EXAMPLES_PER_OPERATION = 40
CALLS: list[str] = []


def _app() -> FastAPI:
    judge = Judge(FakeBackend())
    limits = ServeSettings(
        judge="fake", token=TOKEN, max_items=8, max_field_chars=2_000, max_body_bytes=50_000
    )
    return create_app(judge, limits)


# A request over a size limit is answered 413 (Content Too Large), a documented rejection.
REJECTIONS = [400, 401, 404, 405, 406, 413, 415, 422, 429]
# 501 is /v1/classify's documented answer when no scenario classifier is installed.
NOT_FAILURES = ["2XX", "3XX", "4XX", "501"]
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "negative_data_rejection": {"expected-statuses": REJECTIONS},
            "not_a_server_error": {"expected-statuses": NOT_FAILURES},
        }
    }
)
schema = schemathesis.openapi.from_dict(_app().openapi(), config=CONFIG)


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    with serve_in_thread(_app()) as url:
        yield url
    print(f"\nfuzzed {len(CALLS)} requests")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_input_makes_the_service_fail(case: Case, live_url: str) -> None:
    response = case.call(base_url=live_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    CALLS.append(case.operation.label)
    unavailable = response.status_code == 501 and case.path == "/v1/classify"
    assert response.status_code < 500 or unavailable, (response.status_code, response.text[:300])
    assert "Traceback" not in response.text
    case.validate_response(response)
