"""The service under hostile and careless clients, served for real by uvicorn on a loopback port.

One request must never hurt another: a request that breaks the backend fails alone even when its
prompt shared a backend call with others; bodies no judge can take (NaN, lone surrogates) are
422s, not 500s; the token is checked before a body is read; an empty token is refused.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Sequence

import httpx
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from autoj import FakeBackend, Judge
from autoj.serve import TOKEN_ENV, ServeSettings, create_app
from autoj.serve.server import serve_in_thread
from autoj.types import Completion, GenerationParams, Prompt

TOKEN = "hardening-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
POISON = "POISON-PILL"


class PoisonableBackend(FakeBackend):
    """The fake judge in batches of up to 16; a call holding the poison text raises, as a backend
    with a bug would. Records the size of every call that raised."""

    max_batch = 16
    max_concurrency = 2

    def __init__(self) -> None:
        super().__init__(delay=0.001)
        self.raised: list[int] = []

    async def generate(self, prompts: Sequence[Prompt], params: GenerationParams) -> list[Completion]:
        await asyncio.sleep(0.002)
        if any(POISON in p.render() for p in prompts):
            self.raised.append(len(prompts))
            raise RuntimeError("backend bug on this prompt")
        return await super().generate(prompts, params)


def pair(n: int) -> dict[str, str]:
    return {
        "id": f"p{n}",
        "query": f"Which tip about Python is better? (case {n})",
        "response_1": f"Use list comprehensions where they read well ({n}).",
        "response_2": f"Prefer pathlib over os.path for paths ({n})." + " Really." * (n % 3),
    }


def _body(pairs: list[dict[str, str]]) -> bytes:
    return json.dumps({"pairs": pairs}).encode()


def test_300_requests_50_at_once_with_poisoned_ones_fail_only_themselves() -> None:
    backend = PoisonableBackend()
    direct = Judge(FakeBackend())
    expected = {}
    for n in range(300):
        sent = pair(n)
        result = direct.compare(sent["query"], sent["response_1"], sent["response_2"])
        expected[sent["id"]] = (result.verdict.value if result.verdict else None, result.critique)
    direct.close()
    bodies = {n: _body([pair(n)]) for n in range(300)}
    bodies[137] = _body([{**pair(137), "response_2": f"{POISON} breaks the backend"}])
    bodies[70] = _body([pair(70)]).replace(b'"Which', b'"\\ud800 Which')  # a lone surrogate
    bodies[222] = _body([pair(222)]).replace(b'"id": "p222"', b'"id": NaN')
    poisoned = {137: 503, 70: 422, 222: 422}
    app = create_app(Judge(backend), ServeSettings(judge="fake", token=TOKEN, max_pending=300))
    headers = {**AUTH, "content-type": "application/json"}
    with serve_in_thread(app) as url:

        async def load() -> dict[int, httpx.Response]:
            queue: asyncio.Queue[int] = asyncio.Queue()
            for n in range(300):
                queue.put_nowait(n)
            answers: dict[int, httpx.Response] = {}

            async def client() -> None:
                async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
                    while not queue.empty():
                        n = queue.get_nowait()
                        answers[n] = await http.post("/v1/compare", content=bodies[n])

            await asyncio.gather(*(client() for _ in range(50)))
            return answers

        answers = asyncio.run(load())
        health = httpx.get(f"{url}/healthz").json()
    assert len(answers) == 300
    other_failures = [n for n, r in answers.items() if n not in poisoned and r.status_code != 200]
    assert other_failures == []
    for n, response in answers.items():
        if n in poisoned:
            assert response.status_code == poisoned[n], (n, response.text)
            assert "Traceback" not in response.text and "backend bug" not in response.text
            continue
        got = response.json()["results"][0]
        assert got["id"] == f"p{n}"
        assert (got["verdict"], got["critique"]) == expected[f"p{n}"]
    # The poisoned prompt reached the backend inside a shared call, and only it failed.
    assert max(backend.raised) > 1 and backend.raised[-1] == 1, backend.raised
    assert health["pending"] == 0


@pytest.fixture(scope="module")
def url() -> object:
    with serve_in_thread(create_app(Judge(FakeBackend()), ServeSettings(judge="fake", token=TOKEN))) as base:
        yield base


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b'{"pairs": [{"query": NaN, "response_1": "a", "response_2": "b"}]}', "pairs[0].query"),
        (b'{"pairs": [{"query": "q", "response_1": Infinity, "response_2": "b"}]}', "pairs[0].response_1"),
        (
            b'{"pairs": [{"query": "q", "response_1": "a", "response_2": "b"}], "both_orders": -Infinity}',
            "both_orders",
        ),
        (b'{"items": [{"query": "q", "response": "r", "extra": NaN}]}', "items[0].extra"),
        (b"NaN", "body"),
    ],
)
def test_nan_and_infinity_in_a_body_are_422_naming_the_field(url: str, body: bytes, where: str) -> None:
    path = "/v1/rate" if b"items" in body else "/v1/compare"
    response = httpx.post(f"{url}{path}", content=body, headers={**AUTH, "content-type": "application/json"})
    assert response.status_code == 422, response.text
    answer = response.json()
    assert where in answer["error"]
    assert "NaN" not in json.dumps(answer["detail"]) or "not JSON numbers" in answer["error"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/v1/compare",
            b'{"pairs": [{"query": "q\\ud800", "response_1": "a", "response_2": "b"}]}',
            "pairs[0].query",
        ),
        (
            "/v1/compare",
            b'{"pairs": [{"query": "q", "response_1": "a", "response_2": "b", "id": "\\udfff"}]}',
            "pairs[0].id",
        ),
        ("/v1/rate", b'{"items": [{"query": "q", "response": "x\\udc80y"}]}', "items[0].response"),
        ("/v1/rank", b'{"query": "q", "candidates": ["a", "\\ud83d"]}', "candidates[1]"),
        (
            "/v1/compare",
            b'{"pairs": [{"query": "q", "response_1": "a", "response_2": "b", "\\ud800": 1}]}',
            None,
        ),
    ],
)
def test_lone_surrogates_are_422_naming_the_field(
    url: str, path: str, body: bytes, field: str | None
) -> None:
    response = httpx.post(f"{url}{path}", content=body, headers={**AUTH, "content-type": "application/json"})
    assert response.status_code == 422, response.text
    if field is not None:
        error = response.json()["error"]
        assert field in error
        assert "surrogate" in error or "unicode" in error


def test_the_token_is_checked_before_the_body_is_read(url: str) -> None:
    broken = b'{"pairs": [ not json'
    headers = {"content-type": "application/json"}
    assert httpx.post(f"{url}/v1/compare", content=broken, headers=headers).status_code == 401
    huge = b'{"pairs": "' + b"x" * 2_000_000 + b'"}'
    assert httpx.post(f"{url}/v1/compare", content=huge, headers=headers).status_code == 401
    assert httpx.post(f"{url}/v1/compare", content=broken, headers={**headers, **AUTH}).status_code == 422
    assert httpx.post(f"{url}/v1/compare", content=huge, headers={**headers, **AUTH}).status_code == 413


def test_an_empty_token_is_refused_and_never_turns_off_the_environments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    for empty in ("", "   "):
        with pytest.raises(ValueError, match="token is empty"):
            ServeSettings(token=empty)
    assert ServeSettings().resolved_token() == "from-env"
    env = {**os.environ, TOKEN_ENV: "from-env"}
    done = subprocess.run(
        [sys.executable, "-m", "autoj", "serve", "--judge", "fake", "--token", "", "--port", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "token is empty" in done.stderr
    assert "Traceback" not in done.stderr
