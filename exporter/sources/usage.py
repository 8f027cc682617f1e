"""Read pod usage, requests, owners and OpenCost prices from Prometheus in one go."""

import asyncio
import math
from dataclasses import dataclass, field

from exporter import queries
from exporter.sources.prometheus import PrometheusClient, Sample

PodKey = tuple[str, str, str]  # namespace, pod, uid ("" when no source knows it)


@dataclass(slots=True)
class PodObservation:
    """What Prometheus says about one pod: cores, bytes; requests None when unknown."""

    namespace: str
    pod: str
    uid: str
    node: str
    cpu_cores: float = 0.0
    memory_bytes: float = 0.0
    cpu_request_cores: float | None = None
    memory_request_bytes: float | None = None
    owner_kind: str = ""
    owner_name: str = ""


@dataclass(slots=True)
class UsageReading:
    pods: dict[PodKey, PodObservation]
    requests_known: bool
    dropped_samples: int
    node_prices: dict[str, tuple[float, float]] = field(default_factory=dict)


async def read_usage(client: PrometheusClient, window_seconds: int, at: float | None = None) -> UsageReading:
    """Run the cycle's queries concurrently and join them per pod (keyed on UID).

    Raises SourceError when Prometheus fails: a partial reading is never returned.
    """
    cpu, memory, req_v2, req_v1, ksm, owners, prices = await asyncio.gather(
        client.query(queries.pod_cpu_cores(window_seconds), at),
        client.query(queries.pod_memory_bytes(window_seconds), at),
        client.query(queries.pod_requests_v2(), at),
        client.query(queries.pod_requests_v1(), at),
        client.query(queries.kube_state_metrics_present(), at),
        client.query(queries.pod_owners(), at),
        client.query(queries.opencost_node_prices(), at),
    )
    return join_usage(cpu, memory, req_v2, req_v1, bool(ksm), owners, prices)


def join_usage(
    cpu: list[Sample], memory: list[Sample], req_v2: list[Sample], req_v1: list[Sample],
    ksm_present: bool, owners: list[Sample], prices: list[Sample],
) -> UsageReading:
    """Join query answers into one observation per pod; drop NaN, Inf and negative samples.

    A pod is observed when it has a CPU sample. Requests are 0 for pods kube-state-metrics
    lists without requests (BestEffort) and None for every pod when kube-state-metrics is absent.
    """
    dropped = 0
    pods: dict[PodKey, PodObservation] = {}
    for labels, value in cpu:
        if not _valid(value):
            dropped += 1
            continue
        key = _key(labels)
        pods[key] = PodObservation(key[0], key[1], key[2], labels.get("node", ""), cpu_cores=value)

    for labels, value in memory:
        pod = pods.get(_key(labels))
        if pod is None:
            continue
        if _valid(value):
            pod.memory_bytes = value
        else:
            dropped += 1

    requests, bad = _requests(req_v2, req_v1)
    dropped += bad
    if ksm_present:
        for pod in pods.values():
            pod.cpu_request_cores, pod.memory_request_bytes = requests.find(pod.namespace, pod.pod, pod.uid)

    for labels, _ in owners:
        for key in (_key(labels), (labels.get("namespace", ""), labels.get("pod", ""), "")):
            pod = pods.get(key)
            if pod is not None:
                pod.owner_kind, pod.owner_name = labels.get("owner_kind", ""), labels.get("owner_name", "")

    node_prices: dict[str, list[float]] = {}
    for labels, value in prices:
        if _valid(value):
            slot = 0 if labels.get("resource") == "cpu" else 1
            node_prices.setdefault(labels.get("node", ""), [math.nan, math.nan])[slot] = value
    complete = {node: (p[0], p[1]) for node, p in node_prices.items() if not math.isnan(p[0] + p[1])}
    return UsageReading(pods, ksm_present, dropped, complete)


class _Requests:
    """Requests per pod (cores, bytes), found by UID when both sides know it, else by name."""

    def __init__(self) -> None:
        self.by_uid: dict[PodKey, tuple[float, float]] = {}
        self.by_name_without_uid: dict[tuple[str, str], tuple[float, float]] = {}
        self.by_name: dict[tuple[str, str], tuple[float, float]] = {}

    def find(self, namespace: str, pod: str, uid: str) -> tuple[float, float]:
        """Requests of a pod; (0, 0) when kube-state-metrics lists none (BestEffort)."""
        name = (namespace, pod)
        found = self.by_uid.get((namespace, pod, uid)) if uid else None
        if found is None:
            found = self.by_name_without_uid.get(name)
        if found is None and not uid:
            found = self.by_name.get(name)
        return found if found is not None else (0.0, 0.0)


def _requests(req_v2: list[Sample], req_v1: list[Sample]) -> tuple[_Requests, int]:
    """Index requests; v1 names count only for pods v2 does not report."""
    found: dict[PodKey, list[float]] = {}
    bad = 0
    for source in (req_v2, req_v1):
        seen_before = {(k[0], k[1]) for k in found}
        for labels, value in source:
            key = _key(labels)
            if source is req_v1 and (key[0], key[1]) in seen_before:
                continue
            if not _valid(value):
                bad += 1
                continue
            slot = 0 if labels.get("resource") == "cpu" else 1
            found.setdefault(key, [0.0, 0.0])[slot] = value
    index = _Requests()
    for (namespace, pod, uid), (cpu, memory) in found.items():
        if uid:
            index.by_uid[(namespace, pod, uid)] = (cpu, memory)
        else:
            index.by_name_without_uid[(namespace, pod)] = (cpu, memory)
        index.by_name[(namespace, pod)] = (cpu, memory)
    return index, bad


def _key(labels: dict[str, str]) -> PodKey:
    uid = labels.get("uid", "").replace("_", "-").lower()
    return labels.get("namespace", ""), labels.get("pod", ""), uid


def _valid(value: float) -> bool:
    return 0.0 <= value < math.inf
