"""The packaged demo data: small, documented, and true copies of the recorded dumps."""

import gzip
import re
from pathlib import Path

import pytest

from exporter.demo.dumps import DATA_DIR
from tests.fixtures.tools import SHARED_DATA

# packaged file -> (source in ../shared/data, regex of kept lines or None for a whole copy)
COPIES = {
    "minikube_kubelet_metrics_cadvisor.trimmed.prom.gz": (
        "nri-kubernetes-k8s1.35-minikube/kubelet_metrics_cadvisor.prom",
        r"^(# (HELP|TYPE) )?container_(cpu_usage_seconds_total|memory_working_set_bytes|start_time_seconds)[ {]"),
    "minikube_ksm_metrics.trimmed.prom.gz": (
        "nri-kubernetes-k8s1.35-minikube/ksm_metrics.prom",
        r"^(# (HELP|TYPE) )?kube_pod_container_resource_requests[ {]"),
    "minikube_pods.yaml.gz": ("nri-kubernetes-k8s1.35-minikube/pods.yaml", None),
    "minikube_nodes.yaml": ("nri-kubernetes-k8s1.35-minikube/nodes.yaml", None),
    "honeycomb_nodes.json": ("honeycomb-kubernetes-agent/nodes.json", None),
    "honeycomb_stats-summary.json.gz": ("honeycomb-kubernetes-agent/stats-summary.json", None),
    "datadog_kubelet_pods_gke.json.gz": ("datadog-integrations-core/kubelet_pods_gke.json", None),
    "google2019_instance_usage_day01_300s_dcavg.csv.gz": (
        "datacenter-traces/google2019_instance_usage_day01_300s_dcavg.csv", None),
    "azure_v2_vm_cpu_readings_week1_300s_sum.csv.gz": (
        "datacenter-traces/azure_v2_vm_cpu_readings_week1_300s_sum.csv", None),
}


def test_demo_data_total_size_under_1_5_mb():
    files = [p for p in DATA_DIR.iterdir() if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 1.5e6
    assert {p.name for p in files} == set(COPIES) | {"README.md"}


@pytest.mark.parametrize("name", sorted(COPIES))
def test_demo_data_file_true_copy_of_recorded_dump(name):
    source, kept = COPIES[name]
    raw = (DATA_DIR / name).read_bytes()
    packaged = gzip.decompress(raw) if name.endswith(".gz") else raw
    original = (SHARED_DATA / source).read_bytes()
    if kept is None:
        assert packaged == original
    else:
        pattern = re.compile(kept)
        lines = [ln for ln in original.decode().split("\n") if pattern.match(ln)]
        assert packaged.decode() == "\n".join(lines) + "\n"


def test_demo_data_readme_names_every_file_and_its_source():
    readme = (DATA_DIR / "README.md").read_text()
    for name, (source, _) in COPIES.items():
        assert name in readme and source.split("/")[-1] in readme
    for repo in ("newrelic/nri-kubernetes", "honeycombio/honeycomb-kubernetes-agent", "DataDog/integrations-core",
                 "alejandrofdez-us/DataCenter-Traces-Datasets"):
        assert repo in readme


def test_demo_package_never_reads_shared_folder():
    for module in Path(DATA_DIR.parent).glob("*.py"):
        assert "shared" not in module.read_text(), module.name
