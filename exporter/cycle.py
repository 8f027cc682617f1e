"""One exporter cycle: read the sources, estimate, integrate counters, render the snapshot.

Counters integrate the real time elapsed since the last successful cycle. When that gap is
longer than the rate window the window widens to cover it, so rate x gap is the CPU really
used over the gap. The first cycle only establishes the rates: counters start at 0.
"""

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass

from exporter import catalogue as cat
from exporter.coefficients import resolve_node
from exporter.config import ExporterSettings
from exporter.exposition import label_string, render_family, render_info, render_rows
from exporter.gcpause import without_collector
from exporter.model.estimate import estimate_node
from exporter.model.inputs import NodeCoefficients
from exporter.sources.intensity import IntensitySource
from exporter.sources.kubernetes import NodeFacts, PodFacts
from exporter.sources.usage import PodKey, PodObservation, UsageReading

log = logging.getLogger("greenkube.exporter")


# The pod info labels are the per-pod labels followed by these: its label string is the pod's
# own `labels` plus a tail that every pod of one owner (and requests knowledge) shares.
INFO_TAIL_LABELS = cat.POD_INFO.labels[len(cat.POD_LABELS):]
assert cat.POD_INFO.labels[:len(cat.POD_LABELS)] == cat.POD_LABELS


class PodState:
    """Counters and latest gauges of one pod; `labels` is its prepared label string, `node` the
    node named in it. Its info labels are `info_head` (`labels`, unless the pod is now seen on
    another node) then the shared `info_tail`: ~30 MB less than one info string per pod at 100k."""

    __slots__ = ("labels", "node", "info_head", "info_tail", "energy", "co2e", "embodied", "cost", "cpu",
                 "cpu_request", "memory", "memory_request")

    def __init__(self, labels: str, node: str):
        self.labels = self.info_head = labels
        self.node = node
        self.info_tail = ""
        self.energy = self.co2e = self.embodied = self.cost = 0.0
        self.cpu = self.memory = 0.0
        self.cpu_request: float | None = None
        self.memory_request: float | None = None


@dataclass(slots=True)
class NodeState:
    labels: str
    info: str = ""
    info_values: dict[str, str] | None = None
    vcpu: float = 0.0
    memory_bytes: float = 0.0
    pue: float = 1.0
    energy: float = 0.0
    co2e: float = 0.0
    embodied: float = 0.0
    cost: float = 0.0


@dataclass(slots=True)
class CycleInputs:
    """Everything one cycle read: Prometheus usage, Kubernetes nodes and pods."""

    usage: UsageReading
    nodes: dict[str, NodeFacts]
    pods: list[PodFacts]


@dataclass(slots=True)
class CycleOutcome:
    pods: int
    dropped: dict[str, int]


class Estimator:
    """Holds the counters between cycles and turns cycle inputs into a rendered snapshot."""

    def __init__(self, settings: ExporterSettings, intensity: IntensitySource):
        self._settings = settings
        self._intensity = intensity
        self._pods: dict[PodKey, PodState] = {}
        self._nodes: dict[str, NodeState] = {}
        self._zones: dict[str, tuple[float, str]] = {}
        self._last_success: float | None = None
        self._gauges = True
        # Node name -> (facts, OpenCost prices, intensity version, coefficients, info labels).
        self._resolved: dict[str, tuple] = {}
        # (owner kind, owner name, requests known) -> pod info tail, for the pods of the last cycle.
        self._tails: dict[tuple[str, str, bool], str] = {}

    def families(self) -> Iterator[bytes]:
        """The exposition of the current state, rendered piece by piece as it is consumed.

        Nothing is kept between scrapes: at 100k pods the whole body is ~200 MB, and the HTTP
        handler writes each piece (a family, or CHUNK_ROWS rows of one) before the next is
        rendered (under a lock that keeps the cycle from changing the state mid-scrape).
        """
        return self._render(self._gauges)

    @property
    def body(self) -> bytes:
        """The whole exposition in one piece (tests)."""
        return b"".join(self.families())

    @property
    def last_success(self) -> float | None:
        return self._last_success

    def window_seconds(self, now: float) -> int:
        """Rate window for a cycle at `now`: the configured one, widened to cover a gap."""
        gap = 0.0 if self._last_success is None else now - self._last_success
        return int(math.ceil(max(self._settings.rate_window_seconds, gap)))

    @without_collector
    def apply(self, inputs: CycleInputs, now: float) -> CycleOutcome:
        """Estimate every pod, advance counters by the elapsed time, render the snapshot."""
        elapsed = 0.0 if self._last_success is None else max(0.0, now - self._last_success)
        dropped: dict[str, int] = {}
        if inputs.usage.dropped_samples:
            dropped["invalid_sample"] = inputs.usage.dropped_samples

        by_node = self._group_by_node(inputs, dropped)
        seen_pods: set[PodKey] = set()
        zones: dict[str, tuple[float, str]] = {}
        tails: dict[tuple[str, str, bool], str] = {}
        for node_name, observed in by_node.items():
            facts = inputs.nodes[node_name]
            coefficients, info = self._resolve(facts, inputs.usage.node_prices.get(node_name))
            # A node in no known zone uses the default intensity: it is published too, as the
            # zone "" (no zone label in Prometheus), so every applied intensity can be read.
            zones[coefficients.grid_zone] = (coefficients.intensity_g_per_kwh, coefficients.intensity_source)
            self._advance_node(node_name, facts, coefficients, info, observed, elapsed, seen_pods)
            self._label_info(node_name, observed, tails)
        self._tails = tails

        for key in self._pods.keys() - seen_pods:
            del self._pods[key]
        for name in self._nodes.keys() - by_node.keys():
            del self._nodes[name]
            self._resolved.pop(name, None)
        self._zones = zones
        self._last_success = now
        self._gauges = True
        return CycleOutcome(len(self._pods), dropped)

    def mark_inputs_down(self) -> None:
        """Keep counters where they are, drop the gauges: nothing is published on stale input."""
        self._gauges = False

    def _resolve(self, facts: NodeFacts, prices: tuple[float, float] | None) -> tuple[NodeCoefficients, dict]:
        """Coefficients of a node, resolved again only when its facts, prices or intensities change."""
        cached = self._resolved.get(facts.name)
        version = self._intensity.version
        if cached is not None and cached[0] == facts and cached[1] == prices and cached[2] == version:
            return cached[3], dict(cached[4])
        coefficients, info = resolve_node(facts, self._settings, self._intensity, prices)
        self._resolved[facts.name] = (facts, prices, version, coefficients, info)
        return coefficients, dict(info)

    def _group_by_node(self, inputs: CycleInputs, dropped: dict[str, int]) -> dict[str, list[PodObservation]]:
        """Place observed pods on nodes: the API's nodeName (by UID, then by name), else cAdvisor's node."""
        by_uid = {p.uid: p for p in inputs.pods}
        by_name = {(p.namespace, p.name): p for p in inputs.pods}
        grouped: dict[str, list[PodObservation]] = {name: [] for name in inputs.nodes}
        for obs in inputs.usage.pods.values():
            facts = by_uid.get(obs.uid) or by_name.get((obs.namespace, obs.pod))
            if facts is not None:
                if facts.node:
                    obs.node = facts.node
                if not obs.uid:
                    obs.uid = facts.uid
                if not obs.owner_kind:
                    obs.owner_kind, obs.owner_name = facts.owner_kind, facts.owner_name
            if obs.node in grouped:
                grouped[obs.node].append(obs)
            else:
                dropped["pod_node_unknown"] = dropped.get("pod_node_unknown", 0) + 1
        return grouped

    def _advance_node(
        self, name: str, facts: NodeFacts, coefficients: NodeCoefficients, info: dict[str, str],
        observed: list[PodObservation], elapsed: float, seen: set[PodKey],
    ) -> None:
        requests_known = all(o.cpu_request_cores is not None for o in observed)
        mode = self._settings.idle_attribution
        info["idle_attribution"] = mode if requests_known or mode != "request" else "usage"
        rates = estimate_node(coefficients, observed, mode)

        node = self._nodes.get(name)
        if node is None:
            node = self._nodes[name] = NodeState(label_string(("node",), (name,)))
        if node.info_values != info:
            node.info_values = info
            node.info = label_string(cat.NODE_INFO.labels, [info[k] for k in cat.NODE_INFO.labels])
        node.vcpu, node.memory_bytes, node.pue = facts.vcpu, facts.memory_bytes, coefficients.pue
        free = rates.unallocated
        node.energy += free.watts * elapsed
        node.co2e += free.co2e_grams_per_second * elapsed
        node.embodied += free.embodied_grams_per_second * elapsed
        node.cost += free.cost_per_second * elapsed

        states, seen_add = self._pods, seen.add
        for obs, watts, co2e, embodied, cost in zip(
            observed, rates.watts, rates.co2e_grams_per_second, rates.embodied_grams_per_second,
            rates.cost_per_second, strict=True,
        ):
            key = (obs.namespace, obs.pod, obs.uid)
            seen_add(key)
            pod = states.get(key)
            if pod is None:
                labels = label_string(cat.POD_LABELS, (obs.namespace, obs.pod, name, obs.uid))
                pod = states[key] = PodState(labels, name)
            pod.energy += watts * elapsed
            pod.co2e += co2e * elapsed
            pod.embodied += embodied * elapsed
            pod.cost += cost * elapsed
            pod.cpu, pod.memory = obs.cpu_cores, obs.memory_bytes
            pod.cpu_request, pod.memory_request = obs.cpu_request_cores, obs.memory_request_bytes

    def _label_info(self, name: str, observed: list[PodObservation], tails: dict[tuple[str, str, bool], str]) -> None:
        """Set the info labels of the pods observed on node `name` (see PodState)."""
        states, previous = self._pods, self._tails
        for obs in observed:
            pod = states[(obs.namespace, obs.pod, obs.uid)]
            # A pod keyed without UID can be seen on another node than the one in its labels.
            pod.info_head = pod.labels if pod.node == name else label_string(
                cat.POD_LABELS, (obs.namespace, obs.pod, name, obs.uid))
            known = obs.cpu_request_cores is not None
            key = (obs.owner_kind, obs.owner_name, known)
            tail = tails.get(key)
            if tail is None:
                tail = previous.get(key) or "," + label_string(
                    INFO_TAIL_LABELS, (obs.owner_kind, obs.owner_name, "true" if known else "false"))
                tails[key] = tail
            pod.info_tail = tail

    def _render(self, gauges: bool) -> Iterator[bytes]:
        pods = list(self._pods.values())
        nodes = list(self._nodes.values())
        yield from render_rows(cat.POD_ENERGY, pods, "energy")
        yield from render_rows(cat.POD_CO2E, pods, "co2e")
        yield from render_rows(cat.POD_EMBODIED_CO2E, pods, "embodied")
        yield from render_rows(cat.POD_COST, pods, "cost")
        yield from render_rows(cat.NODE_UNALLOCATED_ENERGY, nodes, "energy")
        yield from render_rows(cat.NODE_UNALLOCATED_CO2E, nodes, "co2e")
        yield from render_rows(cat.NODE_UNALLOCATED_EMBODIED_CO2E, nodes, "embodied")
        yield from render_rows(cat.NODE_UNALLOCATED_COST, nodes, "cost")
        if not gauges:
            return
        yield from render_rows(cat.POD_CPU_USAGE, pods, "cpu")
        yield from render_rows(cat.POD_CPU_REQUEST, pods, "cpu_request")
        yield from render_rows(cat.POD_MEMORY_USAGE, pods, "memory")
        yield from render_rows(cat.POD_MEMORY_REQUEST, pods, "memory_request")
        yield from render_info(cat.POD_INFO, pods, "info_head", "info_tail")
        yield from render_rows(cat.NODE_INFO, nodes, None, labels="info")
        yield from render_rows(cat.NODE_CPU_CAPACITY, nodes, "vcpu")
        yield from render_rows(cat.NODE_MEMORY_CAPACITY, nodes, "memory_bytes")
        yield from render_rows(cat.NODE_PUE, nodes, "pue")
        yield render_family(cat.GRID_INTENSITY, [
            (label_string(cat.GRID_INTENSITY.labels, (zone, source)), value)
            for zone, (value, source) in sorted(self._zones.items())
        ])
