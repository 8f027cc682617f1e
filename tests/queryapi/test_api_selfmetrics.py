"""/prometheus/metrics: build info, request counter and latency histogram of the API itself."""

import subprocess

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
