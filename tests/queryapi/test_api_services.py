"""Health of services: each check, the overall status, the 30 s cache and ?force=true, 404."""

import pytest

from exporter.catalogue import SOURCE_KUBERNETES
from queryapi import health_queries as hq
from tests.fixtures.prometheus import free_port
from tests.queryapi.stubs import StubEngine, StubHttp

JOB = "greenkube"  # the default GREENKUBE_EXPORTER_JOB
HEALTHY_EXPORTER = {hq.PROBE: 1, hq.exporter_up(JOB): 1, hq.exporter_last_success_age(): 12,
                    hq.source_up(SOURCE_KUBERNETES): 1}


async def _services(client, force: bool = False) -> dict:
    response = await client.get("/api/v1/health/services", params={"force": "true"} if force else {})
    assert response.status == 200
    return await response.json()


async def test_services_all_healthy_status_ok(api_client, aiohttp_server) -> None:
    engine = await StubEngine(values=dict(HEALTHY_EXPORTER)).start(aiohttp_server)
    client = await api_client(prometheus_url=engine.url)

    body = await _services(client)

    assert body["status"] == "ok"
    services = body["services"]
    assert set(services) == {"prometheus", "kubernetes", "electricity_maps", "opencost", "exporter"}
    assert {n: s["status"] for n, s in services.items()} == {
        "prometheus": "healthy", "kubernetes": "healthy", "exporter": "healthy",
        "electricity_maps": "unconfigured", "opencost": "unconfigured",
    }
    assert services["prometheus"]["url"] == engine.url + "/"
    assert services["prometheus"]["latency_ms"] >= 0
    assert services["exporter"]["message"] == "last successful cycle 12 s ago"
    assert services["opencost"]["latency_ms"] is None and services["opencost"]["url"] is None
    assert services["prometheus"]["checked_at"].endswith("Z")


async def test_services_real_prometheus_without_exporter_degraded(api_client, prometheus_factory) -> None:
    prom = prometheus_factory()
    client = await api_client(prometheus_url=prom.url)

    body = await _services(client)

    statuses = {name: one["status"] for name, one in body["services"].items()}
    assert body["status"] == "degraded"
    assert statuses["prometheus"] == "healthy"
    assert statuses["exporter"] == "unreachable"
    assert statuses["kubernetes"] == "degraded"
    assert "no exporter series" in body["services"]["exporter"]["message"]


async def test_services_prometheus_down_unreachable_and_others_unknown(api_client) -> None:
    client = await api_client()

    services = (await _services(client))["services"]

    assert services["prometheus"]["status"] == "unreachable"
    assert services["exporter"]["status"] == "degraded"
    assert services["exporter"]["message"] == "cannot tell: Prometheus is unreachable"
    assert services["kubernetes"]["status"] == "degraded"


@pytest.mark.parametrize(
    ("values", "status", "message"),
    [
        ({hq.exporter_up(JOB): 0}, "unreachable", "Prometheus cannot scrape the exporter (up is 0)"),
        ({hq.exporter_up(JOB): 1}, "degraded", "scraped, but no successful cycle reported yet"),
        ({hq.exporter_last_success_age(): 900}, "degraded", "last successful cycle 900 s ago"),
        ({hq.exporter_last_success_age(): 5}, "healthy", "last successful cycle 5 s ago"),
    ],
)
async def test_services_exporter_state_mapped(api_client, aiohttp_server, values, status, message) -> None:
    engine = await StubEngine(values=values).start(aiohttp_server)
    client = await api_client(prometheus_url=engine.url)

    body = await (await client.get("/api/v1/health/services/exporter")).json()

    assert (body["status"], body["message"]) == (status, message)


async def test_services_kubernetes_source_down_unreachable(api_client, aiohttp_server) -> None:
    engine = await StubEngine(values={hq.source_up(SOURCE_KUBERNETES): 0}).start(aiohttp_server)
    client = await api_client(prometheus_url=engine.url)

    body = await (await client.get("/api/v1/health/services/kubernetes")).json()

    assert body["status"] == "unreachable"


async def test_services_engine_error_prometheus_degraded(api_client, aiohttp_server) -> None:
    engine = await StubEngine(status=500).start(aiohttp_server)
    client = await api_client(prometheus_url=engine.url)

    body = await (await client.get("/api/v1/health/services/prometheus")).json()

    assert body["status"] == "degraded"
    assert "boom" not in body["message"]


async def test_services_cached_until_forced(api_client, aiohttp_server) -> None:
    engine = await StubEngine(values=dict(HEALTHY_EXPORTER)).start(aiohttp_server)
    client = await api_client(prometheus_url=engine.url)

    first = await _services(client)
    asked = len(engine.seen)
    second = await _services(client)
    cached_one = await (await client.get("/api/v1/health/services/prometheus")).json()
    assert len(engine.seen) == asked
    forced = await _services(client, force=True)

    assert second == first
    assert cached_one == first["services"]["prometheus"]
    assert len(engine.seen) == 2 * asked
    assert forced["status"] == "ok"


async def test_services_cache_zero_always_checks(api_client, aiohttp_server) -> None:
    engine = await StubEngine(values=dict(HEALTHY_EXPORTER)).start(aiohttp_server)
    client = await api_client(prometheus_url=engine.url, health_cache_seconds=0)

    await client.get("/api/v1/health/services/prometheus")
    await client.get("/api/v1/health/services/prometheus")

    assert engine.queries() == [hq.PROBE, hq.PROBE]


async def test_services_unknown_name_returns_404_json(api_client) -> None:
    client = await api_client()

    response = await client.get("/api/v1/health/services/mysql")

    assert response.status == 404
    body = await response.json()
    assert (body["error"]["status"], body["error"]["code"]) == (404, "not_found")
    assert "prometheus" in body["error"]["message"]


@pytest.mark.parametrize("query", ["force=maybe", "forced=true", "force=true&force=false"])
async def test_services_bad_query_returns_400(api_client, query: str) -> None:
    client = await api_client()

    response = await client.get(f"/api/v1/health/services?{query}")

    assert response.status == 400


@pytest.mark.parametrize(("status", "expected"), [(200, "healthy"), (401, "degraded"), (500, "degraded")])
async def test_services_electricity_maps_token_checked(api_client, aiohttp_server, status, expected) -> None:
    fake = await StubHttp(status=status).start(aiohttp_server, prefix="/v3")
    client = await api_client(electricity_maps_url=fake.url, electricity_maps_token="em-token")

    body = await (await client.get("/api/v1/health/services/electricity_maps")).json()

    assert body["status"] == expected
    assert fake.seen[0]["path"] == "/v3/zones"
    assert fake.seen[0]["headers"]["auth-token"] == "em-token"
    assert "em-token" not in str(body)
    if status == 401:
        assert body["message"] == "the token was rejected (HTTP 401)"


async def test_services_opencost_checked_on_healthz(api_client, aiohttp_server) -> None:
    fake = await StubHttp().start(aiohttp_server)
    client = await api_client(opencost_url=fake.url)

    body = await (await client.get("/api/v1/health/services/opencost")).json()

    assert body["status"] == "healthy"
    assert fake.seen[0]["path"] == "/healthz"
    assert body["url"] == fake.url + "/"


async def test_services_opencost_dead_port_unreachable(api_client) -> None:
    client = await api_client(opencost_url=f"http://127.0.0.1:{free_port()}")

    body = await (await client.get("/api/v1/health/services/opencost")).json()

    assert (body["status"], body["message"]) == ("unreachable", "connection failed")


async def test_services_slow_service_times_out_unreachable(api_client, aiohttp_server) -> None:
    fake = await StubHttp(delay=2).start(aiohttp_server)
    client = await api_client(opencost_url=fake.url, health_timeout_seconds=0.2)

    body = await (await client.get("/api/v1/health/services/opencost")).json()

    assert (body["status"], body["message"]) == ("unreachable", "no answer within 0.2 s")
    assert body["latency_ms"] < 1500
