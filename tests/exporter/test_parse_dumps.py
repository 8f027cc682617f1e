"""Facts about every real cAdvisor, kube-state-metrics, stats-summary and pod/node list dump in ../shared/data.

The numbers are counted with prometheus_client's parser (or json) here, and were checked
independently with grep/awk/jq as the comments say, so a parser regression or a changed dump shows.
"""

import csv
import json
import math
from collections import defaultdict
from functools import cache

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from exporter.demo.dumps import load_stats_profiles, parse_quantity
from exporter.sources.kubernetes import parse_pod
from tests.fixtures.tools import SHARED_DATA

MINIKUBE = SHARED_DATA / "nri-kubernetes-k8s1.35-minikube"
DATADOG = SHARED_DATA / "datadog-integrations-core"
HONEYCOMB = SHARED_DATA / "honeycomb-kubernetes-agent"
TRACES = SHARED_DATA / "datacenter-traces"


@cache
def _samples(path) -> dict[str, list]:
    by_name = defaultdict(list)
    for family in text_string_to_metric_families(path.read_text()):
        for s in family.samples:
            by_name[s.name].append(s)
    return dict(by_name)


def _app_rows(samples: list) -> list:
    """Container rows only: no pod-level/node-level rows (container="") and no pause rows."""
    return [s for s in samples if s.labels.get("container") not in ("", "POD", None)]


def test_minikube_cadvisor_app_rows_count_seventeen_pods():
    # grep '^container_cpu_usage_seconds_total{' | grep -v 'container=""' | grep -o 'namespace=..,pod=..' | sort -u
    rows = _app_rows(_samples(MINIKUBE / "kubelet_metrics_cadvisor.prom")["container_cpu_usage_seconds_total"])
    assert len(rows) == 17
    assert len({(s.labels["namespace"], s.labels["pod"]) for s in rows}) == 17


def test_minikube_cadvisor_app_cpu_sum_excludes_pod_level_and_pause():
    samples = _samples(MINIKUBE / "kubelet_metrics_cadvisor.prom")["container_cpu_usage_seconds_total"]
    # ... | grep -v 'container=""' | awk '{s+=$2} END {printf "%.6f", s}' -> 26.432976
    assert math.fsum(s.value for s in _app_rows(samples)) == pytest.approx(26.432976, abs=1e-6)
    pause = [s for s in samples if not s.labels["container"] and s.labels["image"].startswith("registry.k8s.io/pause")]
    pod_level = [s for s in samples if s.labels["pod"] and not s.labels["container"] and not s.labels["image"]]
    # grep -c 'image="registry.k8s.io/pause' -> 18; pod cgroup rows (id=/kubepods[/qos]/pod<uid>) -> 18,
    # awk sum 28.159121: more than the 26.43 of the containers, counting both would double CPU.
    assert (len(pause), len(pod_level)) == (18, 18)
    assert math.fsum(s.value for s in pod_level) == pytest.approx(28.159121, abs=1e-6)
    root = next(s for s in samples if s.labels["id"] == "/")
    assert root.value == pytest.approx(62.148052)
    assert root.timestamp == pytest.approx(1782468875.486)  # the dump carries ms sample timestamps


def test_minikube_cadvisor_working_set_sum_of_app_containers():
    samples = _samples(MINIKUBE / "kubelet_metrics_cadvisor.prom")["container_memory_working_set_bytes"]
    # grep '^container_memory_working_set_bytes{' | grep -v 'container=""' | awk '{s+=$2}' -> 523374592
    assert math.fsum(s.value for s in _app_rows(samples)) == 523374592


def test_minikube_stats_summary_same_pods_and_cpu_seconds_as_cadvisor():
    summary = json.loads((MINIKUBE / "kubelet_stats_summary.json").read_text())
    cadvisor = _app_rows(_samples(MINIKUBE / "kubelet_metrics_cadvisor.prom")["container_cpu_usage_seconds_total"])
    containers = [c for pod in summary["pods"] for c in pod["containers"]]

    # jq '.pods|length' -> 17; jq '[.pods[].containers[]]|length' -> 17
    assert (len(summary["pods"]), len(containers)) == (17, 17)
    assert {(p["podRef"]["namespace"], p["podRef"]["name"]) for p in summary["pods"]} == {
        (s.labels["namespace"], s.labels["pod"]) for s in cadvisor}
    # jq '[.pods[].containers[].cpu.usageCoreNanoSeconds]|add' -> 26432976000: the same CPU seconds
    # as the cAdvisor container rows (26.432976 above), recorded at the same moment.
    cpu_seconds = math.fsum(c["cpu"]["usageCoreNanoSeconds"] for c in containers) / 1e9
    assert cpu_seconds == pytest.approx(math.fsum(s.value for s in cadvisor), abs=1e-6) == pytest.approx(26.432976)
    # jq '[.pods[].containers[].cpu.usageNanoCores]|add' -> 444188019 (0.444 cores at that moment)
    assert math.fsum(c["cpu"]["usageNanoCores"] for c in containers) == 444188019


def test_honeycomb_stats_summary_profiles_count_and_cpu_seconds():
    profiles = load_stats_profiles()  # the demo's own parser of the packaged copy

    # jq '[.pods[].containers[]]|length' -> 12 in jq '[.pods[].podRef.name]|unique|length' -> 11 pods
    assert len(profiles) == 12
    assert len({key.rsplit("/", 1)[0] for key in profiles}) == 11
    # jq '[.pods[].containers[].cpu.usageCoreNanoSeconds]|add' -> 162979406360581: a profile's mean
    # rate times its uptime gives back each container's CPU seconds.
    cpu_seconds = math.fsum(p.cpu_cores * p.uptime_seconds for p in profiles.values())
    assert cpu_seconds == pytest.approx(162979.406360581, rel=1e-9)
    # jq '[.pods[].containers[].memory.workingSetBytes]|add' -> 2403061760
    assert math.fsum(p.memory_bytes for p in profiles.values()) == 2403061760


def test_minikube_ksm_requests_sums_and_no_v1_names():
    samples = _samples(MINIKUBE / "ksm_metrics.prom")
    requests = samples["kube_pod_container_resource_requests"]
    cpu = [s.value for s in requests if s.labels["resource"] == "cpu"]
    mem = [s.value for s in requests if s.labels["resource"] == "memory"]
    # grep '^kube_pod_container_resource_requests{' | grep 'resource="cpu"' | awk -> 1.435 over 16 series;
    # memory: 555502400 bytes over 12 series
    assert (len(cpu), math.fsum(cpu)) == (16, pytest.approx(1.435))
    assert (len(mem), math.fsum(mem)) == (12, 555502400)
    assert all(s.labels["uid"] for s in requests)  # KSM v2.19 labels requests with the pod uid
    # grep -c '^kube_pod_info{' -> 25; no v1 names, no kube_node_labels (default allowlist)
    assert len(samples["kube_pod_info"]) == 25
    assert "kube_pod_container_resource_requests_cpu_cores" not in samples
    assert "kube_node_labels" not in samples


def test_gke_ksm_v1_and_v2_requests_agree_per_container():
    samples = _samples(DATADOG / "ksm_standard_tags_gke.prom")

    def keyed(rows):
        return {(s.labels["namespace"], s.labels["pod"], s.labels["container"]): s.value for s in rows}

    v2 = samples["kube_pod_container_resource_requests"]
    v2_cpu = keyed(s for s in v2 if s.labels["resource"] == "cpu")
    v2_mem = keyed(s for s in v2 if s.labels["resource"] == "memory")
    v1_cpu = keyed(samples["kube_pod_container_resource_requests_cpu_cores"])
    v1_mem = keyed(samples["kube_pod_container_resource_requests_memory_bytes"])
    assert v1_cpu == v2_cpu and v1_mem == v2_mem
    # grep '^kube_pod_container_resource_requests_cpu_cores{' | awk -> 2.967 over 40 series (v2: the same);
    # memory 1666777088 bytes over 22 series in both names: summing both names doubles requests.
    assert (len(v1_cpu), math.fsum(v1_cpu.values())) == (40, pytest.approx(2.967))
    assert (len(v1_mem), math.fsum(v1_mem.values())) == (22, 1666777088)
    assert not any("uid" in s.labels for s in v2)  # KSM v1.9: no uid label on requests


def test_gke_ksm_nodes_three_n1_standard_1_with_gce_provider():
    samples = _samples(DATADOG / "ksm_standard_tags_gke.prom")
    # grep -c '^kube_node_info{' -> 3; grep -c '^kube_pod_info{' -> 32
    assert len(samples["kube_node_info"]) == 3
    assert len(samples["kube_pod_info"]) == 32
    assert {s.labels["provider_id"].split("/")[0] for s in samples["kube_node_info"]} == {"gce:"}
    types = {s.labels["label_beta_kubernetes_io_instance_type"] for s in samples["kube_node_labels"]}
    assert types == {"n1-standard-1"}


@pytest.mark.parametrize(("relative", "items", "names", "owned"), [
    # jq '.items|length', jq '[.items[].metadata.name]|unique|length' and
    # jq '[.items[]|select(.metadata.ownerReferences[]?.controller)]|length'
    ("nri-kubernetes-k8s1.35-minikube/kubelet_pods.json", 24, 24, 18),
    ("honeycomb-kubernetes-agent/pods.json", 11, 11, 11),
    ("datadog-integrations-core/kubelet_podlist_containerd_gke.json", 7, 7, 7),
    ("datadog-integrations-core/kubelet_pods_gke.json", 6, 5, 5),
])
def test_kubelet_pod_lists_counts_match_jq(relative, items, names, owned):
    data = json.loads((SHARED_DATA / relative).read_text())
    pods = [parse_pod(item) for item in data["items"]]  # the exporter's own pod parser

    assert data["kind"] == "PodList"
    assert len(pods) == items
    assert len({p.name for p in pods}) == names
    assert len({p.uid for p in pods}) == items
    assert all(p.namespace and p.node for p in pods)
    assert sum(1 for p in pods if p.owner_kind and p.owner_name) == owned


def test_gke_kubelet_pods_same_name_pair_has_two_uids():
    data = json.loads((DATADOG / "kubelet_pods_gke.json").read_text())
    # jq -r '.items[]|select(.metadata.name=="fluentd-gcp-v2.0.10-9q9t4")|.metadata.uid'
    uids = [p["metadata"]["uid"] for p in data["items"] if p["metadata"]["name"] == "fluentd-gcp-v2.0.10-9q9t4"]
    assert uids == ["2edfd4d9-10ce-11e8-bd5a-42010af00137", "2fdfd4d9-10ce-11e8-bd5a-42010af00137"]


def test_minikube_pods_yaml_requests_match_ksm():
    items = yaml.safe_load((MINIKUBE / "pods.yaml").read_text())["items"]
    assert len(items) == 25  # grep -c '^  kind: Pod$' pods.yaml
    ksm = {(s.labels["pod"], s.labels["container"], s.labels["resource"]): s.value
           for s in _samples(MINIKUBE / "ksm_metrics.prom")["kube_pod_container_resource_requests"]}
    yaml_requests = {(p["metadata"]["name"], c["name"], r): parse_quantity(q)
                     for p in items for c in p["spec"]["containers"]
                     for r, q in c.get("resources", {}).get("requests", {}).items()}
    assert yaml_requests == pytest.approx(ksm)


def test_honeycomb_nodes_second_node_reuses_first_provider_id():
    items = json.loads((HONEYCOMB / "nodes.json").read_text())["items"]
    # jq -r '.items[]|[.metadata.name,.spec.providerID,.metadata.labels["topology.kubernetes.io/region"]]'
    rows = [(n["metadata"]["name"], n["spec"]["providerID"], n["metadata"]["labels"]["topology.kubernetes.io/region"])
            for n in items]
    assert rows == [("duckboat-01", "aws:///us-east-1a/i-03dc801fd988ab620", "us-east-1"),
                    ("duckboat-02", "aws:///us-east-1a/i-03dc801fd988ab620", "us-east-2")]
    assert items[0]["status"]["capacity"]["cpu"] == "8"
    assert items[0]["status"]["nodeInfo"]["architecture"] == "arm64"


@pytest.mark.parametrize(("name", "column", "rows", "peak"), [
    # awk -F, 'NR>1{n++; s+=$col; max...}': google 288 rows, max/mean 1.2425; azure 2016 rows
    # (SOURCES.md says 2,015: the file has 2,015 newlines, its last row has none), max/mean 1.2265
    ("google2019_instance_usage_day01_300s_dcavg.csv", "avg_cpu", 288, 1.2425),
    ("azure_v2_vm_cpu_readings_week1_300s_sum.csv", "cpu_usage", 2016, 1.2265),
])
def test_traces_rows_and_peak_to_mean(name, column, rows, peak):
    with open(TRACES / name, newline="") as f:
        values = [float(r[column]) for r in csv.DictReader(f)]
    assert len(values) == rows
    assert max(values) / (math.fsum(values) / len(values)) == pytest.approx(peak, abs=1e-4)
