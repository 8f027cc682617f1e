"""The demo pods: the minikube dump's pods replicated onto every node, plus the GKE pods.

Each replica keeps its recorded spec, requests (from kube-state-metrics) and measured usage
(from cAdvisor); only names, UIDs, container IDs, IPs and times change, deterministically.
The recorded minikube node keeps its pods' recorded names and UIDs.
"""

import re
import statistics
from dataclasses import dataclass

from exporter.demo import dumps
from exporter.demo.naming import derived_hex, derived_suffix, derived_uid
from exporter.demo.nodes import MINIKUBE_NODE, NodeSim, iso

_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
_CONTAINER_ID = re.compile(r"^(containerd|docker)://([0-9a-f]{64})$")

# The GKE dump has no usage; each container takes the measured profile of a similar real
# container of the honeycomb EKS node's /stats/summary (log/metrics agents, a demo web app).
GKE_PROFILES = {
    "fluentd-gcp": "test/honeycomb-agent-59mqh/honeycomb-agent",
    "prometheus-to-sd-exporter": "metallb-system/controller-5c9894b5cd-r66xh/controller",
    "datadog-agent": "test/honeycomb-agent-59mqh/honeycomb-agent",
    "dd-agent": "test/honeycomb-agent-59mqh/honeycomb-agent",
    "demo-app": "default/kuard-6b65d9d8b5-44bbs/kuard",
}


@dataclass(frozen=True, slots=True)
class ContainerSim:
    """One container: base CPU rate (before the trace shape), working set, start and requests."""

    name: str
    image: str
    container_id: str
    cpu_cores: float
    memory_bytes: float
    started: float
    cpu_request: float | None = None
    memory_request: float | None = None
    running: bool = True


@dataclass(frozen=True, slots=True)
class PodSim:
    """One pod on one node; ``api`` is its Pod object as the fake API serves it."""

    namespace: str
    name: str
    uid: str
    node: str
    qos: str
    owner_kind: str
    owner_name: str
    pod_ip: str
    host_network: bool
    priority_class: str
    sandbox: ContainerSim
    containers: tuple[ContainerSim, ...]
    api: dict


def shift_times(obj, delta: float):
    """Return a copy of a JSON-like object with every RFC 3339 timestamp moved by delta seconds."""
    if isinstance(obj, dict):
        return {k: shift_times(v, delta) for k, v in obj.items()}
    if isinstance(obj, list):
        return [shift_times(v, delta) for v in obj]
    if isinstance(obj, str) and _TIMESTAMP.match(obj):
        return iso(dumps.parse_time(obj) + delta)
    return obj


def _rewrite_ids(obj, node: NodeSim):
    """Give every recorded container ID a node-specific one with the node's runtime prefix."""
    if isinstance(obj, dict):
        return {k: _rewrite_ids(v, node) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rewrite_ids(v, node) for v in obj]
    match = _CONTAINER_ID.match(obj) if isinstance(obj, str) else None
    return f"{node.runtime}://{_container_id(node, match.group(2))}" if match else obj


def _container_id(node: NodeSim, recorded: str) -> str:
    return recorded if node.name == MINIKUBE_NODE else derived_hex(node.name, recorded)


def _owner(meta: dict) -> tuple[str, str]:
    owners = meta.get("ownerReferences") or [{}]
    return owners[0].get("kind", ""), owners[0].get("name", "")


def _replica_name(meta: dict, node: NodeSim, sts_size: int) -> str:
    name = meta["name"]
    kind, owner = _owner(meta)
    if node.name == MINIKUBE_NODE:
        return name
    if kind == "Node":  # static pods are named after their node
        return name.removesuffix(MINIKUBE_NODE) + node.name
    if kind == "StatefulSet":
        return f"{owner}-{int(name.rsplit('-', 1)[1]) + sts_size * node.replica_index}"
    prefix = meta.get("generateName") or f"{name}-"
    return prefix + derived_suffix(node.name, name)


def _pod_sim(api: dict, node: NodeSim, qos: str, sandbox: ContainerSim, containers: list) -> PodSim:
    meta, spec = api["metadata"], api["spec"]
    kind, owner = _owner(meta)
    return PodSim(meta["namespace"], meta["name"], meta["uid"], node.name, qos, kind, owner,
                  api["status"]["podIP"], bool(spec.get("hostNetwork")), spec.get("priorityClassName", ""),
                  sandbox, tuple(containers), api)


def _replicate(recorded: dict, node: NodeSim, start: float, ordinal: int, sts_size: int) -> PodSim:
    cadvisor = dumps.load_minikube_cadvisor()
    requests = dumps.load_minikube_requests()
    api = _rewrite_ids(shift_times(recorded, start - cadvisor.sampled_at), node)
    meta, spec, status = api["metadata"], api["spec"], api["status"]
    old_name, old_uid = meta["name"], meta["uid"]
    measured = cadvisor.pods[(meta["namespace"], old_name)]
    meta["name"] = _replica_name(meta, node, sts_size)
    if node.name != MINIKUBE_NODE:
        meta["uid"] = derived_uid(node.name, old_uid)
        for ref in meta.get("ownerReferences", []):
            if ref["kind"] == "Node":
                ref.update(name=node.name, uid=node.api["metadata"]["uid"])
        meta["labels"] = {k: meta["name"] if v == old_name else v for k, v in meta.get("labels", {}).items()}
        if spec.get("hostname") == old_name:
            spec["hostname"] = meta["name"]
        pod_ip = node.internal_ip if spec.get("hostNetwork") else f"{node.pod_ip_prefix}{10 + ordinal}"
        status.update(hostIP=node.internal_ip, hostIPs=[{"ip": node.internal_ip}], podIP=pod_ip,
                      podIPs=[{"ip": pod_ip}])
    spec["nodeName"] = node.name
    containers = []
    for c in spec["containers"]:
        key = (meta["namespace"], old_name, c["name"])
        profile = measured.containers.get(c["name"])
        containers.append(ContainerSim(
            c["name"], profile.image if profile else c["image"],
            _container_id(node, profile.container_id) if profile else "",
            profile.cpu_cores if profile else 0.0, profile.memory_bytes if profile else 0.0,
            start - (profile.uptime_seconds if profile else 0.0),
            requests.get((*key, "cpu")), requests.get((*key, "memory")), running=profile is not None))
    box = measured.sandbox
    sandbox = ContainerSim("POD", node.pause_image, _container_id(node, box.container_id), box.cpu_cores,
                           box.memory_bytes, start - box.uptime_seconds)
    return _pod_sim(api, node, measured.qos, sandbox, containers)


def _gke_pod(recorded: dict, node: NodeSim, delta: float, pause: dumps.UsageProfile) -> PodSim:
    api = shift_times(recorded, delta)
    profiles = dumps.load_stats_profiles()
    meta, status = api["metadata"], api["status"]
    started = {s["name"]: dumps.parse_time(s["state"]["running"]["startedAt"]) for s in status["containerStatuses"]}
    ids = {s["name"]: _CONTAINER_ID.match(s["containerID"]).group(2) for s in status["containerStatuses"]}
    containers = []
    for c in api["spec"]["containers"]:
        profile = profiles[GKE_PROFILES[c["name"]]]
        req = c.get("resources", {}).get("requests", {})
        containers.append(ContainerSim(
            c["name"], c["image"], ids[c["name"]], profile.cpu_cores, profile.memory_bytes, started[c["name"]],
            dumps.parse_quantity(req["cpu"]) if "cpu" in req else None,
            dumps.parse_quantity(req["memory"]) if "memory" in req else None))
    sandbox = ContainerSim("POD", node.pause_image, derived_hex(meta["uid"], "POD"), pause.cpu_cores,
                           pause.memory_bytes, dumps.parse_time(status["startTime"]))
    return _pod_sim(api, node, status["qosClass"].lower(), sandbox, containers)


def _latest_time(obj) -> float:
    found = []

    def walk(o):
        if isinstance(o, dict):
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
        elif isinstance(o, str) and _TIMESTAMP.match(o):
            found.append(dumps.parse_time(o))

    walk(obj)
    return max(found)


def build_pods(nodes: list[NodeSim], start: float, gke_node: str) -> list[PodSim]:
    """Replicate the running minikube pods onto every node and add the GKE pods to gke_node."""
    measured = dumps.load_minikube_cadvisor().pods
    recorded = [p for p in dumps.load_minikube_pods()
                if (p["metadata"]["namespace"], p["metadata"]["name"]) in measured]
    sts_size = sum(1 for p in recorded if _owner(p["metadata"])[0] == "StatefulSet")
    pods = []
    for node in nodes:
        pods.extend(_replicate(p, node, start, i, sts_size) for i, p in enumerate(recorded))
    gke = [p for p in dumps.load_gke_pods() if p["status"]["phase"] == "Running"]
    # Move the GKE dump's times so its latest event happened one minute before start.
    delta = start - 60.0 - _latest_time(gke)
    boxes = [p.sandbox for p in measured.values()]
    pause = dumps.UsageProfile(statistics.fmean(b.cpu_cores for b in boxes),
                               float(round(statistics.fmean(b.memory_bytes for b in boxes))), 0.0)
    node = next(n for n in nodes if n.name == gke_node)
    pods.extend(_gke_pod(p, node, delta, pause) for p in gke)
    return pods
