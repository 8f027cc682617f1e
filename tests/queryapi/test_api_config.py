"""GET /api/v1/config (redacted) and POST /api/v1/config/services (rules, validation, applied)."""

import asyncio
import io
import logging

import pytest

from exporter.config import ConfigError, load_settings
from queryapi import health_queries as hq
from queryapi.config import ApiSettings
from queryapi.service_models import config_view
from tests.fixtures.prometheus import free_port
from tests.queryapi.stubs import StubEngine, StubHttp

KEY = "api-k3y"
AUTH = {"Authorization": f"Bearer {KEY}"}
SECRETS = {"api_key": KEY, "prometheus_token": "prom-t0ken", "prometheus_password": "pass-w0rd",
           "electricity_maps_token": "em-t0ken"}


async def _post(client, body: object, headers: dict | None = None):
    return await client.post("/api/v1/config/services", json=body, headers=AUTH if headers is None else headers)


async def test_config_secrets_redacted(api_client) -> None:
    client = await api_client(**SECRETS, prometheus_username="ann", prometheus_headers={"X-Scope-OrgID": "tenant-9"},
                              prometheus_url="https://user:urlpass@prom.example:9443/prom")

    response = await client.get("/api/v1/config", headers=AUTH)

    text = await response.text()
    body = await response.json()
    for secret in [*SECRETS.values(), "tenant-9", "urlpass"]:
        assert secret not in text
    assert {name: body[name] for name in SECRETS} == dict.fromkeys(SECRETS, "***")
    assert body["prometheus_headers"] == {"X-Scope-OrgID": "***"}
    assert body["prometheus_url"] == "https://prom.example:9443/prom"
    assert body["prometheus_username"] == "ann"


async def test_config_unset_secrets_null(api_client) -> None:
    client = await api_client()

    body = await (await client.get("/api/v1/config")).json()

    assert body["api_key"] is None and body["prometheus_token"] is None and body["electricity_maps_token"] is None
    assert (body["rate_limit"], body["cors_origins"], body["currency"]) == (60, ["*"], "USD")


def test_config_view_every_setting_shown() -> None:
    view = config_view(ApiSettings()).model_dump()

    assert set(view) == set(ApiSettings.model_fields)


async def test_config_services_no_key_configured_returns_403(api_client) -> None:
    client = await api_client()

    response = await _post(client, {"opencost_url": "http://127.0.0.1:9003"}, headers={})

    assert response.status == 403
    body = await response.json()
    assert (body["error"]["status"], body["error"]["code"]) == (403, "forbidden")


async def test_config_services_allowed_without_key_when_enabled(api_client) -> None:
    client = await api_client(allow_runtime_config=True)

    response = await _post(client, {"opencost_url": "http://127.0.0.1:9003"}, headers={})

    assert response.status == 200
    assert (await response.json())["opencost_url"] == "http://127.0.0.1:9003/"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
async def test_config_services_missing_or_wrong_key_returns_401(api_client, headers: dict) -> None:
    client = await api_client(api_key=KEY, allow_runtime_config=True)

    response = await _post(client, {"opencost_url": "http://127.0.0.1:9003"}, headers=headers)

    assert response.status == 401


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ({"prometheus_url": "ftp://prom:21"}, "prometheus_url"),
        ({"prometheus_url": "file:///etc/passwd"}, "prometheus_url"),
        ({"opencost_url": "not a url"}, "opencost_url"),
        ({"prometheus_url": "http://u:p@prom:9090"}, "prometheus_url"),
        ({"opencost_url": "http://prom:9090/?x=1"}, "opencost_url"),
        ({"prometheus_url": None}, "prometheus_url"),
        ({"prometheus_token": "has space"}, "prometheus_token"),
        ({"prometheus_token": ""}, "prometheus_token"),
        ({"grafana_url": "http://g:3000"}, "grafana_url"),
        ({}, "body"),
    ],
)
async def test_config_services_bad_body_returns_400(api_client, body: dict, parameter: str) -> None:
    client = await api_client(api_key=KEY)

    response = await _post(client, body)

    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "invalid_parameter"
    assert error["details"][0]["parameter"] == parameter


@pytest.mark.parametrize("data", [b"{not json", b"[1, 2]", b"\xff\xfe"])
async def test_config_services_not_a_json_object_returns_400(api_client, data: bytes) -> None:
    client = await api_client(api_key=KEY)

    response = await client.post("/api/v1/config/services", data=data,
                                 headers={**AUTH, "Content-Type": "application/json"})

    assert response.status == 400


async def test_config_services_form_body_returns_415(api_client) -> None:
    client = await api_client(api_key=KEY)

    response = await client.post("/api/v1/config/services", data={"opencost_url": "http://x:1"}, headers=AUTH)

    assert response.status == 415


async def test_config_services_engine_swapped_and_used(api_client, aiohttp_server) -> None:
    engine = await StubEngine(values={hq.PROBE: 1}).start(aiohttp_server)
    client = await api_client(api_key=KEY)  # the engine starts on a dead port
    before = await client.get("/api/v1/health/services/prometheus", headers=AUTH)

    response = await _post(client, {"prometheus_url": engine.url, "prometheus_token": "n3w-token"})
    after = await client.get("/api/v1/health/services/prometheus", headers=AUTH)
    metrics = await client.get("/api/v1/metrics", headers=AUTH)

    assert (await before.json())["status"] == "unreachable"
    body = await response.json()
    assert (body["prometheus_url"], body["prometheus_token"]) == (engine.url + "/", "***")
    assert "n3w-token" not in await response.text()
    assert (await after.json())["status"] == "healthy"  # the cached result was dropped
    assert metrics.status == 200
    assert {one["authorization"] for one in engine.seen} == {"Bearer n3w-token"}


async def test_config_services_running_query_survives_swap(api_client, aiohttp_server) -> None:
    slow = await StubEngine(delay=0.5).start(aiohttp_server)
    fast = await StubEngine().start(aiohttp_server)
    client = await api_client(api_key=KEY, prometheus_url=slow.url)

    running = asyncio.ensure_future(client.get("/api/v1/metrics", headers=AUTH))
    await asyncio.sleep(0.2)
    swap = await _post(client, {"prometheus_url": fast.url})
    answer = await running

    assert swap.status == 200
    assert answer.status == 200
    assert slow.seen and not fast.seen


async def test_config_services_null_removes_optional(api_client) -> None:
    client = await api_client(api_key=KEY, opencost_url="http://127.0.0.1:9003", electricity_maps_token="t")

    body = await (await _post(client, {"opencost_url": None, "electricity_maps_token": None})).json()
    health = await (await client.get("/api/v1/health/services/opencost", headers=AUTH)).json()

    assert (body["opencost_url"], body["electricity_maps_token"]) == (None, None)
    assert health["status"] == "unconfigured"


async def test_config_services_electricity_maps_token_checked_after_change(api_client, aiohttp_server) -> None:
    fake = await StubHttp().start(aiohttp_server, prefix="/v3")
    client = await api_client(api_key=KEY, electricity_maps_url=fake.url)

    first = await (await client.get("/api/v1/health/services/electricity_maps", headers=AUTH)).json()
    await _post(client, {"electricity_maps_token": "fresh"})
    second = await (await client.get("/api/v1/health/services/electricity_maps", headers=AUTH)).json()

    assert (first["status"], second["status"]) == ("unconfigured", "healthy")
    assert fake.seen[0]["headers"]["auth-token"] == "fresh"


async def test_config_services_change_logged_without_secret(api_client, caplog) -> None:
    caplog.set_level(logging.INFO, logger="greenkube.queryapi")
    client = await api_client(api_key=KEY)

    await _post(client, {"prometheus_url": f"http://127.0.0.1:{free_port()}", "prometheus_token": "t0p-secret"})

    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "greenkube.queryapi")
    assert "prometheus_token set" in logged
    assert "t0p-secret" not in logged


@pytest.mark.parametrize("field", ["prometheus_token", "electricity_maps_token"])
@pytest.mark.parametrize("token", ["", "has space", "tab\there", "newline\n", "é-accent", "x" * 4097, "ok-t0ken"])
async def test_config_services_token_same_rule_as_startup(api_client, monkeypatch, field: str, token: str) -> None:
    client = await api_client(api_key=KEY)
    monkeypatch.setenv(f"GREENKUBE_{field.upper()}", token)
    try:
        load_settings(ApiSettings)
        startup_accepts = True
    except ConfigError:
        startup_accepts = False

    response = await _post(client, {field: token})

    assert (response.status == 200) is startup_accepts
    assert startup_accepts is (token == "ok-t0ken")


async def test_config_services_unknown_field_named_as_body_field(api_client) -> None:
    client = await api_client(api_key=KEY)

    response = await _post(client, {"opencost_url": "http://127.0.0.1:9003", "foo": 1, "bar": 2})

    error = (await response.json())["error"]
    assert (response.status, error["message"]) == (400, "unknown body field(s): foo, bar")
    assert error["details"] == [{"parameter": "foo", "message": "unknown body field"},
                                {"parameter": "bar", "message": "unknown body field"}]


async def test_config_services_bad_field_named_as_body_field(api_client) -> None:
    client = await api_client(api_key=KEY)

    response = await _post(client, {"opencost_url": "not a url"})

    assert (await response.json())["error"]["message"].startswith("invalid body field 'opencost_url': ")


async def test_config_services_body_too_large_returns_413(api_client) -> None:
    client = await api_client(api_key=KEY)

    body = io.BytesIO(b'{"opencost_url": "http://127.0.0.1:9003", "pad": "' + b"x" * 2 * 1024**2 + b'"}')
    response = await client.post("/api/v1/config/services", data=body,
                                 headers={**AUTH, "Content-Type": "application/json"})

    error = (await response.json())["error"]
    assert response.status == 413
    assert (error["status"], error["code"]) == (413, "payload_too_large")


async def test_config_services_token_with_authorization_header_returns_400(api_client) -> None:
    client = await api_client(api_key=KEY, prometheus_headers={"authorization": "Basic dTpw"})

    response = await _post(client, {"prometheus_token": "new-t0ken"})

    error = (await response.json())["error"]
    assert (response.status, error["details"][0]["parameter"]) == (400, "prometheus_token")
    assert "Authorization header" in error["message"]
    assert (await (await client.get("/api/v1/config", headers=AUTH)).json())["prometheus_token"] is None
