"""The application without an engine: health, version, and the JSON error shape."""

import platform
from importlib.metadata import PackageNotFoundError

import pytest
from aiohttp import web

from exporter import version as exporter_version
from queryapi.app import make_app
from queryapi.config import ApiSettings
from queryapi.registry import ENDPOINTS
from tests.fixtures.prometheus import free_port


def _assert_error(body: dict, status: int, code: str) -> dict:
    """Check the one error shape and return its inner object."""
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}
    assert (error["status"], error["code"]) == (status, code)
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in error["message"]
    return error


async def test_health_engine_unreachable_still_ok(api_client) -> None:
    client = await api_client()

    response = await client.get("/health")

    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_version_installed_reports_fields(api_client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exporter_version, "version", lambda name: {"greenkube": "1.2.3"}[name])
    client = await api_client(build="abc123")

    response = await client.get("/api/v1/version")

    assert response.status == 200
    assert await response.json() == {
        "version": "1.2.3", "api_version": "v1", "python": platform.python_version(), "build": "abc123",
    }


async def test_version_not_installed_reports_unknown(api_client, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> str:
        raise PackageNotFoundError(name)

    monkeypatch.setattr(exporter_version, "version", missing)
    client = await api_client()

    body = await (await client.get("/api/v1/version")).json()

    assert (body["version"], body["build"]) == ("0.0.0+unknown", "unknown")


async def test_unknown_path_returns_404_json(api_client) -> None:
    client = await api_client()

    response = await client.get("/api/v1/nope")

    assert response.status == 404
    assert response.content_type == "application/json"
    error = _assert_error(await response.json(), 404, "not_found")
    assert "/api/v1/nope" in error["message"]


async def test_post_on_get_route_returns_405_json(api_client) -> None:
    client = await api_client()

    response = await client.post("/api/v1/metrics")

    assert response.status == 405
    # OPTIONS: every route answers CORS preflight requests.
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    error = _assert_error(await response.json(), 405, "method_not_allowed")
    assert "POST" in error["message"]


async def test_metrics_bad_from_returns_400_naming_parameter(api_client) -> None:
    client = await api_client()

    response = await client.get("/api/v1/metrics", params={"from": "last tuesday"})

    assert response.status == 400
    error = _assert_error(await response.json(), 400, "invalid_parameter")
    assert error["details"][0]["parameter"] == "from"
    assert "'from'" in error["message"]


async def test_metrics_from_after_to_returns_400(api_client) -> None:
    client = await api_client()

    response = await client.get("/api/v1/metrics", params={"from": "2024-01-02", "to": "2024-01-01"})

    error = _assert_error(await response.json(), 400, "invalid_parameter")
    assert "must be before 'to'" in error["message"]


async def test_metrics_window_over_max_range_returns_400(api_client) -> None:
    client = await api_client(max_range_days=7)

    response = await client.get("/api/v1/metrics", params={"from": "2024-01-01", "to": "2024-01-09"})

    error = _assert_error(await response.json(), 400, "invalid_parameter")
    assert "the maximum is 7 days" in error["message"]


async def test_metrics_unknown_parameter_returns_400_naming_it(api_client) -> None:
    client = await api_client()

    response = await client.get("/api/v1/metrics", params={"namespace": "shop"})

    error = _assert_error(await response.json(), 400, "invalid_parameter")
    assert error["message"] == "unknown query parameter(s): namespace"


_WITHOUT_QUERY = sorted((e.method, e.path) for e in ENDPOINTS if e.query is None)


def test_registry_endpoints_without_query_model_exist() -> None:
    assert ("GET", "/health") in _WITHOUT_QUERY and ("POST", "/api/v1/config/services") in _WITHOUT_QUERY


@pytest.mark.parametrize(("method", "path"), _WITHOUT_QUERY)
async def test_endpoint_without_parameters_unknown_parameter_returns_400(api_client, method: str, path: str) -> None:
    client = await api_client()

    response = await client.request(method, path.replace("{service_name}", "prometheus"), params={"bogus": "1"})

    assert response.status == 400
    error = _assert_error(await response.json(), 400, "invalid_parameter")
    assert error["details"] == [{"parameter": "bogus", "message": "unknown parameter"}]


async def test_metrics_repeated_parameter_returns_400(api_client) -> None:
    client = await api_client()

    response = await client.get("/api/v1/metrics?from=2024-01-01&from=2024-01-02")

    error = _assert_error(await response.json(), 400, "invalid_parameter")
    assert error["details"] == [{"parameter": "from", "message": "given more than once"}]


async def test_metrics_engine_unreachable_returns_503(api_client) -> None:
    client = await api_client(prometheus_url=f"http://127.0.0.1:{free_port()}", prometheus_token="s3cret")

    response = await client.get("/api/v1/metrics")

    assert response.status == 503
    text = await response.text()
    _assert_error(await response.json(), 503, "engine_unavailable")
    assert "s3cret" not in text and "greenkube_" not in text and "127.0.0.1" not in text


async def test_unexpected_exception_returns_500_json_without_traceback(aiohttp_client) -> None:
    app = make_app(ApiSettings())

    async def broken(_: web.Request) -> web.Response:
        raise RuntimeError("secret internals")

    app.router.add_get("/broken", broken)
    client = await aiohttp_client(app)

    response = await client.get("/broken")

    assert response.status == 500
    text = await response.text()
    _assert_error(await response.json(), 500, "internal_error")
    assert "secret internals" not in text and "RuntimeError" not in text
