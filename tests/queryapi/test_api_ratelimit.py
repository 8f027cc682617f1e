"""Rate limiting: GREENKUBE_RATE_LIMIT per minute per client, 429 with Retry-After and X-RateLimit-*."""

import time

import aiohttp
import pytest
from aiohttp import web

from queryapi.app import make_app
from queryapi.config import ApiSettings
from tests.fixtures.prometheus import free_port

KEY = "k3y"


async def test_ratelimit_over_limit_returns_429_with_headers(api_client) -> None:
    client = await api_client(rate_limit=3)

    answers = [await client.get("/api/v1/version") for _ in range(4)]

    assert [a.status for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["X-RateLimit-Limit"] for a in answers} == {"3"}
    reset = int(answers[3].headers["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 61
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 60
    body = await answers[3].json()
    assert (body["error"]["status"], body["error"]["code"]) == (429, "rate_limited")
    assert "Retry-After" not in answers[0].headers


async def test_ratelimit_zero_disables(api_client) -> None:
    client = await api_client(rate_limit=0)

    answers = [await client.get("/api/v1/version") for _ in range(70)]

    assert {a.status for a in answers} == {200}
    assert "X-RateLimit-Limit" not in answers[-1].headers


@pytest.mark.parametrize("path", ["/health", "/openapi.json", "/prometheus/metrics"])
async def test_ratelimit_probe_and_docs_paths_never_limited(api_client, path: str) -> None:
    client = await api_client(rate_limit=1)

    answers = [await client.get(path) for _ in range(3)]

    assert {a.status for a in answers} == {200}


async def test_ratelimit_other_address_separate_bucket(aiohttp_server) -> None:
    app = make_app(ApiSettings(rate_limit=2, prometheus_url=f"http://127.0.0.1:{free_port()}"))
    server = await aiohttp_server(app)
    url = str(server.make_url("/api/v1/version"))

    first = await _get_from("127.0.0.1", url, times=3)
    second = await _get_from("127.0.0.2", url, times=1)

    assert first == [200, 200, 429]
    assert second == [200]


async def test_ratelimit_valid_key_separate_from_address(api_client) -> None:
    client = await api_client(rate_limit=2, api_key=KEY)
    good = {"Authorization": f"Bearer {KEY}"}

    anonymous = [(await client.get("/api/v1/version")).status for _ in range(3)]
    with_key = [(await client.get("/api/v1/version", headers=good)).status for _ in range(3)]

    assert anonymous == [401, 401, 429]
    assert with_key == [200, 200, 429]


async def test_ratelimit_made_up_tokens_count_against_address(api_client) -> None:
    client = await api_client(rate_limit=2, api_key=KEY)

    statuses = [(await client.get("/api/v1/version", headers={"Authorization": f"Bearer guess{i}"})).status
                for i in range(3)]

    assert statuses == [401, 401, 429]


async def test_ratelimit_streamed_answer_carries_headers(aiohttp_client) -> None:
    app = make_app(ApiSettings(rate_limit=5))

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/csv"})
        await response.prepare(request)
        await response.write(b"a,b\n1,2\n")
        return response

    app.router.add_get("/api/v1/test-stream", stream)
    client = await aiohttp_client(app)

    response = await client.get("/api/v1/test-stream")

    assert response.status == 200
    assert response.headers["X-RateLimit-Remaining"] == "4"
    assert await response.text() == "a,b\n1,2\n"


async def _get_from(local_host: str, url: str, times: int) -> list[int]:
    """GET `url` `times` times from a connection bound to `local_host` (a loopback address)."""
    connector = aiohttp.TCPConnector(local_addr=(local_host, 0), force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        statuses = []
        for _ in range(times):
            async with session.get(url) as response:
                statuses.append(response.status)
        return statuses
