"""The demo cluster: real-dump shapes, exact counters, label schemes and the real Kubernetes client."""

import math
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from kubernetes.aio import client, config
from prometheus_client.parser import text_string_to_metric_families

from exporter.demo.cluster import GKE_NODE, DemoCluster
from exporter.demo.server import make_app, write_kubeconfig
from exporter.demo.trace import UsageTrace

START = 1_800_000_000.0
EKS_NODE = "ip-10-9-150-105.ec2.internal"
AKS_NODE = "aks-nodepool1-31718369-vmss000000"
MINIKUBE_NODE = "datagen-1-35"
TWIN = "fluentd-gcp-v2.0.10-9q9t4"
_POD_UID = re.compile(r"/pod([0-9a-f-]{36})(?:/|$)")


@pytest.fixture(scope="module")
def cluster() -> DemoCluster:
    return DemoCluster.build(START)


def _parse(text: str) -> dict[str, list]:
    """Samples by sample name (the parser drops `_total` from counter family names)."""
    out = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[s.name].append(s)
    return dict(out)


def _is_app_row(labels: dict) -> bool:
    container = labels.get("container", labels.get("container_name"))
    return container not in ("", "POD")


def _app_cpu_by_uid(cluster: DemoCluster, node: str, now: float) -> dict[str, float]:
    totals = defaultdict(float)
    for s in _parse(cluster.cadvisor_text(node, now))["container_cpu_usage_seconds_total"]:
        if _is_app_row(s.labels):
            totals[_POD_UID.search(s.labels["id"]).group(1)] += s.value
    return totals


def test_usage_trace_full_period_integral_equals_period():
    trace = UsageTrace([0.2, 0.5, 0.4, 0.1], step=300.0)
    assert trace.integral(0.0, trace.period) == pytest.approx(trace.period)
    assert trace.value(300.0) == pytest.approx(0.5 / 0.3)
    assert trace.value(trace.period + 450.0) == pytest.approx((0.5 + 0.4) / 2 / 0.3)
    # exact closed form against a fine midpoint sum, over more than one period
    n, a, b = 20000, 123.0, 2.7 * trace.period
    h = (b - a) / n
    midpoint = math.fsum(trace.value(a + (i + 0.5) * h) for i in range(n)) * h
    assert trace.integral(a, b) == pytest.approx(midpoint, rel=1e-6)


def test_cluster_build_four_nodes_and_pods_between_40_and_80(cluster):
    assert [n.name for n in cluster.nodes] == [EKS_NODE, GKE_NODE, AKS_NODE, MINIKUBE_NODE]
    assert 40 <= len(cluster.pods) <= 80
    per_node = defaultdict(int)
    for p in cluster.pods:
        per_node[p.node] += 1
    assert per_node == {EKS_NODE: 18, GKE_NODE: 23, AKS_NODE: 18, MINIKUBE_NODE: 18}
    assert DemoCluster.build(START).expected(START + 5) == cluster.expected(START + 5)  # deterministic


def test_cadvisor_counters_any_time_order_monotonic(cluster):
    # before start, at start, inside one 10 s trace step, across knots and across trace periods
    times = [START - 50, START, START + 1e-6, START + 9.999999, START + 10, START + 10.000001, START + 777.7,
             START + 2879.99, START + 2880.0, START + 20160.5, START + 86400 * 3.3]
    for node in (n.name for n in cluster.nodes):
        previous: dict = {}
        for t in times:
            for s in _parse(cluster.cadvisor_text(node, t))["container_cpu_usage_seconds_total"]:
                key = tuple(sorted(s.labels.items()))
                assert s.value >= previous.get(key, 0.0), (node, t, key)
                previous[key] = s.value


def test_cadvisor_counter_increase_equals_exact_integral_of_rates(cluster):
    # Trace knots are 300 trace s apart = 10 real s at speed 30, so a trapezoid sum of the
    # instantaneous rates on a 2.5 s grid aligned to START is exact for the piecewise-linear rates.
    t0, t1, step = START + 120.0, START + 3720.0, 2.5
    exact = cluster.cpu_seconds_between(t0, t1)
    grid = [t0 + i * step for i in range(int((t1 - t0) / step) + 1)]
    rates = defaultdict(list)
    for t in grid:
        for row in cluster.expected(t):
            rates[row["uid"]].append(row["cpu_cores"])
    for node in (n.name for n in cluster.nodes):
        before, after = _app_cpu_by_uid(cluster, node, t0), _app_cpu_by_uid(cluster, node, t1)
        for uid, value in after.items():
            assert value - before[uid] == pytest.approx(exact[uid], rel=1e-9, abs=1e-12)
            r = rates[uid]
            trapezoid = step * (math.fsum(r) - (r[0] + r[-1]) / 2)
            assert trapezoid == pytest.approx(exact[uid], rel=1e-9, abs=1e-12)


def test_cadvisor_text_every_node_parses_with_three_families(cluster):
    for node in cluster.nodes:
        text = cluster.cadvisor_text(node.name, START + 42)
        families = {f.name: f.type for f in text_string_to_metric_families(text)}
        assert families == {"container_cpu_usage_seconds": "counter", "container_memory_working_set_bytes": "gauge",
                            "container_start_time_seconds": "gauge"}
        assert "# HELP container_cpu_usage_seconds_total " in text
        samples = _parse(text)["container_cpu_usage_seconds_total"]
        assert all(s.timestamp is None and s.labels["cpu"] == "total" for s in samples)
        assert [s.labels["id"] for s in samples].count("/") == 1


def test_expositions_every_endpoint_unique_series_and_promtool_clean(cluster):
    texts = [cluster.cadvisor_text(n.name, START + 5) for n in cluster.nodes] + [cluster.ksm_text(START)]
    for text in texts:
        keys = [(s.name, tuple(sorted(s.labels.items()))) for f in text_string_to_metric_families(text)
                for s in f.samples]
        assert len(keys) == len(set(keys))
        if shutil.which("promtool"):
            check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
            assert check.returncode == 0, check.stdout + check.stderr


def test_cadvisor_pod_level_row_sum_of_children_never_counted_by_app_filter(cluster):
    samples = _parse(cluster.cadvisor_text(MINIKUBE_NODE, START + 300))["container_cpu_usage_seconds_total"]
    children = defaultdict(float)  # pause and app container rows, summed into their pod cgroup
    for s in samples:
        parent, _, leaf = s.labels["id"].rpartition("/")
        if re.fullmatch(r"[0-9a-f]{64}", leaf):
            children[parent] += s.value
    pod_rows = {s.labels["id"]: s.value for s in samples
                if s.labels["pod"] and not s.labels["container"] and not s.labels["image"]}
    assert len(pod_rows) == 18 and pod_rows == pytest.approx(dict(children))
    assert sum(1 for s in samples if _is_app_row(s.labels)) == 17  # as in the real dump


def test_cadvisor_text_gke_node_legacy_docker_labels(cluster):
    samples = _parse(cluster.cadvisor_text(GKE_NODE, START + 60))["container_cpu_usage_seconds_total"]
    assert all("container_name" in s.labels and "pod_name" in s.labels for s in samples)
    assert not any("container" in s.labels or "pod" in s.labels for s in samples)
    pause = [s for s in samples if s.labels["container_name"] == "POD"]
    assert len(pause) == 23 and all(s.labels["name"].startswith("k8s_POD_") for s in pause)
    assert any(s.labels["container_name"] == "fluentd-gcp" for s in samples)


def test_cadvisor_text_other_nodes_pause_scheme_by_runtime(cluster):
    eks = _parse(cluster.cadvisor_text(EKS_NODE, START))["container_cpu_usage_seconds_total"]
    assert sum(1 for s in eks if s.labels["container"] == "POD") == 18  # dockershim (k8s 1.21, docker)
    for node in (AKS_NODE, MINIKUBE_NODE):  # containerd: the sandbox row has container="" and an image
        rows = _parse(cluster.cadvisor_text(node, START))["container_cpu_usage_seconds_total"]
        assert sum(1 for s in rows if s.labels["container"] == "" and "pause" in s.labels["image"]) == 18
        assert not any(s.labels["container"] == "POD" for s in rows)


def test_ksm_text_gke_node_v1_and_v2_requests_same_values(cluster):
    samples = _parse(cluster.ksm_text(START))
    v2 = samples["kube_pod_container_resource_requests"]
    for v1_name, resource in (("kube_pod_container_resource_requests_cpu_cores", "cpu"),
                              ("kube_pod_container_resource_requests_memory_bytes", "memory")):
        v1 = samples[v1_name]
        assert v1 and {s.labels["node"] for s in v1} == {GKE_NODE}
        v2_values = {(s.labels["namespace"], s.labels["pod"], s.labels["container"]): s.value
                     for s in v2 if s.labels["node"] == GKE_NODE and s.labels["resource"] == resource}
        assert {(s.labels["namespace"], s.labels["pod"], s.labels["container"]): s.value for s in v1} == v2_values
    gke_v2_cpu = [s for s in v2 if s.labels["node"] == GKE_NODE and s.labels["resource"] == "cpu"]
    # the twin pods have one v1 series (v1 has no uid label) but two v2 series
    assert len(gke_v2_cpu) == len(samples["kube_pod_container_resource_requests_cpu_cores"]) + 1


def test_ksm_text_requests_and_info_match_expected(cluster):
    samples = _parse(cluster.ksm_text(START))
    expected = {row["uid"]: row for row in cluster.expected(START)}
    cpu, mem = defaultdict(float), defaultdict(float)
    for s in samples["kube_pod_container_resource_requests"]:
        (cpu if s.labels["resource"] == "cpu" else mem)[s.labels["uid"]] += s.value
    for uid, row in expected.items():
        assert cpu[uid] == pytest.approx(row["cpu_request_cores"])
        assert mem[uid] == pytest.approx(row["memory_request_bytes"])
    info = {s.labels["uid"]: s.labels for s in samples["kube_pod_info"]}
    want = {u: (r["node"], r["pod"]) for u, r in expected.items()}
    assert {u: (i["node"], i["pod"]) for u, i in info.items()} == want
    capacity = {(s.labels["node"], s.labels["resource"]): s.value for s in samples["kube_node_status_capacity"]}
    assert capacity[(EKS_NODE, "cpu")] == 8 and capacity[(GKE_NODE, "cpu")] == 4
    assert capacity[(AKS_NODE, "memory")] == 16 * 2**30 and capacity[(MINIKUBE_NODE, "cpu")] == 14
    providers = {s.labels["node"]: s.labels["provider_id"].split(":")[0] for s in samples["kube_node_info"]}
    assert providers == {EKS_NODE: "aws", GKE_NODE: "gce", AKS_NODE: "azure", MINIKUBE_NODE: ""}


def test_demo_pods_same_name_twins_distinct_uids_everywhere(cluster):
    twins = [p for p in cluster.pods_list()["items"] if p["metadata"]["name"] == TWIN]
    uids = {p["metadata"]["uid"] for p in twins}
    assert len(twins) == 2 and len(uids) == 2
    assert {r["uid"] for r in cluster.expected(START) if r["pod"] == TWIN} == uids
    rows = _parse(cluster.cadvisor_text(GKE_NODE, START))["container_cpu_usage_seconds_total"]
    assert {_POD_UID.search(s.labels["id"]).group(1) for s in rows if s.labels["pod_name"] == TWIN} == uids
    info = _parse(cluster.ksm_text(START))["kube_pod_info"]
    assert {s.labels["uid"] for s in info if s.labels["pod"] == TWIN} == uids


def test_expected_memory_and_cpu_match_cadvisor_app_rows(cluster):
    now = START + 1234.5
    expected = {row["uid"]: row for row in cluster.expected(now)}
    memory = defaultdict(float)
    for node in cluster.nodes:
        for s in _parse(cluster.cadvisor_text(node.name, now))["container_memory_working_set_bytes"]:
            if _is_app_row(s.labels):
                memory[_POD_UID.search(s.labels["id"]).group(1)] += s.value
    assert {u: r["memory_bytes"] for u, r in expected.items() if r["memory_bytes"]} == pytest.approx(dict(memory))
    total = sum(r["cpu_cores"] for r in expected.values())
    assert 0.5 < total < 5.0  # measured rates: about 2 cores over 77 pods
    creating = [r for r in expected.values() if r["pod"].startswith("e2e-container-creating")]
    assert len(creating) == 4 and all(r["cpu_cores"] == 0 and r["cpu_request_cores"] == 0.005 for r in creating)


async def test_kubernetes_aio_client_via_kubeconfig_lists_nodes_and_pods(aiohttp_server, tmp_path, cluster):
    server = await aiohttp_server(make_app(cluster, clock=lambda: START + 60))
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", f"http://{server.host}:{server.port}")
    configuration = client.Configuration()
    await config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    async with client.ApiClient(configuration) as api:
        core = client.CoreV1Api(api)
        nodes = {n.metadata.name: n for n in (await core.list_node()).items}
        pods = (await core.list_pod_for_all_namespaces()).items
        system = (await core.list_namespaced_pod("kube-system", field_selector=f"spec.nodeName={GKE_NODE}")).items
    eks, gke, aks, mini = nodes[EKS_NODE], nodes[GKE_NODE], nodes[AKS_NODE], nodes[MINIKUBE_NODE]
    assert eks.metadata.labels["node.kubernetes.io/instance-type"] == "m6gd.2xlarge"
    assert eks.metadata.labels["topology.kubernetes.io/region"] == "us-east-1"
    assert eks.spec.provider_id.startswith("aws:///us-east-1a/i-")
    assert (eks.status.capacity["cpu"], eks.status.node_info.architecture) == ("8", "arm64")
    assert "node.kubernetes.io/instance-type" not in gke.metadata.labels
    assert gke.metadata.labels["beta.kubernetes.io/instance-type"] == "n1-standard-4"
    assert gke.metadata.labels["failure-domain.beta.kubernetes.io/region"] == "europe-west1"
    assert gke.spec.provider_id.startswith("gce://") and gke.status.capacity["memory"] == "15728640Ki"
    assert aks.spec.provider_id.startswith("azure:///subscriptions/")
    assert aks.metadata.labels["topology.kubernetes.io/region"] == "westeurope"
    assert mini.spec.provider_id is None and "topology.kubernetes.io/region" not in mini.metadata.labels
    assert len(pods) == len(cluster.pods) and {p.spec.node_name for p in pods} == set(nodes)
    coredns = next(p for p in pods if p.metadata.name.startswith("coredns-") and p.spec.node_name == AKS_NODE)
    assert coredns.spec.containers[0].resources.requests == {"cpu": "100m", "memory": "70Mi"}
    assert coredns.metadata.owner_references[0].kind == "ReplicaSet"
    assert sorted(p.metadata.uid for p in system if p.metadata.name == TWIN) == sorted(
        r["uid"] for r in cluster.expected(START) if r["pod"] == TWIN)


def test_cluster_module_import_pulls_no_aiohttp():
    code = "import sys, exporter.demo.cluster; sys.exit('aiohttp' in sys.modules)"
    root = str(Path(__file__).resolve().parents[2])
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0


def test_demo_memory_follows_trace_with_recorded_mean(cluster):
    node = cluster.nodes[0]
    pod = next(r for r in cluster.expected(START) if r["node"] == node.name and r["memory_bytes"] > 0)
    recorded = sum(c.memory_bytes for p in cluster.pods if p.uid == pod["uid"] for c in p.containers if c.running)
    # Sample one whole trace period (in real seconds) at 200 points: memory moves, its mean stays.
    period = node.trace.period / cluster.speed
    samples = [next(r["memory_bytes"] for r in cluster.expected(START + period * k / 200) if r["uid"] == pod["uid"])
               for k in range(200)]

    assert max(samples) > 1.02 * min(samples)
    assert sum(samples) / len(samples) == pytest.approx(recorded, rel=0.02)
