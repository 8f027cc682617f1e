"""prometheus_timeout_seconds bounds Prometheus answering, not a gated body's wait for its turn."""

import asyncio
import http.server
import json
import threading
import time

import pytest
from aiohttp import web

from exporter.config import PrometheusAccess
from exporter.sources.prometheus import PrometheusClient, SourceError
from exporter.sources.usage import PodLabels

TIMEOUT = 0.3  # seconds; every wait below is a multiple of it


def _body(samples: int) -> bytes:
    result = [{"metric": {"namespace": "shop", "pod": f"web-{i}", "uid": f"u{i}"}, "value": [1.0, "0.5"]}
              for i in range(samples)]
    return json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}}).encode()


async def _engine(aiohttp_server, before_headers: float = 0.0, before_body: float = 0.0, samples: int = 20_000):
    """A fake engine: waits `before_headers`, sends the headers, waits `before_body`, sends the body."""
    body = _body(samples)

    async def query(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(before_headers)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = len(body)
        await response.prepare(request)
        await asyncio.sleep(before_body)
        await response.write(body)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/api/v1/query", query)
    server = await aiohttp_server(app)
    return PrometheusClient(PrometheusAccess(prometheus_url=f"http://127.0.0.1:{server.port}",
                                             prometheus_timeout_seconds=TIMEOUT))


async def _hold(gate: asyncio.Semaphore, seconds: float) -> None:
    async with gate:
        await asyncio.sleep(seconds)


async def test_gated_query_answered_in_time_waits_out_a_longer_gate(aiohttp_server):
    async with await _engine(aiohttp_server) as client:
        gate = asyncio.Semaphore(1)
        holder = asyncio.create_task(_hold(gate, 4 * TIMEOUT))
        await asyncio.sleep(0)  # the holder is in the gate first
        count = await client.query_each("up", len, PodLabels, gate=gate)
        await holder
    assert count == 20_000


@pytest.fixture
def thread_engine():
    """A fake engine in its own thread, so it answers while the test's loop is blocked."""
    body = _body(20_000)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            form = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(0.6 * TIMEOUT if b"late" in form else 0.0)  # "late": comes during the block
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_gated_query_answered_while_the_loop_is_busy_is_not_late(thread_engine):
    # The gate's holder consumes its body synchronously (as the CPU answer's join does) for
    # longer than the timeout; the answer that comes in meanwhile was in time all the same.
    access = PrometheusAccess(prometheus_url=thread_engine, prometheus_timeout_seconds=TIMEOUT)
    async with PrometheusClient(access) as client:
        gate = asyncio.Semaphore(1)

        def consume_busily(samples) -> int:
            time.sleep(3 * TIMEOUT)
            return len(samples)

        first = asyncio.create_task(client.query_each("up", consume_busily, PodLabels, gate=gate))
        counts = await asyncio.gather(first, client.query_each("late", len, PodLabels, gate=gate))
    assert counts == [20_000, 20_000]


@pytest.mark.parametrize("phase", ["before_headers", "before_body"])
async def test_gated_query_slower_than_timeout_times_out(aiohttp_server, phase):
    async with await _engine(aiohttp_server, **{phase: 3 * TIMEOUT}, samples=10) as client:
        with pytest.raises(SourceError, match="did not answer in time") as raised:
            await client.query_each("up", len, PodLabels, gate=asyncio.Semaphore(1))
    assert raised.value.reason == "prometheus_timeout"


async def test_gated_body_read_after_the_gate_is_timed(aiohttp_server):
    # Headers in time, then the body stalls: the stall is timed once the body's turn comes.
    async with await _engine(aiohttp_server, before_body=6 * TIMEOUT, samples=10) as client:
        gate = asyncio.Semaphore(1)
        holder = asyncio.create_task(_hold(gate, 2 * TIMEOUT))
        await asyncio.sleep(0)
        started = time.monotonic()
        with pytest.raises(SourceError) as raised:
            await client.query_each("up", len, PodLabels, gate=gate)
        await holder
    assert raised.value.reason == "prometheus_timeout"
    assert time.monotonic() - started < 5 * TIMEOUT


async def test_query_whole_exchange_still_bounded_by_timeout(aiohttp_server):
    # Each phase alone is within the timeout, both together are not: `query` (the query API's
    # path) still times the whole query.
    async with await _engine(aiohttp_server, before_headers=0.6 * TIMEOUT, before_body=0.6 * TIMEOUT,
                             samples=10) as client:
        with pytest.raises(SourceError) as raised:
            await client.query("up")
    assert raised.value.reason == "prometheus_timeout"
