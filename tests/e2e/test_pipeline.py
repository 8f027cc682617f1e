"""End to end: demo cluster -> real Prometheus -> exporter -> Prometheus -> query API.

Every part is real and on loopback: the demo cluster's aiohttp server (cAdvisor,
kube-state-metrics and the Kubernetes API, read through the official `kubernetes` client), a
`prometheus` process scraping it and the exporter every second, the exporter's own cycle loop
(`exporter.service.serve`, 1 s cycle) and the query API app.

The expected carbon is computed here from the demo's known inputs with the published formulas
and coefficients written out (node power = vCPU x Wmin + (Wmax - Wmin) x cores + 0.392 W/GB x
memory; PUBLISHED below), not with the exporter's attribution or coefficient code; a separate
test checks the exporter resolves the demo's nodes to those same published coefficients.
"""

import asyncio
import time
from datetime import UTC, datetime

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter import catalogue as cat
from exporter.coefficients import resolve_node
from exporter.config import ExporterSettings
from exporter.demo.cluster import DemoCluster
from exporter.model.inputs import NodeCoefficients
from exporter.service import serve
from exporter.sources.intensity import IntensitySource
from exporter.sources.kubernetes import parse_node
from queryapi.app import make_app as make_api_app
from queryapi.config import ApiSettings
from tests.fixtures.demo import start_demo_stack

pytestmark = pytest.mark.e2e

# The window checked starts a few cycles after the first counters and ends a little before
# "now", so every increase() in it is made of samples on both sides of each edge.
RUN_SECONDS = 40
# Tolerance 3%: counters step once per 1 s cycle and Prometheus samples them once per 1 s
# scrape at an unrelated phase, so each window edge can be off by up to one cycle's step
# (2 x 1 s over a ~30 s window is 6.7% worst case; increase()'s linear extrapolation halves
# the usual error). The CPU rate also lags the demo by half the 5 s rate window; at speed 1
# the demo's utilisation moves < 1% in that time.
TOLERANCE = 0.03


# The demo's four nodes: (vCPU, Wmin, Wmax per vCPU, PUE, g CO2e/kWh, embodied kg), each from
# its public source. Watts: CCF coefficients by microarchitecture (Graviton2 0.47/1.69; the
# n1 and Dsv3 families average their listed microarchitectures: 1.0/4.74 and 0.75/4.165;
# on-premises: the AWS averages 0.74/3.5 as GREENKUBE_ONPREM_* defaults). PUE: CCF AWS 1.135,
# GCP europe-west1 trailing twelve months 1.09, Azure 1.185, on-premises 1.58 (Uptime 2023).
# Intensity: Electricity Maps 2024 yearly (US-MIDA-PJM 403, BE 153, NL 251), else the Ember
# 2024 world average 472.94. Embodied: CCF/Teads platform total x vCPU share (m6gd.2xlarge
# 1533.12 x 8/64 = 191.64; n1-standard-4 69.89; Standard_D4s_v3 92.69), on-premises 1000.
PUBLISHED = {
    "ip-10-9-150-105.ec2.internal": (8, 0.47, 1.69, 1.135, 403.0, 191.64),
    "gke-haissam-default-pool-be5066f1-wnvn": (4, 1.0, 4.74, 1.09, 153.0, 69.89),
    "aks-nodepool1-31718369-vmss000000": (4, 0.75, 4.165, 1.185, 251.0, 92.69),
    "datagen-1-35": (14, 0.74, 3.5, 1.58, 472.94, 1000.0),
}


def _rfc3339(t: float) -> str:
    return datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _expected_grams(cluster: DemoCluster, t0: float, t1: float) -> float:
    """Operational + embodied g CO2e of the whole demo cluster over [t0, t1], by the formulas."""
    step = 0.5
    total = 0.0
    t = t0
    while t < t1:
        dt = min(step, t1 - t)
        for name, (vcpu, min_w, max_w, pue, g_per_kwh, embodied_kg) in PUBLISHED.items():
            # Pods without a running container have no cAdvisor series: the exporter cannot see them.
            pods = [p for p in cluster.expected(t + dt / 2) if p["node"] == name and p["memory_bytes"] > 0]
            cores = sum(p["cpu_cores"] for p in pods)
            memory = sum(max(p["memory_bytes"], p["memory_request_bytes"]) for p in pods)
            watts = vcpu * min_w + (max_w - min_w) * cores + 0.392 * memory / 1e9
            # kWh x PUE x g/kWh, and embodied kg x 1000 g over 4 years of seconds.
            total += watts * dt / 3.6e6 * pue * g_per_kwh
            total += embodied_kg * 1000 / (4 * 365 * 24 * 3600) * dt
        t += dt
    return total


def test_pipeline_demo_nodes_resolve_to_published_coefficients():
    cluster = DemoCluster.build(time.time())
    settings = ExporterSettings()
    intensity = IntensitySource(settings.electricity_maps_url, None, 900, settings.default_intensity_g_per_kwh)
    nodes = {n["metadata"]["name"]: parse_node(n) for n in cluster.nodes_list()["items"]}
    resolved: dict[str, NodeCoefficients] = {name: resolve_node(node, settings, intensity, None)[0]
                                             for name, node in nodes.items()}

    assert set(resolved) == set(PUBLISHED)
    for name, c in resolved.items():
        got = (c.vcpu, c.min_watts_per_vcpu, c.max_watts_per_vcpu, c.pue, c.intensity_g_per_kwh, c.embodied_kg)
        assert got == pytest.approx(PUBLISHED[name]), name


async def _exporter_samples(session: aiohttp.ClientSession, url: str) -> dict[tuple, float]:
    async with session.get(url) as response:
        text = await response.text()
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _energy_sum(samples: dict[tuple, float]) -> float:
    return sum(v for (name, _), v in samples.items() if name == cat.POD_ENERGY.name)


@pytest.fixture
async def pipeline(prometheus_factory, tmp_path, aiohttp_client):
    """Start the whole pipeline; yield what the tests need; stop everything."""
    stack = await start_demo_stack(prometheus_factory, tmp_path, start=time.time(), speed=1.0)
    settings = ExporterSettings(prometheus_url=stack.prometheus.url, kubeconfig=stack.kubeconfig,
                                metrics_port=stack.exporter_port, cycle_seconds=1, rate_window_seconds=5)
    stop = asyncio.Event()
    exporter_task = asyncio.create_task(serve(settings, stop))
    api = await aiohttp_client(make_api_app(ApiSettings(prometheus_url=stack.prometheus.url,
                                                        power_window_seconds=30)))
    session = aiohttp.ClientSession()
    try:
        yield stack.cluster, settings, stack.prometheus, api, session, stack.exporter_url, exporter_task
    finally:
        stop.set()
        await asyncio.wait_for(exporter_task, 30)
        await session.close()
        await stack.close()


async def _wait_for_counters(session, metrics_url: str, timeout: float = 30.0) -> float:
    """Wait until the exporter's pod energy counters advance; return when they first did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _energy_sum(await _exporter_samples(session, metrics_url)) > 0:
                return time.time()
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.5)
    raise AssertionError("the exporter's counters never advanced")


async def test_pipeline_metrics_carbon_matches_model_of_demo_inputs(pipeline):
    cluster, settings, prometheus, api, session, metrics_url, _ = pipeline
    first = await _wait_for_counters(session, metrics_url)
    await asyncio.sleep(RUN_SECONDS)
    start, end = int(first) + 5, int(time.time()) - 3

    response = await api.get("/api/v1/metrics", params={"from": _rfc3339(start), "to": _rfc3339(end)})
    body = await response.json()

    assert response.status == 200, body
    expected = _expected_grams(cluster, start, end)
    assert body["total_carbon_grams"] > 0
    assert body["total_carbon_grams"] == pytest.approx(expected, rel=TOLERANCE)
    assert body["node_count"] == 4
    running = {(p["namespace"], p["pod"], p["uid"]) for p in cluster.expected(end) if p["memory_bytes"] > 0}
    assert body["pod_count"] == len({(ns, pod) for ns, pod, _ in running})
    # Every running pod has a series of its own in Prometheus, same-name twins included.
    series = prometheus.query(f"last_over_time({cat.POD_ENERGY.name}[{end - start}s])", at=end)
    assert sorted(s["metric"]["uid"] for s in series) == sorted(uid for _, _, uid in running)


async def test_pipeline_same_name_twins_keep_all_their_energy(pipeline):
    cluster, _settings, prometheus, api, session, metrics_url, _ = pipeline
    first = await _wait_for_counters(session, metrics_url)
    await asyncio.sleep(15)
    start, end = int(first) + 3, int(time.time()) - 2
    names: dict[tuple, set[str]] = {}
    for p in cluster.expected(end):
        if p["memory_bytes"] > 0:
            names.setdefault((p["namespace"], p["pod"], p["node"]), set()).add(p["uid"])
    twins = {key: uids for key, uids in names.items() if len(uids) > 1}
    assert twins  # the GKE dump's fluentd-gcp-v2.0.10-9q9t4 pair
    (namespace, pod, node), uids = next(iter(twins.items()))

    per_uid = prometheus.query(
        f'increase({cat.POD_ENERGY.name}{{namespace="{namespace}", pod="{pod}"}}[{end - start}s])', at=end)
    response = await api.get("/api/v1/metrics/pods", params={
        "from": _rfc3339(start), "to": _rfc3339(end), "namespace": namespace, "pod": pod})
    body = await response.json()

    assert response.status == 200, body
    energy = {s["metric"]["uid"]: float(s["value"][1]) for s in per_uid}
    assert set(energy) == uids and all(joules > 0 for joules in energy.values())
    [row] = body["items"]
    assert row["node"] == node
    assert row["total_energy_joules"] == pytest.approx(sum(energy.values()), rel=1e-9)


async def test_pipeline_prometheus_outage_holds_counters_then_resumes(pipeline):
    _cluster, _settings, prometheus, _api, session, metrics_url, exporter_task = pipeline
    await _wait_for_counters(session, metrics_url)
    await asyncio.sleep(3)
    up = (cat.SOURCE_UP.name, (("source", cat.SOURCE_PROMETHEUS),))

    await prometheus.stop_async()
    await asyncio.sleep(3)  # at least two 1 s cycles fail
    held = await _exporter_samples(session, metrics_url)
    await asyncio.sleep(3)
    still = await _exporter_samples(session, metrics_url)

    assert not exporter_task.done()
    assert held[up] == 0.0 and still[up] == 0.0
    assert _energy_sum(still) == _energy_sum(held) > 0
    assert not any(name == cat.POD_CPU_USAGE.name for name, _ in still)  # gauges are not published stale

    await prometheus.start_async()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        resumed = await _exporter_samples(session, metrics_url)
        if resumed.get(up) == 1.0 and _energy_sum(resumed) > _energy_sum(still):
            break
        await asyncio.sleep(0.5)
    else:
        raise AssertionError("the exporter did not resume after Prometheus came back")
    assert not exporter_task.done()
