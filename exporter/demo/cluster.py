"""A simulated four-node cluster built from real dumps, for `greenkube demo`. No I/O after build.

Every container's CPU rate is rate(t) = base x f(tau(t)): base is the container's measured mean
rate (recorded counter / recorded uptime), f the node's real utilisation trace scaled to mean 1,
tau(t) = offset + (t - start) x speed trace seconds. Counters are the recorded counter at start
plus the exact integral of the rate, so they are monotonic and match `cpu_seconds_between`.
An app container's working set follows the same trace, damped: memory(t) = recorded x
(1 - MEMORY_SWING + MEMORY_SWING x f(tau(t))), so its mean stays the recorded value (working
sets move far less than CPU; pause containers and the system slice keep theirs).
Before ``start`` the simulation holds its start state.
"""

import copy
import math

from exporter.demo import dumps
from exporter.demo.exposition import cadvisor_labels, pod_cgroup, render_cadvisor
from exporter.demo.ksm import render_ksm
from exporter.demo.nodes import NodeSim, build_nodes
from exporter.demo.pods import ContainerSim, PodSim, build_pods

GKE_NODE = "gke-haissam-default-pool-be5066f1-wnvn"
RESOURCE_VERSION = "4242"
# Share of an app container's working set that follows the node's utilisation trace.
MEMORY_SWING = 0.25


class DemoCluster:
    """Four nodes (EKS, GKE, AKS, minikube) and their pods, with usage that follows real traces."""

    def __init__(self, start: float, speed: float, nodes: list[NodeSim], pods: list[PodSim]) -> None:
        if speed <= 0 or not math.isfinite(speed):
            raise ValueError("speed must be a positive number")
        self.start = float(start)
        self.speed = float(speed)
        self.nodes = nodes
        self.pods = pods
        self._nodes = {n.name: n for n in nodes}
        self._system = dumps.load_minikube_cadvisor().system

    @classmethod
    def build(cls, start: float, speed: float = 30.0) -> "DemoCluster":
        """Build the demo cluster as it is at unix time ``start``; ``speed`` trace seconds pass per second."""
        nodes = build_nodes(start)
        return cls(start, speed, nodes, build_pods(nodes, start, GKE_NODE))

    # --- time ------------------------------------------------------------------------------
    def _tau(self, node: NodeSim, t: float) -> float:
        return node.trace_offset + (max(t, self.start) - self.start) * self.speed

    def shape(self, node_name: str, t: float) -> float:
        """The node's usage factor f at time t (mean 1 over a trace period)."""
        node = self._nodes[node_name]
        return node.trace.value(self._tau(node, t))

    def memory_factor(self, node_name: str, t: float) -> float:
        """Factor applied to every running app container's recorded working set at time t."""
        return 1.0 - MEMORY_SWING + MEMORY_SWING * self.shape(node_name, t)

    def _growth(self, node: NodeSim, t0: float, t1: float) -> float:
        """Integral of f over real time [t0, t1], in real seconds (times before start count as start)."""
        return node.trace.integral(self._tau(node, t0), self._tau(node, t1)) / self.speed

    def _counter(self, c: ContainerSim, growth: float) -> float:
        return c.cpu_cores * (self.start - c.started) + c.cpu_cores * growth

    # --- expositions -----------------------------------------------------------------------
    def node_pods(self, node_name: str) -> list[PodSim]:
        """The pods scheduled on one node (KeyError for an unknown node)."""
        if node_name not in self._nodes:
            raise KeyError(node_name)
        return [p for p in self.pods if p.node == node_name]

    def cadvisor_text(self, node_name: str, now: float) -> str:
        """The node's kubelet /metrics/cadvisor body at ``now`` (KeyError for an unknown node)."""
        node = self._nodes[node_name]
        growth = self._growth(node, self.start, now)
        memory_factor = self.memory_factor(node_name, now)
        rows, slices = [], {}
        for pod in self.node_pods(node_name):
            cpu = mem = 0.0
            boxes = [(pod.sandbox, True)] + [(c, False) for c in pod.containers if c.running]
            for c, sandbox in boxes:
                secs = self._counter(c, growth)
                working_set = c.memory_bytes if sandbox else c.memory_bytes * memory_factor
                labels = cadvisor_labels(node, f"{pod_cgroup(pod)}/{c.container_id}", pod, c, sandbox)
                rows.append((labels, secs, working_set, c.started))
                cpu, mem = cpu + secs, mem + working_set
            rows.append((cadvisor_labels(node, pod_cgroup(pod), pod), cpu, mem, pod.sandbox.started))
            for cgroup in {"/kubepods", pod_cgroup(pod).rsplit("/", 1)[0]}:
                total = slices.setdefault(cgroup, [0.0, 0.0])
                total[0] += cpu
                total[1] += mem
        for cgroup, (cpu, mem) in slices.items():
            rows.append((cadvisor_labels(node, cgroup), cpu, mem, node.booted))
        kubepods_cpu, kubepods_mem = slices.get("/kubepods", [0.0, 0.0])
        system_secs = self._system.cpu_cores * (self.start - node.booted + growth)
        rows.append((cadvisor_labels(node, "/"), system_secs + kubepods_cpu,
                     self._system.memory_bytes + kubepods_mem, node.booted))
        return render_cadvisor(rows)

    def ksm_text(self, now: float) -> str:
        """The kube-state-metrics /metrics body. Its values do not change over time."""
        return render_ksm(self.nodes, self.pods)

    def nodes_list(self) -> dict:
        """A Kubernetes v1 NodeList of the four nodes (a fresh copy)."""
        return {"apiVersion": "v1", "kind": "NodeList", "metadata": {"resourceVersion": RESOURCE_VERSION},
                "items": [copy.deepcopy(n.api) for n in self.nodes]}

    def pods_list(self, namespace: str | None = None) -> dict:
        """A Kubernetes v1 PodList of all pods, or of one namespace (a fresh copy)."""
        items = [copy.deepcopy(p.api) for p in self.pods if namespace in (None, p.namespace)]
        return {"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": RESOURCE_VERSION},
                "items": items}

    # --- ground truth ----------------------------------------------------------------------
    def expected(self, now: float) -> list[dict]:
        """Per pod at ``now``: usage (running app containers only, no pause or pod-level rows) and requests.

        Keys: namespace, pod, uid, node, owner_kind, owner_name, cpu_cores (instantaneous rate),
        memory_bytes, cpu_request_cores and memory_request_bytes (0.0 when nothing is requested).
        """
        out = []
        for pod in self.pods:
            running = [c for c in pod.containers if c.running]
            out.append({
                "namespace": pod.namespace, "pod": pod.name, "uid": pod.uid, "node": pod.node,
                "owner_kind": pod.owner_kind, "owner_name": pod.owner_name,
                "cpu_cores": sum(c.cpu_cores for c in running) * self.shape(pod.node, now),
                "memory_bytes": sum(c.memory_bytes for c in running) * self.memory_factor(pod.node, now),
                "cpu_request_cores": sum(c.cpu_request or 0.0 for c in pod.containers),
                "memory_request_bytes": sum(c.memory_request or 0.0 for c in pod.containers),
            })
        return out

    def cpu_seconds_between(self, t0: float, t1: float) -> dict[str, float]:
        """Exact CPU seconds each pod's app containers use over [t0, t1], keyed by pod UID."""
        growth = {name: self._growth(node, t0, t1) for name, node in self._nodes.items()}
        return {pod.uid: sum(c.cpu_cores for c in pod.containers if c.running) * growth[pod.node]
                for pod in self.pods}
