"""CORS: preflight answered on every route, origins from GREENKUBE_CORS_ORIGINS, headers exposed."""

import re

import pytest

from queryapi.config import ApiSettings
from queryapi.wiring import served_endpoints

ORIGIN = "https://dashboard.example"


def _preflight(method: str = "GET") -> dict[str, str]:
    return {"Origin": ORIGIN, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization"}


async def test_cors_preflight_default_any_origin_allowed(api_client) -> None:
    client = await api_client()

    response = await client.options("/api/v1/metrics", headers=_preflight())

    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] in ("*", ORIGIN)
    assert "AUTHORIZATION" in response.headers["Access-Control-Allow-Headers"].upper()
    assert "GET" in response.headers["Access-Control-Allow-Methods"]


async def test_cors_preflight_key_set_needs_no_token(api_client) -> None:
    client = await api_client(api_key="k")

    response = await client.options("/api/v1/config/services", headers=_preflight("POST"))

    assert response.status == 200
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def _concrete(path: str) -> str:
    return re.sub(r"{\w+}", "prometheus", path)


async def test_cors_preflight_every_registered_route_answered(api_client) -> None:
    client = await api_client()
    endpoints = served_endpoints(client.app)

    statuses = {e.path: (await client.options(_concrete(e.path), headers=_preflight(e.method))).status
                for e in endpoints}

    assert len(endpoints) >= 10
    assert set(statuses.values()) == {200}, statuses


async def test_cors_simple_request_exposes_rate_headers(api_client) -> None:
    client = await api_client(rate_limit=10)

    response = await client.get("/api/v1/version", headers={"Origin": ORIGIN})

    assert response.headers["Access-Control-Allow-Origin"] in ("*", ORIGIN)
    exposed = response.headers["Access-Control-Expose-Headers"].upper()
    assert "X-RATELIMIT-REMAINING" in exposed and "RETRY-AFTER" in exposed and "CONTENT-DISPOSITION" in exposed


async def test_cors_error_answer_readable_by_browser(api_client) -> None:
    client = await api_client(api_key="k")

    response = await client.get("/api/v1/version", headers={"Origin": ORIGIN})

    assert response.status == 401
    assert response.headers["Access-Control-Allow-Origin"] in ("*", ORIGIN)


async def test_cors_listed_origins_only_those_allowed(api_client) -> None:
    client = await api_client(cors_origins="https://a.example, https://b.example:8443")

    allowed = await client.get("/api/v1/version", headers={"Origin": "https://b.example:8443"})
    refused = await client.options("/api/v1/version", headers={**_preflight(), "Origin": "https://evil.example"})
    other = await client.get("/api/v1/version", headers={"Origin": "https://evil.example"})

    assert allowed.headers["Access-Control-Allow-Origin"] == "https://b.example:8443"
    assert refused.status == 403
    assert "Access-Control-Allow-Origin" not in other.headers


@pytest.mark.parametrize("origins", ["ftp://x", "https://a.example/path", ""])
def test_cors_bad_origin_setting_rejected(origins: str) -> None:
    with pytest.raises(ValueError, match="CORS origin"):
        ApiSettings(cors_origins=origins)
