"""Bearer-token auth (GREENKUBE_API_KEY): which paths need the key, the 401 answer, the comparison."""

import hmac

import pytest
from pydantic import SecretStr

from queryapi import auth

KEY = "s3cret-key"


def _assert_401(body: dict) -> None:
    assert set(body["error"]) == {"status", "code", "message", "details"}
    assert (body["error"]["status"], body["error"]["code"]) == (401, "unauthorized")


async def test_auth_no_key_configured_api_open(api_client) -> None:
    client = await api_client()

    response = await client.get("/api/v1/version")

    assert response.status == 200


async def test_auth_missing_token_returns_401_with_challenge(api_client) -> None:
    client = await api_client(api_key=KEY)

    response = await client.get("/api/v1/version")

    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="greenkube"'
    _assert_401(await response.json())


async def test_auth_wrong_token_returns_401_invalid_token(api_client) -> None:
    client = await api_client(api_key=KEY)

    response = await client.get("/api/v1/version", headers={"Authorization": "Bearer nope"})

    assert response.status == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    text = await response.text()
    _assert_401(await response.json())
    assert KEY not in text and "nope" not in text


@pytest.mark.parametrize("header", [f"Bearer {KEY}", f"bearer {KEY}", f"  Bearer   {KEY}  "])
async def test_auth_right_token_returns_200(api_client, header: str) -> None:
    client = await api_client(api_key=KEY)

    response = await client.get("/api/v1/version", headers={"Authorization": header})

    assert response.status == 200


@pytest.mark.parametrize("header", [KEY, f"Basic {KEY}", "Bearer", f"Bearer {KEY}x", f"Bearer {KEY[:-1]}"])
async def test_auth_malformed_or_near_token_returns_401(api_client, header: str) -> None:
    client = await api_client(api_key=KEY)

    response = await client.get("/api/v1/config", headers={"Authorization": header})

    assert response.status == 401


@pytest.mark.parametrize("path", ["/health", "/docs", "/redoc", "/openapi.json", "/prometheus/metrics",
                                  "/docs/assets/swagger-ui-bundle.js"])
async def test_auth_open_path_key_set_needs_no_token(api_client, path: str) -> None:
    client = await api_client(api_key=KEY)

    response = await client.get(path)

    assert response.status == 200


async def test_auth_unknown_api_path_without_token_returns_401(api_client) -> None:
    client = await api_client(api_key=KEY)

    anonymous = await client.get("/api/v1/nope")
    authorised = await client.get("/api/v1/nope", headers={"Authorization": f"Bearer {KEY}"})

    assert anonymous.status == 401
    assert authorised.status == 404


async def test_auth_metrics_auth_true_protects_prometheus_metrics(api_client) -> None:
    client = await api_client(api_key=KEY, metrics_auth=True)

    anonymous = await client.get("/prometheus/metrics")
    authorised = await client.get("/prometheus/metrics", headers={"Authorization": f"Bearer {KEY}"})

    assert anonymous.status == 401
    assert authorised.status == 200


async def test_auth_metrics_auth_without_key_stays_open(api_client) -> None:
    client = await api_client(metrics_auth=True)

    response = await client.get("/prometheus/metrics")

    assert response.status == 200


async def test_auth_comparison_uses_compare_digest(api_client, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    client = await api_client(api_key=KEY, rate_limit=0)

    response = await client.get("/api/v1/version", headers={"Authorization": "Bearer guess"})

    assert response.status == 401
    assert (b"guess", KEY.encode()) in calls


@pytest.mark.parametrize(("token", "expected"), [(KEY, True), ("", False), (None, False), ("clé", False)])
def test_token_matches_values_compared_exactly(token: str | None, expected: bool) -> None:
    assert auth.token_matches(token, SecretStr(KEY)) is expected


def test_token_matches_non_ascii_key_compared() -> None:
    assert auth.token_matches("clé-ü", SecretStr("clé-ü")) is True
