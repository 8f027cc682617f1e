"""The data endpoints against a stub engine: error mapping, what they ask, streaming.

The stub is a real aiohttp server on loopback (tests/queryapi/stubs.py); the real Prometheus
tests are the *_prometheus.py modules.
"""


import aiohttp
import pytest
from aiohttp import web

from queryapi.hourly import HOURS_PER_QUERY
from queryapi.promql import DAYS_LABEL
from queryapi.report import BUCKETS_PER_BATCH, HOURLY_LOOKAHEAD, LOOKAHEAD
from tests.fixtures.prometheus import free_port
from tests.queryapi.stubs import StubEngine

DATA_PATHS = [
    "/api/v1/metrics/namespaces", "/api/v1/metrics/nodes", "/api/v1/metrics/pods",
    "/api/v1/timeseries?metric=energy", "/api/v1/timeseries/energy", "/api/v1/timeseries/carbon",
    "/api/v1/timeseries/cost", "/api/v1/recommendations", "/api/v1/recommendations/history",
    "/api/v1/recommendations/summary", "/api/v1/report/summary", "/api/v1/report/export",
]
ERROR_MESSAGES = {
    502: ("engine_error", "the metrics engine answered the query with an error"),
    503: ("engine_unavailable", "the metrics engine is unreachable"),
    504: ("engine_timeout", "the metrics engine did not answer in time"),
}


def _error(status: int) -> dict:
    code, message = ERROR_MESSAGES[status]
    return {"error": {"status": status, "code": code, "message": message, "details": []}}


@pytest.mark.parametrize("path", DATA_PATHS)
async def test_data_endpoint_engine_error_returns_502(aiohttp_server, api_client, path: str) -> None:
    engine = await StubEngine(status=500).start(aiohttp_server)
    client = await api_client(prometheus_url=engine.url)

    response = await client.get(path)

    assert response.status == 502
    assert await response.json() == _error(502)


@pytest.mark.parametrize("path", DATA_PATHS)
async def test_data_endpoint_engine_down_returns_503(api_client, path: str) -> None:
    client = await api_client(prometheus_url=f"http://127.0.0.1:{free_port()}")

    response = await client.get(path)

    assert response.status == 503
    assert await response.json() == _error(503)


@pytest.mark.parametrize("path", ["/api/v1/metrics/pods", "/api/v1/timeseries/cost", "/api/v1/report/export"])
async def test_data_endpoint_engine_slow_returns_504(aiohttp_server, api_client, path: str) -> None:
    engine = await StubEngine(delay=2).start(aiohttp_server)
    client = await api_client(prometheus_url=engine.url, prometheus_timeout_seconds=0.2)

    response = await client.get(path)

    assert response.status == 504
    assert await response.json() == _error(504)


async def test_timeseries_year_namespace_reads_recorded_series_only(aiohttp_server, api_client) -> None:
    engine = await StubEngine().start(aiohttp_server)
    client = await api_client(prometheus_url=engine.url)

    response = await client.get("/api/v1/timeseries/carbon", params={
        "from": "2023-01-01", "to": "2024-01-01", "group_by": "monthly", "aggregate": "namespace"})

    assert response.status == 200
    queries = engine.queries()
    # The phase lookup (at the end, then, as the stub has no sample, at whole hours through the
    # year: 64, every 137 hours), one reading of the daily sums per month, and, as the stub has
    # no day, one hourly reading per month.
    assert len(queries) == 1 + 64 + 12 + 12
    assert sum("namespace:greenkube_pod_co2e_grams:sum_increase1h_sum1d_before[" in query for query in queries) == 12
    assert all("namespace:greenkube_pod_co2e_grams:sum_increase1h" in query for query in queries)
    assert not any("_total" in query for query in queries)  # raw counters end in _total


async def test_timeseries_cluster_reads_evaluations_around_each_hour(aiohttp_server, api_client) -> None:
    # The rule group evaluates at 22 s past each minute: around 2024-01-02 00:00 it ran at
    # 23:59:22 and 00:00:22, so the later reading weighs 38/60.
    phase = "max(timestamp(cluster:greenkube_pod_energy_joules:sum_increase1h))"
    engine = await StubEngine(values={phase: 1704153622.0}).start(aiohttp_server)
    client = await api_client(prometheus_url=engine.url)

    # 23 hours, read from the hourly increases (a whole day would read the daily sums).
    await client.get("/api/v1/timeseries/energy", params={"from": "2024-01-01T01:00:00Z", "to": "2024-01-02",
                                                          "group_by": "daily"})

    names = ('{__name__=~"cluster:greenkube_pod_energy_joules:sum_increase1h'
             '|cluster:greenkube_node_unallocated_energy_joules:sum_increase1h"}')
    assert [seen["query"] for seen in engine.seen] == [
        phase,
        f"sum_over_time((\n  sum({names})\n)[82799s:1h])",
        f"sum_over_time((\n  sum({names} offset 3540s)\n)[82799s:1h])",
    ]


class ManyRows:
    """An engine answering every query with `series` namespaces worth 1.0; it can fail after
    `fail_after` queries, and counts them."""

    def __init__(self, series: int, fail_after: int | None = None):
        self.series, self.fail_after, self.count, self.range_count, self.total = series, fail_after, 0, 0, 0

    def _failing(self) -> bool:
        self.total += 1
        return self.fail_after is not None and self.total > self.fail_after

    async def answer(self, request: web.Request) -> web.Response:
        await request.post()
        self.count += 1
        if self._failing():
            return web.json_response({"status": "error", "error": "boom"}, status=500)
        result = [{"metric": {"namespace": f"ns-{i:04d}"}, "value": [0, "1"]} for i in range(self.series)]
        return web.json_response({"status": "success", "data": {"resultType": "vector", "result": result}})


    async def answer_range(self, request: web.Request) -> web.Response:
        """`series` namespaces, 1.0 at every step, and, to a query that counts the steps found
        (a read of the sparse copies), that every step was found (hourly report batches)."""
        form = await request.post()
        self.range_count += 1
        if self._failing():
            return web.json_response({"status": "error", "error": "boom"}, status=500)
        start, end, step = int(float(form["start"])), int(float(form["end"])), int(form["step"])
        values = [[t, "1"] for t in range(start, end + 1, step)]
        result = [{"metric": {"namespace": f"ns-{i:04d}"}, "values": values} for i in range(self.series)]
        if DAYS_LABEL in str(form["query"]):
            result.append({"metric": {DAYS_LABEL: "present"}, "values": values})
        return web.json_response({"status": "success", "data": {"resultType": "matrix", "result": result}})


async def _many_rows_engine(aiohttp_server, engine: ManyRows) -> str:
    app = web.Application()
    app.router.add_post("/api/v1/query", engine.answer)
    app.router.add_post("/api/v1/query_range", engine.answer_range)
    server = await aiohttp_server(app)
    return str(server.make_url("/")).rstrip("/")


async def test_report_export_streams_before_reading_every_bucket(aiohttp_server, api_client) -> None:
    engine = ManyRows(series=300)
    client = await api_client(prometheus_url=await _many_rows_engine(aiohttp_server, engine))

    response = await client.get("/api/v1/report/export", params={"from": "2024-01-01", "to": "2024-03-01"})
    first = await response.content.readany()
    asked_at_first_bytes = engine.count, engine.range_count
    rest = await response.read()

    assert response.headers["Transfer-Encoding"] == "chunked"
    assert first.startswith(b"period_start,")
    # 4 phase lookups, then per batch of BUCKETS_PER_BATCH daily buckets 8 range queries of
    # their days (4 counters, 2 evaluations each; this engine has every day): when the first
    # bytes arrive at most LOOKAHEAD + 1 batches of the 60 buckets have been asked for.
    batches = LOOKAHEAD + 1
    assert asked_at_first_bytes[0] == 4
    assert asked_at_first_bytes[1] <= 8 * batches < engine.range_count == 8 * -(-60 // BUCKETS_PER_BATCH)
    assert (first + rest).count(b"\r\n") == 1 + 60 * 300


async def test_report_export_hourly_streams_before_reading_every_batch(aiohttp_server, api_client) -> None:
    engine = ManyRows(series=300)
    client = await api_client(prometheus_url=await _many_rows_engine(aiohttp_server, engine))

    response = await client.get("/api/v1/report/export", params={
        "from": "2024-01-01", "to": "2024-01-11", "group_by": "hourly"})
    first = await response.content.readany()
    asked_at_first_bytes = engine.range_count
    rest = await response.read()

    assert first.startswith(b"period_start,")
    # 240 hourly buckets in batches of HOURS_PER_QUERY, eight range queries a batch (four
    # counters, both evaluations around each hour, every hour's sparse copy found): at most
    # HOURLY_LOOKAHEAD + 1 of the 5 batches asked for.
    assert 240 // HOURS_PER_QUERY == 5
    assert asked_at_first_bytes <= 8 * (HOURLY_LOOKAHEAD + 1) < engine.range_count == 8 * 5
    assert (first + rest).count(b"\r\n") == 1 + 240 * 300


async def test_report_export_engine_failing_midway_cuts_transfer(aiohttp_server, api_client) -> None:
    # 4 phase lookups, then 8 range queries per batch of 7 daily buckets: the first 5 batches
    # (more than are ever in flight at once) are answered, the 6th of 9 is not.
    engine = ManyRows(series=300, fail_after=4 + 8 * 5)
    client = await api_client(prometheus_url=await _many_rows_engine(aiohttp_server, engine))

    response = await client.get("/api/v1/report/export", params={"from": "2024-01-01", "to": "2024-03-01"})

    assert response.status == 200
    with pytest.raises(aiohttp.ClientPayloadError):
        await response.read()


async def test_report_export_engine_failing_first_bucket_returns_502(aiohttp_server, api_client) -> None:
    engine = ManyRows(series=3, fail_after=4)
    client = await api_client(prometheus_url=await _many_rows_engine(aiohttp_server, engine))

    response = await client.get("/api/v1/report/export", params={"from": "2024-01-01", "to": "2024-01-03"})

    assert response.status == 502
    assert await response.json() == _error(502)
