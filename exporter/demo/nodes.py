"""The four demo nodes: EKS, GKE (legacy labels), AKS and the recorded minikube node.

The EKS node is the recorded honeycomb Node object and the minikube node is the recorded
datagen-1-35 object; the GKE and AKS nodes reuse the minikube object's shape with the labels,
providerID, capacity and runtime those providers set. Capacities are the instance types' real
vCPU and memory (CCF instance tables: m6gd.2xlarge 8/32 GiB, n1-standard-4 4/15 GiB,
Standard_D4s_v3 4/16 GiB).
"""

import copy
from dataclasses import dataclass
from datetime import UTC, datetime

from exporter.demo import dumps
from exporter.demo.naming import derived_uid
from exporter.demo.trace import UsageTrace

MINIKUBE_NODE = "datagen-1-35"


@dataclass(frozen=True, slots=True)
class NodeSim:
    """A simulated node: its API object, cAdvisor label scheme, usage trace and boot time.

    scheme is 'containerd' (container/pod labels, pause row with container=""), 'dockershim'
    (container/pod labels, pause container "POD") or 'legacy' (container_name/pod_name, "POD").
    """

    name: str
    api: dict
    scheme: str
    runtime: str
    pause_image: str
    trace: UsageTrace
    trace_offset: float
    booted: float
    pod_ip_prefix: str
    replica_index: int

    @property
    def internal_ip(self) -> str:
        """The node's InternalIP address."""
        return next(a["address"] for a in self.api["status"]["addresses"] if a["type"] == "InternalIP")

    @property
    def provider_id(self) -> str:
        """spec.providerID, empty for on-premises nodes."""
        return self.api["spec"].get("providerID", "")


def iso(ts: float) -> str:
    """Format unix seconds as the RFC 3339 UTC form the Kubernetes API uses."""
    return datetime.fromtimestamp(round(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stamp(api: dict, booted: float, now: float) -> dict:
    api["metadata"]["creationTimestamp"] = iso(booted)
    for cond in api["status"].get("conditions", []):
        cond["lastTransitionTime"] = iso(booted + 30)
        cond["lastHeartbeatTime"] = iso(now)
    return api


def _from_template(name: str, labels: dict, provider_id: str, capacity: dict, allocatable: dict,
                   node_info: dict, ip: str, pod_cidr: str) -> dict:
    api = copy.deepcopy(dumps.load_minikube_node())
    for key in ("images", "features", "runtimeHandlers"):
        api["status"].pop(key, None)
    api["metadata"].update(name=name, labels=labels, uid=derived_uid("node", name))
    api["spec"] = {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr], "providerID": provider_id}
    for kind, quantities in (("capacity", capacity), ("allocatable", allocatable)):
        api["status"][kind] = {"ephemeral-storage": "98868448Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                               "pods": "110", **quantities}
    machine = derived_uid("machine", name).replace("-", "")
    api["status"]["nodeInfo"] = {"bootID": derived_uid("boot", name), "machineID": machine,
                                 "systemUUID": derived_uid("system", name), "operatingSystem": "linux",
                                 **node_info}
    api["status"]["addresses"] = [{"address": ip, "type": "InternalIP"}, {"address": name, "type": "Hostname"}]
    return api


def _eks(start: float) -> NodeSim:
    api = copy.deepcopy(dumps.load_eks_node())
    age = dumps.parse_time(api["status"]["conditions"][0]["lastHeartbeatTime"]) - dumps.parse_time(
        api["metadata"]["creationTimestamp"])
    name = next(a["address"] for a in api["status"]["addresses"] if a["type"] == "InternalDNS")
    api["metadata"]["name"] = name
    api["metadata"]["labels"]["kubernetes.io/hostname"] = name
    api["spec"].pop("taints", None)  # the recorded NoSchedule taint would keep the demo pods off it
    return NodeSim(name, _stamp(api, start - age, start), "dockershim", "docker",
                   "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/pause:3.1-eksbuild.1",
                   UsageTrace(dumps.load_trace("google2019")), 0.0, start - age, "10.9.150.", 1)


def _gke(start: float) -> NodeSim:
    # The GKE pods of the Datadog dump ran on this node (hostIP 10.132.0.4, europe-west1's
    # default subnet, pod IPs 10.8.2.x, kube-proxy v1.9.2-gke.1).
    name = "gke-haissam-default-pool-be5066f1-wnvn"
    labels = {
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/fluentd-ds-ready": "true",
        "beta.kubernetes.io/instance-type": "n1-standard-4", "beta.kubernetes.io/os": "linux",
        "cloud.google.com/gke-nodepool": "default-pool",
        "failure-domain.beta.kubernetes.io/region": "europe-west1",
        "failure-domain.beta.kubernetes.io/zone": "europe-west1-b", "kubernetes.io/hostname": name,
    }
    info = {"architecture": "amd64", "containerRuntimeVersion": "docker://17.3.2", "kernelVersion": "4.4.111+",
            "kubeletVersion": "v1.9.2-gke.1", "kubeProxyVersion": "v1.9.2-gke.1",
            "osImage": "Container-Optimized OS from Google"}
    # allocatable: GKE's published reservation (80m CPU; 2.5 GiB + 100 Mi eviction of 15 GiB)
    api = _from_template(name, labels, f"gce://greenkube-demo/europe-west1-b/{name}",
                         {"cpu": "4", "memory": "15728640Ki"}, {"cpu": "3920m", "memory": "13004800Ki"},
                         info, "10.132.0.4", "10.8.2.0/24")
    booted = start - 2 * 86400
    return NodeSim(name, _stamp(api, booted, start), "legacy", "docker", "gcr.io/google_containers/pause-amd64:3.0",
                   UsageTrace(dumps.load_trace("azure_v2")), 0.0, booted, "10.8.2.", 2)


def _aks(start: float) -> NodeSim:
    name = "aks-nodepool1-31718369-vmss000000"
    group = "mc_greenkube-demo_demo_westeurope"
    labels = {
        "agentpool": "nodepool1", "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": "Standard_D4s_v3", "beta.kubernetes.io/os": "linux",
        "failure-domain.beta.kubernetes.io/region": "westeurope",
        "failure-domain.beta.kubernetes.io/zone": "westeurope-1", "kubernetes.azure.com/agentpool": "nodepool1",
        "kubernetes.azure.com/cluster": group.upper(), "kubernetes.azure.com/mode": "system",
        "kubernetes.azure.com/role": "agent", "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux", "kubernetes.io/role": "agent",
        "node.kubernetes.io/instance-type": "Standard_D4s_v3", "topology.kubernetes.io/region": "westeurope",
        "topology.kubernetes.io/zone": "westeurope-1",
    }
    provider_id = (f"azure:///subscriptions/{derived_uid('subscription', name)}/resourceGroups/{group}"
                   "/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-31718369-vmss/virtualMachines/0")
    info = {"architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.15-1",
            "kernelVersion": "5.15.0-1064-azure", "kubeletVersion": "v1.29.4", "kubeProxyVersion": "v1.29.4",
            "osImage": "Ubuntu 22.04.4 LTS"}
    # allocatable: AKS kube-reserved 140m CPU and about 20% of memory (approximate)
    api = _from_template(name, labels, provider_id, {"cpu": "4", "memory": "16777216Ki"},
                         {"cpu": "3860m", "memory": "13373440Ki"}, info, "10.224.0.4", "10.244.1.0/24")
    booted = start - 5 * 86400
    return NodeSim(name, _stamp(api, booted, start), "containerd", "containerd",
                   "mcr.microsoft.com/oss/kubernetes/pause:3.6", UsageTrace(dumps.load_trace("azure_v2")),
                   2 * 86400.0, booted, "10.244.1.", 3)


def _minikube(start: float) -> NodeSim:
    api = copy.deepcopy(dumps.load_minikube_node())
    booted = start - dumps.load_minikube_cadvisor().system.uptime_seconds
    return NodeSim(MINIKUBE_NODE, _stamp(api, booted, start), "containerd", "containerd",
                   "registry.k8s.io/pause:3.10.1", UsageTrace(dumps.load_trace("google2019")), 43200.0,
                   booted, "10.244.0.", 0)


def build_nodes(start: float) -> list[NodeSim]:
    """Return the four demo nodes: EKS (arm64), GKE (legacy labels), AKS and minikube."""
    return [_eks(start), _gke(start), _aks(start), _minikube(start)]
