"""kube-state-metrics exposition of the demo cluster: v2 names, plus v1 names on legacy nodes.

A legacy node (the GKE one) also gets KSM v1.x's `kube_pod_container_resource_requests_cpu_cores`
and `_memory_bytes` next to the v2 series for the same containers, as the recorded Datadog GKE
dump has both. The v1 series carry KSM v1's labels (namespace, pod, container, node, no uid), so
two pods sharing a name share one v1 series, which is emitted once.
"""

from exporter.demo import dumps
from exporter.demo.exposition import format_family
from exporter.demo.nodes import NodeSim
from exporter.demo.pods import PodSim

_HELP = {
    "kube_node_info": "[STABLE] Information about a cluster node.",
    "kube_node_status_capacity": "[STABLE] The capacity for different resources of a node.",
    "kube_pod_info": "[STABLE] Information about pod.",
    "kube_pod_owner": "[STABLE] Information about the Pod's owner.",
    "kube_pod_container_resource_requests": "[STABLE] The number of requested request resource by a container.",
    "kube_pod_container_resource_requests_cpu_cores": "The number of requested cpu cores by a container.",
    "kube_pod_container_resource_requests_memory_bytes": "The number of requested memory bytes by a container.",
}
_CAPACITY = (("cpu", "core"), ("memory", "byte"), ("pods", "integer"), ("ephemeral-storage", "byte"))


def _node_samples(nodes: list[NodeSim]) -> tuple[list, list]:
    info, capacity = [], []
    for node in nodes:
        status = node.api["status"]
        ni = status["nodeInfo"]
        info.append(({
            "node": node.name, "kernel_version": ni.get("kernelVersion", ""), "os_image": ni.get("osImage", ""),
            "container_runtime_version": ni.get("containerRuntimeVersion", ""),
            "kubelet_version": ni.get("kubeletVersion", ""),
            "kubeproxy_version": ni.get("kubeProxyVersion") or "deprecated", "provider_id": node.provider_id,
            "pod_cidr": node.api["spec"].get("podCIDR", ""), "system_uuid": ni.get("systemUUID", ""),
            "internal_ip": node.internal_ip}, 1.0))
        for resource, unit in _CAPACITY:
            if resource in status["capacity"]:
                value = dumps.parse_quantity(status["capacity"][resource])
                capacity.append(({"node": node.name, "resource": resource.replace("-", "_"), "unit": unit}, value))
    return info, capacity


def _pod_samples(pods: list[PodSim]) -> tuple[list, list]:
    info, owner = [], []
    for pod in pods:
        ids = {"namespace": pod.namespace, "pod": pod.name, "uid": pod.uid}
        host_ip = pod.api["status"].get("hostIP", "")
        info.append(({**ids, "host_ip": host_ip, "pod_ip": pod.pod_ip, "node": pod.node,
                      "created_by_kind": pod.owner_kind, "created_by_name": pod.owner_name,
                      "priority_class": pod.priority_class,
                      "host_network": "true" if pod.host_network else "false"}, 1.0))
        owner.append(({**ids, "owner_kind": pod.owner_kind, "owner_name": pod.owner_name,
                       "owner_is_controller": "true" if pod.owner_kind else ""}, 1.0))
    return info, owner


def _request_samples(pods: list[PodSim], legacy_nodes: set[str]) -> tuple[list, list, list]:
    v2, v1_cpu, v1_mem = [], {}, {}
    for pod in pods:
        for c in pod.containers:
            base = {"namespace": pod.namespace, "pod": pod.name, "uid": pod.uid, "container": c.name,
                    "node": pod.node}
            v1_key = (pod.namespace, pod.name, c.name, pod.node)
            for resource, unit, value, v1 in (("cpu", "core", c.cpu_request, v1_cpu),
                                              ("memory", "byte", c.memory_request, v1_mem)):
                if value is None:
                    continue
                v2.append(({**base, "resource": resource, "unit": unit}, value))
                if pod.node in legacy_nodes:
                    v1.setdefault(v1_key, value)
    v1_labels = ("namespace", "pod", "container", "node")
    return (v2, [(dict(zip(v1_labels, k, strict=True)), v) for k, v in v1_cpu.items()],
            [(dict(zip(v1_labels, k, strict=True)), v) for k, v in v1_mem.items()])


def render_ksm(nodes: list[NodeSim], pods: list[PodSim]) -> str:
    """Render the kube-state-metrics /metrics body for these nodes and pods."""
    node_info, capacity = _node_samples(nodes)
    pod_info, owner = _pod_samples(pods)
    v2, v1_cpu, v1_mem = _request_samples(pods, {n.name for n in nodes if n.scheme == "legacy"})
    families = [
        ("kube_node_info", node_info), ("kube_node_status_capacity", capacity),
        ("kube_pod_container_resource_requests", v2), ("kube_pod_info", pod_info), ("kube_pod_owner", owner),
        ("kube_pod_container_resource_requests_cpu_cores", v1_cpu),
        ("kube_pod_container_resource_requests_memory_bytes", v1_mem),
    ]
    return "".join(format_family(name, "gauge", _HELP[name], samples) for name, samples in families if samples)
