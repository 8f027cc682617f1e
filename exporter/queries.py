"""PromQL the exporter runs each cycle. Pure: strings in, strings out.

cAdvisor comes in two label schemes: `container`/`pod` (Kubernetes >= 1.16, containerd and
docker) and the legacy `container_name`/`pod_name`. Kubernetes 1.14-1.15 emitted both, so the
legacy selector also requires `container=""`: no container is counted twice. Pod-level cgroup
rows (`container=""`, `image=""`) and pause containers (`POD`, or `container=""` with an image)
are never summed with their containers.
"""

# The pod UID from the cgroup path in `id`: /kubepods/burstable/pod<uid>/... (cgroupfs) or
# kubepods-burstable-pod<uid with _>.slice (systemd driver).
_UID_REGEX = ".*pod([0-9a-fA-F]{8}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{12}).*"

CONTAINER_SELECTOR = 'container!="", container!="POD", image!=""'
LEGACY_SELECTOR = 'container="", container_name!="", container_name!="POD", image!=""'


def _with_uid(expr: str) -> str:
    return f'label_replace({expr}, "uid", "$1", "id", "{_UID_REGEX}")'


def _legacy(expr: str) -> str:
    return f'label_replace({expr}, "pod", "$1", "pod_name", "(.+)")'


def _per_pod(metric: str, template: str) -> str:
    """Sum a cAdvisor series per pod over both label schemes; `template` wraps the selector."""
    # TODO(exporter): containers are summed before values are checked — one NaN/Inf container
    # makes its pod's sum invalid, so the whole pod is dropped (counted once) for that cycle.
    current = template.format(f"{metric}{{{CONTAINER_SELECTOR}}}")
    legacy = template.format(f"{metric}{{{LEGACY_SELECTOR}}}")
    return f"""
        sum by (namespace, pod, uid, node) (
          {_with_uid(current)}
        )
        or
        sum by (namespace, pod, uid, node) (
          {_with_uid(_legacy(legacy))}
        )"""


def pod_cpu_cores(window_seconds: int) -> str:
    """CPU cores used per pod: rate of container_cpu_usage_seconds_total over the window."""
    return _per_pod("container_cpu_usage_seconds_total", "rate({}[" + f"{window_seconds}s" + "])")


def pod_memory_bytes(window_seconds: int) -> str:
    """Working-set bytes per pod: the latest sample within the window."""
    return _per_pod("container_memory_working_set_bytes", "last_over_time({}[" + f"{window_seconds}s" + "])")


def pod_requests_v2() -> str:
    """CPU (cores) and memory (bytes) requested per pod, kube-state-metrics v2 names."""
    return """
        sum by (namespace, pod, uid, resource) (
          kube_pod_container_resource_requests{resource=~"cpu|memory"}
        )"""


def pod_requests_v1() -> str:
    """The same from kube-state-metrics v1 names; used only for pods v2 does not cover."""
    return """
        label_replace(
          sum by (namespace, pod) (kube_pod_container_resource_requests_cpu_cores),
          "resource", "cpu", "", ""
        )
        or
        label_replace(
          sum by (namespace, pod) (kube_pod_container_resource_requests_memory_bytes),
          "resource", "memory", "", ""
        )"""


def kube_state_metrics_present() -> str:
    """A non-empty answer means kube-state-metrics is scraped (requests are then known)."""
    return """
        count(kube_pod_info)
        or count(kube_pod_container_resource_requests)
        or count(kube_pod_container_resource_requests_cpu_cores)"""


def pod_owners() -> str:
    """The controlling owner of each pod from kube-state-metrics."""
    return """
        max by (namespace, pod, uid, owner_kind, owner_name) (
          kube_pod_owner{owner_is_controller="true"}
        )"""


def opencost_node_prices() -> str:
    """OpenCost hourly prices per node: cpu per vCPU-hour, ram per GiB-hour."""
    return """
        label_replace(avg by (node) (node_cpu_hourly_cost), "resource", "cpu", "", "")
        or
        label_replace(avg by (node) (node_ram_hourly_cost), "resource", "ram", "", "")"""
