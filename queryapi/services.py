"""Health of the services GreenKube depends on, checked on demand and cached.

    prometheus        a trivial query through the engine client (same URL, auth and headers)
    exporter          via Prometheus: `up` of the exporter's job, age of its last successful cycle
    kubernetes        via Prometheus: the exporter's greenkube_source_up{source="kubernetes"}
    electricity_maps  GET <electricity_maps_url>/zones with the token; unconfigured without a token
    opencost          GET <opencost_url>/healthz; unconfigured without a URL

A result is reused for `health_cache_seconds` (30 s); `force` checks again. Concurrent requests
for the same service share one check. Messages say what was found, never a credential, the
engine's error text or PromQL.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import aiohttp
from aiohttp import web

from exporter.catalogue import SOURCE_KUBERNETES
from queryapi import health_queries
from queryapi.engine import QueryEngine
from queryapi.errors import ApiError, EngineError, EngineTimeout
from queryapi.runtime_config import RuntimeConfig
from queryapi.service_models import SERVICE_NAMES, ServiceHealth, ServicesHealth, ServiceStatus, redact_url

Outcome = tuple[ServiceStatus, str]


class ServiceChecker:
    """Checks each service with the effective configuration; caches results per service."""

    def __init__(self, runtime: RuntimeConfig, engine: Callable[[], QueryEngine]):
        self._runtime = runtime
        self._engine = engine
        self._cache: dict[str, tuple[float, ServiceHealth]] = {}
        self._locks = {name: asyncio.Lock() for name in SERVICE_NAMES}
        self._session: aiohttp.ClientSession | None = None
        runtime.on_change(self.invalidate)

    def invalidate(self) -> None:
        """Forget every cached result (the configuration changed)."""
        self._cache.clear()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def check_all(self, force: bool = False) -> ServicesHealth:
        """Every service, checked concurrently; `ok` when no configured service is unhealthy."""
        results = await asyncio.gather(*(self.check(name, force) for name in SERVICE_NAMES))
        services = dict(zip(SERVICE_NAMES, results, strict=True))
        ok = all(one.status in ("healthy", "unconfigured") for one in services.values())
        return ServicesHealth(status="ok" if ok else "degraded", services=services)

    async def check(self, name: str, force: bool = False) -> ServiceHealth:
        """One service by name (one of SERVICE_NAMES), from the cache unless stale or forced."""
        async with self._locks[name]:
            cached = self._cache.get(name)
            max_age = self._runtime.settings.health_cache_seconds
            if cached is not None and not force and time.monotonic() - cached[0] < max_age:
                return cached[1]
            result = await self._run(name)
            self._cache[name] = (time.monotonic(), result)
            return result

    async def _run(self, name: str) -> ServiceHealth:
        settings = self._runtime.settings
        check, url = self._plan(name)
        checked_at = datetime.now(UTC).replace(microsecond=0)
        if check is None:
            return ServiceHealth(status="unconfigured", url=None, latency_ms=None,
                                 message=_UNCONFIGURED[name], checked_at=checked_at)
        started = time.perf_counter()
        try:
            status, message = await asyncio.wait_for(check(), settings.health_timeout_seconds)
        except TimeoutError:
            status, message = "unreachable", f"no answer within {settings.health_timeout_seconds:g} s"
        latency = round((time.perf_counter() - started) * 1000, 1)
        return ServiceHealth(status=status, url=url, latency_ms=latency, message=message, checked_at=checked_at)

    def _plan(self, name: str) -> tuple[Callable[[], Awaitable[Outcome]] | None, str | None]:
        """The check to run for `name` and the URL to show (None: not configured / via Prometheus)."""
        settings = self._runtime.settings
        if name == "prometheus":
            return self._check_prometheus, redact_url(str(settings.prometheus_url))
        if name == "exporter":
            return self._check_exporter, None
        if name == "kubernetes":
            return self._check_kubernetes, None
        if name == "electricity_maps":
            if settings.electricity_maps_token is None:
                return None, None
            return self._check_electricity_maps, redact_url(str(settings.electricity_maps_url))
        if settings.opencost_url is None:
            return None, None
        return self._check_opencost, redact_url(str(settings.opencost_url))

    async def _query(self, promql: str) -> list[float]:
        samples = await self._engine().query(promql, datetime.now(UTC))
        return [value for _, value in samples]

    async def _check_prometheus(self) -> Outcome:
        try:
            await self._query(health_queries.PROBE)
        except ApiError as err:
            return _engine_outcome(err, "")
        return "healthy", "answered a query"

    async def _check_exporter(self) -> Outcome:
        settings = self._runtime.settings
        try:
            up = await self._query(health_queries.exporter_up(settings.exporter_job))
            age = await self._query(health_queries.exporter_last_success_age())
        except ApiError as err:
            return _engine_outcome(err, "cannot tell: ")
        if up and up[0] < 1:
            return "unreachable", "Prometheus cannot scrape the exporter (up is 0)"
        if not age:
            if up:
                return "degraded", "scraped, but no successful cycle reported yet"
            return "unreachable", f"no exporter series in Prometheus (job selector {settings.exporter_job!r})"
        if age[0] > settings.exporter_stale_seconds:
            return "degraded", f"last successful cycle {age[0]:.0f} s ago"
        return "healthy", f"last successful cycle {max(age[0], 0):.0f} s ago"

    async def _check_kubernetes(self) -> Outcome:
        try:
            up = await self._query(health_queries.source_up(SOURCE_KUBERNETES))
        except ApiError as err:
            return _engine_outcome(err, "cannot tell: ")
        if not up:
            return "degraded", "unknown: the exporter publishes no Kubernetes status (is it scraped?)"
        if up[0] < 1:
            return "unreachable", "the exporter could not read the Kubernetes API in its last cycle"
        return "healthy", "the exporter read the Kubernetes API in its last cycle"

    async def _check_electricity_maps(self) -> Outcome:
        settings = self._runtime.settings
        token = settings.electricity_maps_token.get_secret_value()
        url = str(settings.electricity_maps_url).rstrip("/") + "/zones"
        return await self._http_check(url, {"auth-token": token}, "the token was rejected")

    async def _check_opencost(self) -> Outcome:
        url = str(self._runtime.settings.opencost_url).rstrip("/") + "/healthz"
        return await self._http_check(url, {}, "access was refused")

    async def _http_check(self, url: str, headers: dict[str, str], refused: str) -> Outcome:
        """GET `url`: 2xx healthy, 401/403 `refused`, other answers degraded, no answer unreachable."""
        try:
            async with self._open().get(url, headers=headers, allow_redirects=False) as response:
                status = response.status
        except aiohttp.ClientConnectionError:
            return "unreachable", "connection failed"
        except aiohttp.ClientError:
            return "unreachable", "no valid HTTP answer"
        if 200 <= status < 300:
            return "healthy", f"answered HTTP {status}"
        if status in (401, 403):
            return "degraded", f"{refused} (HTTP {status})"
        return "degraded", f"answered HTTP {status}"

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session


def _engine_outcome(err: ApiError, prefix: str) -> Outcome:
    """Map an engine failure; checks through Prometheus cannot tell when Prometheus fails."""
    if isinstance(err, EngineError):
        return "degraded", prefix + "Prometheus answered with an error"
    status: ServiceStatus = "degraded" if prefix else "unreachable"
    if isinstance(err, EngineTimeout):
        return status, prefix + "Prometheus did not answer in time"
    return status, prefix + "Prometheus is unreachable"


_UNCONFIGURED = {
    "electricity_maps": "no token set (GREENKUBE_ELECTRICITY_MAPS_TOKEN): the exporter uses its intensity table",
    "opencost": "no URL set (GREENKUBE_OPENCOST_URL): prices come from OpenCost series or the price table",
}

SERVICES = web.AppKey("service_checker", ServiceChecker)
