"""The exporter process: a cycle loop and the /metrics endpoint (aiohttp)."""

import asyncio
import logging
import time
from collections.abc import Iterator

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, disable_created_metrics, generate_latest

from exporter import catalogue as cat
from exporter.budgets import AlertConfigCollector
from exporter.coefficients import grid_zone_of
from exporter.config import ExporterSettings
from exporter.cycle import CycleInputs, Estimator
from exporter.sources.intensity import IntensitySource
from exporter.sources.kubernetes import KubernetesSource, NodeFacts
from exporter.sources.prometheus import PrometheusClient, SourceError
from exporter.sources.usage import read_usage
from exporter.version import package_version

log = logging.getLogger("greenkube.exporter")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _unsuffixed(metric: cat.MetricDef) -> str:
    """prometheus_client adds `_total` to counters itself."""
    return metric.name.removesuffix("_total") if metric.kind == "counter" else metric.name


class SelfMetrics:
    """The exporter's own metrics, in a registry of their own (fresh per exporter)."""

    def __init__(self, currency: str):
        # No `greenkube_errors_created` series: in text format 0.0.4 it is a stray untyped
        # series beside the counter, which nothing reads. The switch is process-wide in
        # prometheus_client (the exporter runs in a process of its own).
        disable_created_metrics()
        self.registry = CollectorRegistry(auto_describe=True)

        def make(metric: cat.MetricDef, kind: type) -> Gauge | Counter:
            return kind(_unsuffixed(metric), metric.help, metric.labels, registry=self.registry)

        make(cat.BUILD_INFO, Gauge).labels(package_version(), currency).set(1)
        self.cycle_duration = make(cat.CYCLE_DURATION, Gauge)
        self.last_success = make(cat.LAST_SUCCESS, Gauge)
        self.source_up = make(cat.SOURCE_UP, Gauge)
        self.errors = make(cat.ERRORS, Counter)
        self.pods = make(cat.PODS_TRACKED, Gauge)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class Exporter:
    """Joins the sources to the estimator; one `run_cycle` per interval."""

    def __init__(self, settings: ExporterSettings):
        self.settings = settings
        self.prometheus = PrometheusClient(settings)
        self.kubernetes = KubernetesSource(settings.kubeconfig)
        self.intensity = IntensitySource(
            settings.electricity_maps_url, settings.electricity_maps_token,
            settings.electricity_maps_refresh_seconds, settings.default_intensity_g_per_kwh,
        )
        self.estimator = Estimator(settings, self.intensity)
        self.metrics = SelfMetrics(settings.currency)
        self.metrics.registry.register(AlertConfigCollector(settings))
        # Held by a scrape while it streams and by a cycle while it changes the state.
        self.state_lock = asyncio.Lock()
        self._opencost_seen = False

    async def run_cycle(self) -> bool:
        """Run one cycle; return True when every required input answered."""
        started = time.monotonic()
        now = time.time()
        window = self.estimator.window_seconds(now)
        usage_result, kube_result = await asyncio.gather(
            read_usage(self.prometheus, window, at=now), self.kubernetes.read(), return_exceptions=True
        )
        failures = [r for r in (usage_result, kube_result) if isinstance(r, BaseException)]
        self._report(cat.SOURCE_PROMETHEUS, usage_result)
        self._report(cat.SOURCE_KUBERNETES, kube_result)
        if isinstance(usage_result, BaseException):  # what is read through Prometheus is unknown too
            self._report_via_prometheus(requests_known=False, prices_seen=False)
        if failures:
            for failure in failures:
                if not isinstance(failure, SourceError):
                    raise failure
            async with self.state_lock:
                self.estimator.mark_inputs_down()
            log.warning("cycle skipped, counters held: %s", "; ".join(str(f) for f in failures))
            self.metrics.cycle_duration.set(time.monotonic() - started)
            return False

        nodes, pods = kube_result
        self._report_via_prometheus(usage_result.requests_known, bool(usage_result.node_prices))
        await self._refresh_intensity(nodes)
        async with self.state_lock:
            outcome = self.estimator.apply(CycleInputs(usage_result, nodes, pods), now)
        for reason, count in outcome.dropped.items():
            self.metrics.errors.labels(reason).inc(count)
        if outcome.dropped:
            log.warning("cycle dropped samples or pods: %s", outcome.dropped)
        if not usage_result.requests_known:
            log.warning("kube-state-metrics series are missing: requests unknown, idle shared by usage")
        self.metrics.pods.set(outcome.pods)
        self.metrics.last_success.set(now)
        self.metrics.cycle_duration.set(time.monotonic() - started)
        return True

    async def _refresh_intensity(self, nodes: dict[str, NodeFacts]) -> None:
        if not self.intensity.live:
            return
        zones = {grid_zone_of(node, self.settings) for node in nodes.values()}
        await self.intensity.refresh({z for z in zones if z})
        self.metrics.source_up.labels(cat.SOURCE_ELECTRICITY_MAPS).set(1 if self.intensity.healthy else 0)
        for error in self.intensity.errors:
            self.metrics.errors.labels(error.reason).inc()
        if self.intensity.errors:
            log.warning("Electricity Maps failed for %d zone(s), using the table: %s",
                        len(self.intensity.errors), self.intensity.errors[0])

    def _report_via_prometheus(self, requests_known: bool, prices_seen: bool) -> None:
        """source_up of the inputs read through Prometheus. OpenCost is optional: its series
        appears once its prices have been seen, and goes to 0 when they are gone."""
        self.metrics.source_up.labels(cat.SOURCE_KUBE_STATE_METRICS).set(1 if requests_known else 0)
        self._opencost_seen = self._opencost_seen or prices_seen
        if self._opencost_seen:
            self.metrics.source_up.labels(cat.SOURCE_OPENCOST).set(1 if prices_seen else 0)

    def _report(self, source: str, result: object) -> None:
        up = not isinstance(result, BaseException)
        self.metrics.source_up.labels(source).set(1 if up else 0)
        if isinstance(result, SourceError):
            self.metrics.errors.labels(result.reason).inc()

    def exposition_chunks(self) -> Iterator[bytes]:
        """The exposition in pieces, rendered as consumed: the estimates' families, then the
        exporter's own metrics. Consume it under `state_lock`."""
        yield from self.estimator.families()
        yield self.metrics.render()

    def exposition(self) -> bytes:
        return b"".join(self.exposition_chunks())

    async def close(self) -> None:
        await asyncio.gather(self.prometheus.close(), self.kubernetes.close(), self.intensity.close())


def make_app(exporter: Exporter) -> web.Application:
    """The /metrics endpoint and a liveness probe."""

    async def metrics(request: web.Request) -> web.StreamResponse:
        # Streamed family by family (chunked encoding): at 100k pods the body is ~170 MB, and
        # only one family of it is in memory at a time.
        response = web.StreamResponse(headers={"Content-Type": CONTENT_TYPE})
        await response.prepare(request)
        try:
            async with exporter.state_lock:
                for chunk in exporter.exposition_chunks():
                    await response.write(chunk)
            await response.write_eof()
        except ConnectionResetError:
            # The scraper went away mid-body (its timeout, or it is shutting down): nobody is
            # left to answer, and that is no error of ours.
            log.debug("scrape of /metrics ended by the client before the body was sent")
        return response

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "last_success": exporter.estimator.last_success})

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/health", health)
    return app


async def serve(settings: ExporterSettings, stop: asyncio.Event) -> None:
    """Serve /metrics and run cycles every `cycle_seconds` until `stop` is set."""
    exporter = Exporter(settings)
    runner = web.AppRunner(make_app(exporter), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.metrics_host, settings.metrics_port)
    try:
        await site.start()
        log.info("exporter listening on http://%s:%d/metrics, cycle every %ss, Prometheus %s",
                 settings.metrics_host, settings.metrics_port, settings.cycle_seconds, settings.prometheus_url)
        next_start = time.monotonic()
        while not stop.is_set():
            try:
                await exporter.run_cycle()
            except Exception:  # noqa: BLE001 - a cycle bug must not kill the exporter
                log.exception("cycle failed")
                exporter.metrics.errors.labels("cycle_exception").inc()
            next_start = max(next_start + settings.cycle_seconds, time.monotonic())
            try:
                await asyncio.wait_for(stop.wait(), timeout=next_start - time.monotonic())
            except TimeoutError:
                pass
    finally:
        await runner.cleanup()
        await exporter.close()
