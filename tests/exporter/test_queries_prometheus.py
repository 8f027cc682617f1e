"""The exporter's PromQL on the real recorded dumps, loaded into a real Prometheus.

Each dump is backfilled at three times 30 s apart; every counter grows by half its recorded
value per minute, so the rate of each container is known. The expectation is computed from
the dump with prometheus_client's parser and a plain filter, not with PromQL.
"""

import asyncio
import math
import re
from collections import defaultdict
from pathlib import Path

import msgspec
import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter import queries
from exporter.config import PrometheusAccess
from exporter.sources.prometheus import PrometheusClient
from exporter.sources.usage import PodLabels, join_usage, read_usage
from tests.fixtures.tools import SHARED_DATA, require_shared_data

DATA = SHARED_DATA
MINIKUBE = DATA / "nri-kubernetes-k8s1.35-minikube"
GKE_KSM = DATA / "datadog-integrations-core" / "ksm_standard_tags_gke.prom"
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
TIMES = (T0, T0 + 30, T0 + 60)
GROWTH_PER_SECOND = 0.5 / 60  # counters grow by half their recorded value per minute
CPU = "container_cpu_usage_seconds_total"


@pytest.fixture(autouse=True)
def _recorded_dumps() -> None:
    require_shared_data()


def _families(path: Path, relabel=None):
    """Parse a dump; `relabel(labels) -> labels or None` rewrites or drops samples."""
    for family in text_string_to_metric_families(path.read_text()):
        samples = []
        for sample in family.samples:
            labels = relabel(dict(sample.labels)) if relabel else dict(sample.labels)
            if labels is not None and math.isfinite(sample.value):
                samples.append((sample.name, labels, sample.value))
        yield family.name, family.type, samples


def _openmetrics(families) -> str:
    """OpenMetrics text with every sample at the three TIMES; counters grow linearly."""
    lines = []
    merged: dict[tuple[str, str], list] = defaultdict(list)
    for name, kind, samples in families:
        merged[(name, kind if kind in ("counter", "gauge") else "unknown")].extend(samples)
    for (name, kind), samples in merged.items():
        lines.append(f"# TYPE {name} {kind}")
        for sample_name, labels, value in samples:
            text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            for t in TIMES:
                grown = value * (1 + GROWTH_PER_SECOND * (t - T0)) if kind == "counter" else value
                lines.append(f"{sample_name}{{{text}}} {grown!r} {t}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _legacy(labels: dict[str, str]) -> dict[str, str]:
    """The same container as cAdvisor before Kubernetes 1.16 (docker): container_name/pod_name."""
    out = {k: v for k, v in labels.items() if k not in ("container", "pod")}
    if labels.get("namespace"):
        out["namespace"] = "legacy-" + labels["namespace"]
    if labels.get("container"):
        out["container_name"] = labels["container"]
    elif labels.get("image", "").find("pause") >= 0:
        out["container_name"] = "POD"
    if labels.get("pod"):
        out["pod_name"] = labels["pod"]
    out["id"] = labels.get("id", "") + "-legacy"
    return out


def _both_schemes(labels: dict[str, str]) -> dict[str, str]:
    """Kubernetes 1.14-1.15 cAdvisor: both the new and the legacy labels on one series."""
    out = dict(labels)
    if labels.get("namespace"):
        out["namespace"] = "both-" + labels["namespace"]
    out["container_name"], out["pod_name"] = labels.get("container", ""), labels.get("pod", "")
    out["id"] = labels.get("id", "") + "-both"
    return out


def _scheme(namespace: str) -> str:
    return next((p for p in ("legacy-", "both-") if namespace.startswith(p)), "")


def _expected_cpu(path: Path) -> dict[tuple[str, str], float]:
    """Per (namespace, pod): summed container rates, skipping pod-level and pause rows."""
    found: dict[tuple[str, str], float] = defaultdict(float)
    for _, _, samples in _families(path):
        for name, labels, value in samples:
            if name == CPU and labels.get("container") and labels.get("image"):
                found[(labels["namespace"], labels["pod"])] += value * GROWTH_PER_SECOND
    return dict(found)


@pytest.fixture
def loaded_prometheus(prometheus_factory):
    cadvisor = MINIKUBE / "kubelet_metrics_cadvisor.prom"
    text = _openmetrics([
        *_families(cadvisor),
        *_families(cadvisor, _legacy),
        *_families(cadvisor, _both_schemes),
        *_families(MINIKUBE / "ksm_metrics.prom"),
        *_families(GKE_KSM),
    ])
    return prometheus_factory(openmetrics=text)


async def test_read_usage_real_dumps_count_each_container_once(loaded_prometheus):
    expected = _expected_cpu(MINIKUBE / "kubelet_metrics_cadvisor.prom")
    async with PrometheusClient(PrometheusAccess(prometheus_url=loaded_prometheus.url)) as client:
        reading = await read_usage(client, 60, at=TIMES[-1])

    by_name = defaultdict(float)
    for pod in reading.pods.values():
        by_name[(pod.namespace, pod.pod)] += pod.cpu_cores
    for prefix in ("", "legacy-", "both-"):
        got = {(ns.removeprefix(prefix), pod): v for (ns, pod), v in by_name.items() if _scheme(ns) == prefix}
        assert got.keys() == expected.keys(), prefix
        for key, value in expected.items():
            assert got[key] == pytest.approx(value, rel=1e-6), (prefix, key)


async def test_read_usage_real_dumps_key_pods_on_uid(loaded_prometheus):
    """Pods take the UID from their cgroup path; static pods' paths hold a config hash instead."""
    uuid = re.compile(r"pod([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
    expected = {}
    for _, _, samples in _families(MINIKUBE / "kubelet_metrics_cadvisor.prom"):
        for name, labels, _ in samples:
            if name == CPU and labels.get("container") and labels.get("image"):
                match = uuid.search(labels["id"])
                expected[(labels["namespace"], labels["pod"])] = match.group(1) if match else ""
    async with PrometheusClient(PrometheusAccess(prometheus_url=loaded_prometheus.url)) as client:
        reading = await read_usage(client, 60, at=TIMES[-1])
    got = {(pod.namespace, pod.pod): pod.uid for pod in reading.pods.values() if _scheme(pod.namespace) == ""}
    assert got == expected
    assert sum(1 for uid in got.values() if uid) >= 12  # the static pods (etcd, apiserver, ...) have none


async def test_read_usage_real_ksm_requests_not_doubled(loaded_prometheus):
    """GKE kube-state-metrics 1.9 exposes v1 and v2 request names for the same containers."""
    expected: dict[tuple[str, str], float] = defaultdict(float)
    for _, _, samples in _families(GKE_KSM):
        for name, labels, value in samples:
            if name == "kube_pod_container_resource_requests" and labels.get("resource") == "cpu":
                expected[(labels["namespace"], labels["pod"])] += value
    async with PrometheusClient(PrometheusAccess(prometheus_url=loaded_prometheus.url)) as client:
        # The GKE dump has no cAdvisor rows: join its requests to pods of the same names.
        v2 = await client.query(queries.pod_requests_v2(), TIMES[-1])
        v1 = await client.query(queries.pod_requests_v1(), TIMES[-1])
    cpu = [({"namespace": ns, "pod": pod}, 0.0) for ns, pod in expected]
    reading = join_usage(cpu, [], v2, v1, True, [], [])
    for (ns, pod), value in expected.items():
        assert reading.pods[(ns, pod, "")].cpu_request_cores == pytest.approx(value)
    assert reading.requests_known


CYCLE_QUERIES = (queries.pod_cpu_cores(60), queries.pod_memory_bytes(60), queries.pod_requests_v2(),
                 queries.pod_requests_v1(), queries.kube_state_metrics_present(), queries.pod_owners(),
                 queries.opencost_node_prices())


async def test_query_each_real_answers_same_as_label_dicts(loaded_prometheus):
    """Each answer of the cycle, decoded one sample at a time into PodLabels, gives the labels
    and values the whole-answer decode gives."""
    async with PrometheusClient(PrometheusAccess(prometheus_url=loaded_prometheus.url)) as client:
        for promql in CYCLE_QUERIES:
            whole = await client.query(promql, TIMES[-1])
            each = await client.query_each(promql, list, PodLabels, TIMES[-1], asyncio.Semaphore(1))
            assert each == [(msgspec.convert(labels, PodLabels), value) for labels, value in whole], promql
            assert each or promql == CYCLE_QUERIES[-1]  # every query but OpenCost's has answers here


async def test_query_each_real_infinite_and_nan_samples_kept_for_the_caller(prometheus_factory):
    """Prometheus writes +Inf, -Inf and NaN as strings; "+Inf" is read by the json path, alone."""
    prometheus = prometheus_factory()
    promql = """
        label_replace(vector(1) / 0, "pod", "inf", "", "")
        or label_replace(vector(-1) / 0, "pod", "minus", "", "")
        or label_replace(vector(0) / 0, "pod", "nan", "", "")
        or label_replace(vector(0.25), "pod", "ok", "", "")"""
    async with PrometheusClient(PrometheusAccess(prometheus_url=prometheus.url)) as client:
        each = await client.query_each(promql, list, PodLabels, T0)
    values = {labels.pod: value for labels, value in each}
    assert values["inf"] == math.inf and values["minus"] == -math.inf and values["ok"] == 0.25
    assert math.isnan(values["nan"]) and len(values) == 4
