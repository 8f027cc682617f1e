"""/prometheus/metrics: build info, request counter and latency histogram of the API itself."""

import asyncio
import subprocess

from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from exporter import catalogue as cat
from exporter.version import package_version
from tests.fixtures.tools import require_tool


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_selfmetrics_requests_counted_by_route_and_code(api_client) -> None:
    client = await api_client(currency="EUR")
    await client.get("/api/v1/version")
    await client.get("/api/v1/version")
    await client.get("/api/v1/health/services/nope")
    await client.get("/no/such/path")

    response = await client.get("/prometheus/metrics")

    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = _samples(await response.text())
    requests = cat.API_REQUESTS.name
    assert samples[(requests, (("code", "200"), ("method", "GET"), ("route", "/api/v1/version")))] == 2
    route = "/api/v1/health/services/{service_name}"
    assert samples[(requests, (("code", "404"), ("method", "GET"), ("route", route)))] == 1
    assert samples[(requests, (("code", "404"), ("method", "GET"), ("route", "unmatched")))] == 1
    count = cat.API_REQUEST_DURATION.name + "_count"
    assert samples[(count, (("method", "GET"), ("route", "/api/v1/version")))] == 2
    build = (cat.BUILD_INFO.name, (("currency", "EUR"), ("version", package_version())))
    assert samples[build] == 1


async def test_selfmetrics_made_up_method_counted_as_other(api_client) -> None:
    client = await api_client()
    await client.request("PROPFIND", "/api/v1/version")

    samples = _samples(await (await client.get("/prometheus/metrics")).text())

    assert samples[(cat.API_REQUESTS.name, (("code", "405"), ("method", "other"), ("route", "unmatched")))] == 1


async def test_selfmetrics_fresh_app_fresh_counts(api_client) -> None:
    first = await api_client()
    await first.get("/api/v1/version")
    second = await api_client()

    samples = _samples(await (await second.get("/prometheus/metrics")).text())

    assert not [key for key in samples if key[0] == cat.API_REQUESTS.name and ("route", "/api/v1/version") in key[1]]


async def test_selfmetrics_exposition_passes_promtool(api_client, tmp_path) -> None:
    promtool = require_tool("promtool")
    client = await api_client()
    await client.get("/api/v1/version")
    text = await (await client.get("/prometheus/metrics")).text()

    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True,
                            timeout=60, check=False)

    assert result.returncode == 0, result.stdout + result.stderr


async def test_selfmetrics_federates_exporter_families(prometheus_factory, api_client, aiohttp_server) -> None:
    """The exporter's families come from the engine's /federate, then the API's own; one valid body."""
    exposition = (
        "# TYPE greenkube_pod_energy_joules_total counter\n"
        'greenkube_pod_energy_joules_total{namespace="shop",pod="web-1",node="n1"} 1234.5\n'
        "# TYPE greenkube_build_info gauge\n"
        'greenkube_build_info{version="0.1.0",currency="EUR"} 1\n'
    )

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(text=exposition, content_type="text/plain")

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    target = await aiohttp_server(app)
    prom = prometheus_factory(
        scrape_configs=[{"job_name": "greenkube", "honor_labels": True, "scrape_interval": "1s",
                         "static_configs": [{"targets": [f"127.0.0.1:{target.port}"]}]}])
    client = await api_client(prometheus_url=prom.url, currency="EUR")
    for _ in range(60):  # until the first scrape is in
        if prom.query("greenkube_pod_energy_joules_total"):
            break
        await asyncio.sleep(0.25)

    text = await (await client.get("/prometheus/metrics")).text()

    samples = _samples(text)
    energy = (cat.POD_ENERGY.name, (("instance", f"127.0.0.1:{target.port}"), ("job", "greenkube"),
                                    ("namespace", "shop"), ("node", "n1"), ("pod", "web-1")))
    assert samples[energy] == 1234.5
    assert text.count(f"# TYPE {cat.BUILD_INFO.name} ") == 1  # the API's own, not the exporter's too
    checked = subprocess.run([require_tool("promtool"), "check", "metrics"], input=text.encode(),
                             capture_output=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()
