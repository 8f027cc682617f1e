"""Exporter cycles against real servers: sources failing, recovering and being reported."""

import asyncio
import logging
import time
import types

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from exporter import catalogue as cat
from exporter.config import ExporterSettings
from exporter.demo.cluster import DemoCluster
from exporter.demo.server import make_app as make_cluster_app
from exporter.demo.server import write_kubeconfig
from exporter.service import CONTENT_TYPE, Exporter, make_app
from exporter.sources.kubernetes import KubernetesSource
from exporter.version import package_version
from tests.exporter.test_intensity import TOKEN, FakeElectricityMaps
from tests.fakes.kubeapi import MINIKUBE_NODES, MINIKUBE_PODS, make_kubeapi_app
from tests.fixtures.demo import start_demo_stack
from tests.fixtures.prometheus import free_port
from tests.fixtures.tools import require_shared_data


def _samples(body: bytes) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def _value(body: bytes, name: str, **labels: str) -> float | None:
    return _samples(body).get((name, tuple(sorted(labels.items()))))


@pytest.fixture
async def recorded_kube(aiohttp_server, tmp_path):
    """The real EKS node objects and pods recorded by honeycomb, behind a loopback API server."""
    require_shared_data()
    server = await aiohttp_server(make_kubeapi_app())
    return write_kubeconfig(tmp_path / "kubeconfig", str(server.make_url("")).rstrip("/"))


def _dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


async def test_kubernetes_source_recorded_eks_nodes_parse_cloud_facts(recorded_kube):
    source = KubernetesSource(recorded_kube)
    nodes, pods = await source.read()
    await source.close()

    node = next(iter(nodes.values()))
    assert node.provider_id.startswith("aws:///")
    assert node.instance_type == "m6gd.2xlarge"
    assert node.region.startswith("us-east-") and node.zone.startswith("us-east-")
    assert node.vcpu == 8.0 and node.memory_bytes > 30 * 1024**3
    assert node.arch == "arm64"
    assert len(nodes) == 2 and pods


async def test_kubernetes_source_recorded_minikube_node_has_no_cloud_facts(aiohttp_server, tmp_path):
    require_shared_data()
    server = await aiohttp_server(make_kubeapi_app(MINIKUBE_NODES, MINIKUBE_PODS))
    source = KubernetesSource(write_kubeconfig(tmp_path / "kc", str(server.make_url("")).rstrip("/")))
    nodes, pods = await source.read()
    await source.close()

    node = nodes["datagen-1-35"]
    assert (node.provider_id, node.instance_type, node.region) == ("", "", "")
    assert node.arch == "arm64" and node.vcpu > 0
    assert {p.node for p in pods} == {"datagen-1-35"}


async def test_kubernetes_source_pages_give_the_same_lists(aiohttp_server, tmp_path):
    cluster = DemoCluster.build(start=time.time())
    server = await aiohttp_server(make_cluster_app(cluster))
    kubeconfig = write_kubeconfig(tmp_path / "kc", str(server.make_url("")).rstrip("/"))
    whole, paged = KubernetesSource(kubeconfig, page_size=10_000), KubernetesSource(kubeconfig, page_size=7)
    (nodes, pods), (paged_nodes, paged_pods) = await whole.read(), await paged.read()
    await whole.close()
    await paged.close()

    assert len(pods) > 7 * 3  # several pages
    assert paged_nodes == nodes
    assert paged_pods == pods


async def test_run_cycle_prometheus_down_reports_once_and_holds(recorded_kube, caplog):
    exporter = Exporter(ExporterSettings(prometheus_url=_dead_url(), kubeconfig=recorded_kube))
    with caplog.at_level(logging.WARNING, logger="greenkube"):
        results = [await exporter.run_cycle() for _ in range(3)]
    body = exporter.exposition()
    await exporter.close()

    assert results == [False, False, False]
    assert _value(body, cat.SOURCE_UP.name, source=cat.SOURCE_PROMETHEUS) == 0.0
    assert _value(body, cat.SOURCE_UP.name, source=cat.SOURCE_KUBERNETES) == 1.0
    assert _value(body, cat.ERRORS.name, reason="prometheus_unreachable") == 3.0
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 3  # one per cycle
    assert _value(body, cat.LAST_SUCCESS.name) == 0.0


async def test_run_cycle_prometheus_stops_inputs_read_through_it_go_down(prometheus_factory, tmp_path):
    stack = await start_demo_stack(prometheus_factory, tmp_path, start=time.time() - 60)
    exporter = Exporter(ExporterSettings(prometheus_url=stack.prometheus.url, kubeconfig=stack.kubeconfig,
                                         rate_window_seconds=5))
    for _ in range(40):  # until the demo's kube-state-metrics series are scraped
        assert await exporter.run_cycle() is True
        if _value(exporter.exposition(), cat.SOURCE_UP.name, source=cat.SOURCE_KUBE_STATE_METRICS):
            break
        await asyncio.sleep(0.5)
    before = exporter.exposition()
    stack.prometheus.stop()
    assert await exporter.run_cycle() is False
    after = exporter.exposition()
    await exporter.close()
    await stack.close()

    assert _value(before, cat.SOURCE_UP.name, source=cat.SOURCE_KUBE_STATE_METRICS) == 1.0
    assert _value(after, cat.SOURCE_UP.name, source=cat.SOURCE_PROMETHEUS) == 0.0
    assert _value(after, cat.SOURCE_UP.name, source=cat.SOURCE_KUBE_STATE_METRICS) == 0.0
    assert _value(after, cat.SOURCE_UP.name, source=cat.SOURCE_OPENCOST) is None  # never seen: not reported


def _broken_series(now: float) -> str:
    """OpenMetrics of one container whose CPU counter and working set are NaN, 30 s and 20 s ago."""
    labels = ('{namespace="bad",pod="nan-pod",container="app",image="x",node="nowhere",'
              'id="/kubepods/pod0b1c2d3e-0000-4000-8000-000000000001/abc"}')
    rows = [f"# TYPE {name} {kind}" for name, kind in (
        ("container_cpu_usage_seconds_total", "counter"), ("container_memory_working_set_bytes", "gauge"))]
    rows[1:1] = [f"container_cpu_usage_seconds_total{labels} NaN {now - age:.3f}" for age in (30, 20)]
    rows += [f"container_memory_working_set_bytes{labels} NaN {now - age:.3f}" for age in (30, 20)]
    return "\n".join(rows) + "\n"


async def test_run_cycle_nan_samples_counted_on_metrics(prometheus_factory, tmp_path):
    now = time.time()
    stack = await start_demo_stack(prometheus_factory, tmp_path, start=now - 60, openmetrics=_broken_series(now))
    exporter = Exporter(ExporterSettings(prometheus_url=stack.prometheus.url, kubeconfig=stack.kubeconfig,
                                         rate_window_seconds=60))
    assert await exporter.run_cycle() is True
    client_body = await _scrape(exporter)
    await exporter.close()
    await stack.close()

    # the NaN CPU rate and the NaN working set: two samples dropped, none of them published
    assert _value(client_body, cat.ERRORS.name, reason="invalid_sample") == 2.0
    assert b'pod="nan-pod"' not in client_body


async def _scrape(exporter: Exporter) -> bytes:
    """/metrics as Prometheus would read it, through the exporter's own HTTP handler."""
    runner = web.AppRunner(make_app(exporter), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/metrics") as answer:
            return await answer.read()
    finally:
        await runner.cleanup()


async def test_source_up_opencost_prices_gone_goes_to_zero() -> None:
    exporter = Exporter(ExporterSettings(prometheus_url=_dead_url()))
    exporter._report_via_prometheus(requests_known=True, prices_seen=False)
    unseen = exporter.exposition()
    exporter._report_via_prometheus(requests_known=True, prices_seen=True)
    seen = exporter.exposition()
    exporter._report_via_prometheus(requests_known=True, prices_seen=False)
    gone = exporter.exposition()
    await exporter.close()

    assert _value(unseen, cat.SOURCE_UP.name, source=cat.SOURCE_OPENCOST) is None
    assert _value(seen, cat.SOURCE_UP.name, source=cat.SOURCE_OPENCOST) == 1.0
    assert _value(gone, cat.SOURCE_UP.name, source=cat.SOURCE_OPENCOST) == 0.0


async def test_run_cycle_kubernetes_down_reports_source(prometheus_factory, tmp_path):
    prometheus = prometheus_factory()
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", _dead_url())
    exporter = Exporter(ExporterSettings(prometheus_url=prometheus.url, kubeconfig=kubeconfig))
    assert await exporter.run_cycle() is False
    body = exporter.exposition()
    await exporter.close()

    assert _value(body, cat.SOURCE_UP.name, source=cat.SOURCE_KUBERNETES) == 0.0
    assert _value(body, cat.SOURCE_UP.name, source=cat.SOURCE_PROMETHEUS) == 1.0
    assert _value(body, cat.ERRORS.name, reason="kubernetes_unreachable") == 1.0


async def test_run_cycle_missing_kubeconfig_is_reported_not_raised(tmp_path):
    exporter = Exporter(ExporterSettings(prometheus_url=_dead_url(), kubeconfig=tmp_path / "no-such-file"))
    assert await exporter.run_cycle() is False
    body = exporter.exposition()
    await exporter.close()
    assert _value(body, cat.ERRORS.name, reason="kubernetes_config") == 1.0


async def test_run_cycle_electricity_maps_429_falls_back_to_table(prometheus_factory, tmp_path, aiohttp_server):
    fake = FakeElectricityMaps()
    fake.status = 429
    em = await aiohttp_server(fake.app())
    stack = await start_demo_stack(prometheus_factory, tmp_path, start=time.time() - 60)
    settings = ExporterSettings(prometheus_url=stack.prometheus.url, kubeconfig=stack.kubeconfig,
                                rate_window_seconds=5, electricity_maps_token=SecretStr(TOKEN),
                                electricity_maps_url=str(em.make_url("/v3")))
    exporter = Exporter(settings)
    for _ in range(40):  # until a few 1 s scrapes give rates for the pods
        assert await exporter.run_cycle() is True
        if _value(exporter.exposition(), cat.PODS_TRACKED.name):
            break
        await asyncio.sleep(0.5)
    body = exporter.exposition()
    await exporter.close()
    await stack.close()

    assert _value(body, cat.SOURCE_UP.name, source=cat.SOURCE_ELECTRICITY_MAPS) == 0.0
    assert _value(body, cat.ERRORS.name, reason="electricity_maps_http_429") == 3.0  # 3 cloud zones
    zones = {dict(labels).get("zone", ""): dict(labels)["source"]
             for (name, labels) in _samples(body) if name == cat.GRID_INTENSITY.name}
    # The three cloud zones fall back to the table; the on-premises node has no zone: default.
    assert {source for zone, source in zones.items() if zone} == {"table"}
    assert zones[""] == "default"
    assert {zone for zone, _ in fake.calls} == {"US-MIDA-PJM", "BE", "NL"}


async def test_metrics_endpoint_serves_exposition_and_health(aiohttp_client):
    exporter = Exporter(ExporterSettings(prometheus_url=_dead_url(), currency="EUR"))
    client = await aiohttp_client(make_app(exporter))

    metrics = await client.get("/metrics")
    health = await client.get("/health")
    body = await metrics.read()
    await exporter.close()

    assert metrics.status == 200
    assert metrics.headers["Content-Type"] == CONTENT_TYPE
    assert _value(body, cat.BUILD_INFO.name, version=package_version(), currency="EUR") == 1.0
    assert (health.status, await health.json()) == (200, {"status": "ok", "last_success": None})



class _CutExposition:
    """Stands in for the Exporter behind /metrics: the connection resets after the first chunk,
    as a write does when the scraper is gone (killed, or timed out) or the server closes it."""

    def __init__(self) -> None:
        self.state_lock = asyncio.Lock()
        self.estimator = types.SimpleNamespace(last_success=None)

    def exposition_chunks(self):
        yield b"# first chunk\n"
        raise ConnectionResetError("Cannot write to closing transport")


async def test_metrics_scrape_cut_mid_body_is_no_error(aiohttp_client, caplog):
    client = await aiohttp_client(make_app(_CutExposition()))

    async with client.get("/metrics") as response:
        # Whatever the client got before the cut; the server logs no error about it.
        await response.read()
    health = await client.get("/health")

    assert health.status == 200
    assert not [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.ERROR]
