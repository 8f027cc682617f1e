"""Engine client against a stub engine: what it sends, and how each failure maps to an API error.

The stub is a small aiohttp server on loopback; the real Prometheus tests are in
test_queryapi_metrics_prometheus.py (instant queries) and test_history_prometheus.py (range
queries, hourly buckets).
"""

import asyncio
import base64
import math
from datetime import UTC, datetime

import pytest
from aiohttp import web

from queryapi.config import ApiSettings
from queryapi.engine import QueryEngine
from queryapi.errors import EngineError, EngineTimeout

AT = datetime(2024, 3, 1, 1, 30, tzinfo=UTC)
VECTOR_ONE = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, "42.5"]}]}}


@pytest.fixture
def stub_engine(aiohttp_server):
    """`await stub_engine(handler)`: an engine at the returned URL; requests land in `seen`."""
    seen: list[dict] = []

    async def start(answer) -> str:
        async def handle(request: web.Request) -> web.StreamResponse:
            seen.append({"method": request.method, "path": request.path, "headers": dict(request.headers),
                         "form": dict(await request.post())})
            return await answer(request)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        server = await aiohttp_server(app)
        return str(server.make_url("/")).rstrip("/")

    start.seen = seen
    return start


def _json(body: object, status: int = 200):
    async def answer(_: web.Request) -> web.Response:
        return web.json_response(body, status=status)

    return answer


async def test_engine_query_posts_form_with_bearer_and_headers(stub_engine) -> None:
    url = await stub_engine(_json(VECTOR_ONE))
    engine = QueryEngine(ApiSettings(prometheus_url=url + "/prom", prometheus_token="tok",
                                     prometheus_headers={"X-Scope-OrgID": "tenant-1"}))

    value = await engine.query_value("vector(42.5)", AT)
    await engine.close()

    assert value == 42.5
    request = stub_engine.seen[0]
    assert (request["method"], request["path"]) == ("POST", "/prom/api/v1/query")
    assert request["form"] == {"query": "vector(42.5)", "time": f"{AT.timestamp():.3f}"}
    assert request["headers"]["Authorization"] == "Bearer tok"
    assert request["headers"]["X-Scope-OrgID"] == "tenant-1"


async def test_engine_basic_auth_sent(stub_engine) -> None:
    url = await stub_engine(_json(VECTOR_ONE))
    engine = QueryEngine(ApiSettings(prometheus_url=url, prometheus_username="ann", prometheus_password="pw"))

    await engine.query_value("vector(1)", AT)
    await engine.close()

    expected = "Basic " + base64.b64encode(b"ann:pw").decode()
    assert stub_engine.seen[0]["headers"]["Authorization"] == expected


async def test_engine_empty_vector_value_zero(stub_engine) -> None:
    url = await stub_engine(_json({"status": "success", "data": {"resultType": "vector", "result": []}}))
    engine = QueryEngine(ApiSettings(prometheus_url=url))

    assert await engine.query_value("absent_metric", AT) == 0.0
    await engine.close()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"status": "error", "errorType": "bad_data", "error": "parse error in greenkube_pod_x"}, 400),
        ({"status": "error", "errorType": "execution", "error": "too many samples"}, 422),
        ("<html>bad gateway</html>", 502),
        ({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"a": "1"}, "value": [0, "1"]}, {"metric": {"a": "2"}, "value": [0, "2"]}]}}, 200),
        ({"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, "NaN"]}]}},
         200),
    ],
)
async def test_engine_error_answer_raises_engine_error(stub_engine, body: object, status: int) -> None:
    url = await stub_engine(_json(body, status))
    engine = QueryEngine(ApiSettings(prometheus_url=url))

    with pytest.raises(EngineError) as caught:
        await engine.query_value("vector(1)", AT)
    await engine.close()

    assert caught.value.status == 502
    assert "greenkube_" not in caught.value.message


async def test_engine_slow_answer_raises_timeout(stub_engine) -> None:
    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response(VECTOR_ONE)

    url = await stub_engine(slow)
    engine = QueryEngine(ApiSettings(prometheus_url=url, prometheus_timeout_seconds=0.2))

    with pytest.raises(EngineTimeout):
        await engine.query_value("vector(1)", AT)
    await engine.close()


async def test_metrics_engine_error_returns_502_without_internals(stub_engine, api_client, caplog) -> None:
    answer = {"status": "error", "errorType": "bad_data", "error": "parse error near greenkube_pod_x"}
    url = await stub_engine(_json(answer, 400))
    client = await api_client(prometheus_url=url, prometheus_token="s3cret")

    response = await client.get("/api/v1/metrics")

    assert response.status == 502
    body = await response.json()
    assert body["error"]["code"] == "engine_error"
    text = await response.text()
    assert "s3cret" not in text and "greenkube_" not in text and "bad_data" not in text
    # The engine's own text reaches the operator's log, once per request.
    logged = [r for r in caplog.records if r.name == "greenkube.queryapi" and "greenkube_pod_x" in r.getMessage()]
    assert len(logged) == 1 and logged[0].levelname == "WARNING"


async def test_metrics_engine_timeout_returns_504(stub_engine, api_client) -> None:
    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response(VECTOR_ONE)

    url = await stub_engine(slow)
    client = await api_client(prometheus_url=url, prometheus_timeout_seconds=0.2)

    response = await client.get("/api/v1/metrics")

    assert response.status == 504
    assert (await response.json())["error"]["code"] == "engine_timeout"


END = datetime(2024, 3, 1, 3, 30, tzinfo=UTC)


def _matrix(*values: str, times: tuple[object, ...] = (1709256600, 1709260200, 1709263800)) -> dict:
    return {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"__name__": "namespace:x:sum_increase1h", "namespace": "shop"},
         "values": [[t, v] for t, v in zip(times, values, strict=True)]}]}}


async def test_engine_query_range_posts_form_uncompressed_and_reads_points(stub_engine) -> None:
    url = await stub_engine(_json(_matrix("0.5", "-1e-05", "NaN")))
    engine = QueryEngine(ApiSettings(prometheus_url=url + "/prom", prometheus_token="tok"))

    [(labels, points)] = await engine.query_range("namespace:x:sum_increase1h", AT, END, 3600)
    await engine.close()

    assert labels == {"__name__": "namespace:x:sum_increase1h", "namespace": "shop"}
    assert [point.time for point in points] == [1709256600, 1709260200, 1709263800]
    assert [point.value for point in points][:2] == [0.5, -1e-05]
    assert math.isnan(points[2].value)
    request = stub_engine.seen[0]
    assert (request["method"], request["path"]) == ("POST", "/prom/api/v1/query_range")
    assert request["form"] == {"query": "namespace:x:sum_increase1h", "start": f"{AT.timestamp():.3f}",
                               "end": f"{END.timestamp():.3f}", "step": "3600"}
    assert request["headers"]["Authorization"] == "Bearer tok"
    assert request["headers"]["Accept-Encoding"] == "identity"


@pytest.mark.parametrize(
    ("answer", "values", "times"),
    [
        # msgspec reads neither "+Inf" nor a fractional time: the json reader takes over.
        (_matrix("+Inf", "-Inf", "2"), [math.inf, -math.inf, 2.0], [1709256600, 1709260200, 1709263800]),
        (_matrix("1", "2", "3", times=(1709256600.5, 1709260200, 1709263800)), [1.0, 2.0, 3.0],
         [1709256600, 1709260200, 1709263800]),
    ],
)
async def test_engine_query_range_values_msgspec_cannot_read_slow_path(stub_engine, answer, values, times) -> None:
    url = await stub_engine(_json(answer))
    engine = QueryEngine(ApiSettings(prometheus_url=url))

    [(_, points)] = await engine.query_range("namespace:x:sum_increase1h", AT, END, 3600)
    await engine.close()

    assert [point.value for point in points] == values
    assert [point.time for point in points] == times


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"status": "error", "errorType": "bad_data", "error": "parse error in greenkube_pod_x"}, 400),
        ({"status": "error", "errorType": "execution", "error": "exceeded maximum resolution"}, 422),
        ("<html>bad gateway</html>", 502),
    ],
)
async def test_engine_query_range_error_answer_raises_engine_error(stub_engine, body: object, status: int) -> None:
    url = await stub_engine(_json(body, status))
    engine = QueryEngine(ApiSettings(prometheus_url=url))

    with pytest.raises(EngineError) as caught:
        await engine.query_range("vector(1)", AT, END, 3600)
    await engine.close()

    assert caught.value.status == 502
    assert "greenkube_" not in caught.value.message


async def test_engine_query_range_engine_timeout_raises_timeout(stub_engine) -> None:
    url = await stub_engine(_json({"status": "error", "errorType": "timeout", "error": "query timed out"}, 503))
    engine = QueryEngine(ApiSettings(prometheus_url=url))

    with pytest.raises(EngineTimeout):
        await engine.query_range("vector(1)", AT, END, 3600)
    await engine.close()
