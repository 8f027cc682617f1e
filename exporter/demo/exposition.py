"""Prometheus text exposition (format 0.0.4) in the shapes cAdvisor and kube-state-metrics use.

Only formatting and label schemes live here; the numbers come from the cluster simulation.
"""

from collections.abc import Iterable

from exporter.demo.nodes import NodeSim
from exporter.demo.pods import ContainerSim, PodSim

CADVISOR_HELP = {
    "container_cpu_usage_seconds_total": ("counter", "Cumulative cpu time consumed in seconds."),
    "container_memory_working_set_bytes": ("gauge", "Current working set in bytes."),
    "container_start_time_seconds": ("gauge", "Start time of the container since unix epoch in seconds."),
}


def escape(value: str) -> str:
    """Escape a label value for the text format (backslash, double quote, newline)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def format_value(value: float) -> str:
    """Format a sample value so it parses back to the same float."""
    return repr(float(value))


def format_family(name: str, kind: str, help_text: str, samples: Iterable[tuple[dict, float]]) -> str:
    """Render one metric family: # HELP, # TYPE and one line per (labels, value), no timestamps."""
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        pairs = ",".join(f'{k}="{escape(str(v))}"' for k, v in labels.items())
        lines.append(f"{name}{{{pairs}}} {format_value(value)}")
    return "\n".join(lines) + "\n"


def pod_cgroup(pod: PodSim) -> str:
    """The pod's cgroup path under the cgroupfs driver, by QoS class."""
    qos = "" if pod.qos == "guaranteed" else f"/{pod.qos}"
    return f"/kubepods{qos}/pod{pod.uid}"


def _docker_name(pod: PodSim, container: str) -> str:
    return f"k8s_{container}_{pod.name}_{pod.namespace}_{pod.uid}_0"


def cadvisor_labels(node: NodeSim, cgroup: str, pod: PodSim | None = None,
                    container: ContainerSim | None = None, sandbox: bool = False) -> dict:
    """Labels of one cAdvisor row in the node's scheme.

    Without pod: a node-level cgroup (/, /kubepods, a QoS slice). Without container: the pod
    cgroup. The sandbox (pause) row is container="" in the containerd scheme and "POD" in
    the dockershim and legacy (container_name/pod_name) schemes.
    """
    name = image = cname = ""
    if container is not None:
        image = container.image
        if node.scheme == "containerd":
            name, cname = container.container_id, "" if sandbox else container.name
        else:
            cname = "POD" if sandbox else container.name
            name = _docker_name(pod, cname)
    namespace = pod.namespace if pod else ""
    pod_name = pod.name if pod else ""
    if node.scheme == "legacy":
        return {"container_name": cname, "id": cgroup, "image": image, "name": name, "namespace": namespace,
                "pod_name": pod_name}
    return {"container": cname, "id": cgroup, "image": image, "name": name, "namespace": namespace, "pod": pod_name}


def render_cadvisor(rows: list[tuple[dict, float, float, float]]) -> str:
    """Render (labels, cpu seconds, working set bytes, start time) rows as a /metrics/cadvisor body."""
    rows = sorted(rows, key=lambda r: tuple(r[0].values()))
    cpu = [({**labels, "cpu": "total"}, secs) for labels, secs, _, _ in rows]
    out = []
    for name, samples in (
        ("container_cpu_usage_seconds_total", [(_cpu_order(labels), v) for labels, v in cpu]),
        ("container_memory_working_set_bytes", [(labels, mem) for labels, _, mem, _ in rows]),
        ("container_start_time_seconds", [(labels, float(round(st))) for labels, _, _, st in rows]),
    ):
        kind, help_text = CADVISOR_HELP[name]
        out.append(format_family(name, kind, help_text, samples))
    return "".join(out)


def _cpu_order(labels: dict) -> dict:
    """Put cpu="total" right after the container label, as cAdvisor orders them."""
    first = next(iter(labels))
    ordered = {first: labels[first], "cpu": labels["cpu"]}
    ordered.update((k, v) for k, v in labels.items() if k not in ordered)
    return ordered
