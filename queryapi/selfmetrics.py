"""The query API's own metrics, served on /prometheus/metrics.

One prometheus_client registry per application (tests get a fresh one each): build info,
a request counter and a latency histogram. The route label is the route template
(`/api/v1/health/services/{service_name}`), or `unmatched` for a path no route knows, so the
number of series stays bounded whatever clients request.
"""

import asyncio
import time

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from exporter import catalogue as cat
from exporter.version import package_version

METRICS_PATH = "/prometheus/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UNMATCHED = "unmatched"
# Any other method (clients may send made-up ones) is counted as `other`: bounded label values.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds; long history queries against a remote engine can take tens of seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Status recorded when the client went away before the answer was complete (nginx's convention).
CLIENT_CLOSED = 499


class ApiMetrics:
    """The API's metric families in a registry of their own."""

    def __init__(self, currency: str):
        self.registry = CollectorRegistry(auto_describe=True)
        build = cat.BUILD_INFO
        Gauge(build.name, build.help, build.labels, registry=self.registry).labels(package_version(), currency).set(1)
        requests = cat.API_REQUESTS
        # prometheus_client appends `_total` to counters itself.
        self.requests = Counter(requests.name.removesuffix("_total"), requests.help, requests.labels,
                                registry=self.registry)
        duration = cat.API_REQUEST_DURATION
        self.duration = Histogram(duration.name, duration.help, duration.labels, buckets=LATENCY_BUCKETS,
                                  registry=self.registry)

    def observe(self, method: str, route: str, code: int, seconds: float) -> None:
        """Count one answered request and record how long it took (seconds)."""
        self.requests.labels(method, route, str(code)).inc()
        self.duration.labels(method, route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def route_of(request: web.Request) -> str:
    """The route template the request matched, or `unmatched`."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record method, route, status and duration of every request (outermost middleware)."""
    started = time.perf_counter()
    code = 500
    try:
        response = await handler(request)
        code = response.status
        return response
    except web.HTTPException as err:
        code = err.status
        raise
    except asyncio.CancelledError:
        code = CLIENT_CLOSED
        raise
    finally:
        method = request.method if request.method in KNOWN_METHODS else "other"
        request.app[API_METRICS].observe(method, route_of(request), code, time.perf_counter() - started)


API_METRICS = web.AppKey("api_metrics", ApiMetrics)


_HELP = {m.name: m.help for m in vars(cat).values() if isinstance(m, cat.MetricDef)}


def with_help(exposition: bytes) -> bytes:
    """Put the catalogue's HELP line before each `# TYPE` of a known family (/federate gives none)."""
    lines = []
    for line in exposition.decode().splitlines():
        if line.startswith("# TYPE "):
            name = line.split(" ", 3)[2]
            if name in _HELP:
                lines.append(f"# HELP {name} {_HELP[name]}")
        lines.append(line)
    return ("\n".join(lines) + "\n").encode() if lines else b""
