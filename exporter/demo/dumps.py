"""Read the real dumps packaged in ``exporter/demo/data`` (see the README there).

Each reader returns plain values: container usage profiles measured in a real cluster,
recorded Kubernetes objects, requests and utilisation traces. Nothing here simulates.
"""

import csv
import gzip
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

DATA_DIR = Path(__file__).parent / "data"

_QUANTITY = re.compile(r"^([0-9.]+(?:[eE][-+]?[0-9]+)?)([a-zA-Z]*)$")
_SUFFIX = {
    "": 1.0, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
    "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40,
}


@dataclass(frozen=True, slots=True)
class UsageProfile:
    """One container (or pod sandbox) as measured: mean CPU rate since start, working set."""

    cpu_cores: float
    memory_bytes: float
    uptime_seconds: float
    image: str = ""
    container_id: str = ""


@dataclass(frozen=True, slots=True)
class MinikubePod:
    """A pod of the minikube dump: its cgroup QoS, sandbox profile and container profiles."""

    namespace: str
    name: str
    qos: str
    sandbox: UsageProfile
    containers: dict[str, UsageProfile]


def read_bytes(name: str) -> bytes:
    """Return the bytes of a packaged data file, gunzipped when its name ends in .gz."""
    raw = (DATA_DIR / name).read_bytes()
    return gzip.decompress(raw) if name.endswith(".gz") else raw


def parse_quantity(text: str) -> float:
    """Convert a Kubernetes quantity such as '100m', '70Mi' or '5M' to a float."""
    match = _QUANTITY.match(str(text).strip())
    if not match or match.group(2) not in _SUFFIX:
        raise ValueError(f"unsupported quantity {text!r}")
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def parse_time(text: str) -> float:
    """Convert an RFC 3339 UTC timestamp ('2018-02-13T16:10:45Z') to unix seconds."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def _samples(text: str) -> list:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


@dataclass(frozen=True, slots=True)
class CadvisorDump:
    """The minikube cAdvisor scrape reduced to what the demo replays."""

    sampled_at: float
    booted_at: float
    system: UsageProfile
    pods: dict[tuple[str, str], MinikubePod]


@cache
def load_minikube_cadvisor() -> CadvisorDump:
    """Profiles from the k8s 1.35 minikube cAdvisor dump: rate = counter / (sample time - start)."""
    rows: dict[str, dict] = {}
    for s in _samples(read_bytes("minikube_kubelet_metrics_cadvisor.trimmed.prom.gz").decode()):
        row = rows.setdefault(s.labels["id"], {"labels": s.labels})
        row[s.name] = s.value
        if s.name == "container_cpu_usage_seconds_total":
            row["ts"] = s.timestamp
    sampled_at = max(r["ts"] for r in rows.values())

    def profile(row: dict) -> UsageProfile:
        uptime = row["ts"] - row["container_start_time_seconds"]
        return UsageProfile(row["container_cpu_usage_seconds_total"] / uptime,
                            row["container_memory_working_set_bytes"], sampled_at - row["container_start_time_seconds"],
                            row["labels"]["image"], row["labels"]["name"])

    root, kubepods = rows["/"], rows["/kubepods"]
    system = UsageProfile(
        (root["container_cpu_usage_seconds_total"] - kubepods["container_cpu_usage_seconds_total"])
        / (root["ts"] - root["container_start_time_seconds"]),
        root["container_memory_working_set_bytes"] - kubepods["container_memory_working_set_bytes"],
        sampled_at - root["container_start_time_seconds"],
    )
    pods: dict[tuple[str, str], MinikubePod] = {}
    for cid, row in sorted(rows.items()):
        labels = row["labels"]
        if not labels["pod"] or labels["container"] or labels["image"]:
            continue  # keep pod-level rows only here
        key = (labels["namespace"], labels["pod"])
        qos = cid.split("/")[2] if cid.count("/") == 3 else "guaranteed"
        children = [r for i, r in rows.items() if i.startswith(cid + "/")]
        sandbox = next(profile(r) for r in children if not r["labels"]["container"])
        containers = {r["labels"]["container"]: profile(r) for r in children if r["labels"]["container"]}
        pods[key] = MinikubePod(key[0], key[1], qos, sandbox, containers)
    return CadvisorDump(sampled_at, sampled_at - system.uptime_seconds, system, pods)


@cache
def load_minikube_requests() -> dict[tuple[str, str, str, str], float]:
    """KSM v2 requests of the minikube dump keyed by (namespace, pod, container, resource)."""
    text = read_bytes("minikube_ksm_metrics.trimmed.prom.gz").decode()
    return {(s.labels["namespace"], s.labels["pod"], s.labels["container"], s.labels["resource"]): s.value
            for s in _samples(text) if s.name == "kube_pod_container_resource_requests"}


@cache
def load_minikube_pods() -> list[dict]:
    """The recorded `kubectl get pods -o yaml` items of the minikube dump."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(read_bytes("minikube_pods.yaml.gz"), Loader=loader)["items"]


@cache
def load_minikube_node() -> dict:
    """The recorded minikube Node object (datagen-1-35)."""
    return yaml.safe_load(read_bytes("minikube_nodes.yaml"))["items"][0]


@cache
def load_eks_node() -> dict:
    """The first recorded EKS Node object (m6gd.2xlarge, us-east-1a) of the honeycomb dump."""
    return json.loads(read_bytes("honeycomb_nodes.json"))["items"][0]


@cache
def load_gke_pods() -> list[dict]:
    """The recorded GKE kubelet /pods items (includes two pods with one name, two UIDs)."""
    return json.loads(read_bytes("datadog_kubelet_pods_gke.json.gz"))["items"]


@cache
def load_stats_profiles() -> dict[str, UsageProfile]:
    """Profiles keyed by 'namespace/pod/container' from the honeycomb kubelet /stats/summary."""
    summary = json.loads(read_bytes("honeycomb_stats-summary.json.gz"))
    out = {}
    for pod in summary["pods"]:
        ref = pod["podRef"]
        for c in pod.get("containers", []):
            uptime = parse_time(c["cpu"]["time"]) - parse_time(c["startTime"])
            cores = c["cpu"]["usageCoreNanoSeconds"] / 1e9 / uptime
            out[f"{ref['namespace']}/{ref['name']}/{c['name']}"] = UsageProfile(
                cores, float(c["memory"]["workingSetBytes"]), uptime)
    return out


@cache
def load_trace(name: str) -> tuple[float, ...]:
    """CPU samples every 300 s: 'google2019' (avg_cpu, one day) or 'azure_v2' (cpu_usage, one week)."""
    files = {
        "google2019": ("google2019_instance_usage_day01_300s_dcavg.csv.gz", "avg_cpu"),
        "azure_v2": ("azure_v2_vm_cpu_readings_week1_300s_sum.csv.gz", "cpu_usage"),
    }
    file_name, column = files[name]
    reader = csv.DictReader(io.StringIO(read_bytes(file_name).decode()))
    return tuple(float(row[column]) for row in reader)
