"""Read pod usage, requests, owners and OpenCost prices from Prometheus in one go."""

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from sys import intern
from typing import TypeVar

from exporter import queries
from exporter.gcpause import collector_paused, without_collector
from exporter.sources.prometheus import PrometheusClient, Sample

T = TypeVar("T")
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
    accelerator_watts: float = 0.0  # model.inputs.PodUsage: no source feeds these yet
    storage_watts: float = 0.0


@dataclass(slots=True)
class UsageReading:
    pods: dict[PodKey, PodObservation]
    requests_known: bool
    dropped_samples: int
    node_prices: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(slots=True)
class Indexed:
    """One answer by pod key: (node, value) per key, or per (key, resource) for requests."""

    values: dict
    dropped: int


async def read_usage(client: PrometheusClient, window_seconds: int, at: float | None = None) -> UsageReading:
    """Run the cycle's queries concurrently and join them per pod (keyed on UID).

    Each answer is turned into a compact index as soon as it is decoded, so at 100k pods the
    decoded JSON of only one answer is alive at a time. Raises SourceError when Prometheus
    fails: a partial reading is never returned.
    """

    async def fetch(promql: str, convert: Callable[[list[Sample]], T]) -> T:
        return convert(await client.query(promql, at))

    # One pause of the cyclic collector for the whole read (gcpause.py): the decoded answers
    # and their indexes are walked once after it, not at every young pass while they build up.
    with collector_paused():
        cpu, memory, req_v2, req_v1, ksm, owners, prices = await asyncio.gather(
            fetch(queries.pod_cpu_cores(window_seconds), index_values),
            fetch(queries.pod_memory_bytes(window_seconds), index_values),
            fetch(queries.pod_requests_v2(), index_requests),
            fetch(queries.pod_requests_v1(), index_requests),
            fetch(queries.kube_state_metrics_present(), bool),
            fetch(queries.pod_owners(), index_owners),
            fetch(queries.opencost_node_prices(), index_prices),
        )
        return join(cpu, memory, req_v2, req_v1, ksm, owners, prices)


def join_usage(
    cpu: list[Sample], memory: list[Sample], req_v2: list[Sample], req_v1: list[Sample],
    ksm_present: bool, owners: list[Sample], prices: list[Sample],
) -> UsageReading:
    """Join raw query answers (see `join`)."""
    return join(index_values(cpu), index_values(memory), index_requests(req_v2), index_requests(req_v1),
                ksm_present, index_owners(owners), index_prices(prices))


@without_collector
def join(
    cpu: Indexed, memory: Indexed, req_v2: Indexed, req_v1: Indexed, ksm_present: bool,
    owners: dict[PodKey, tuple[str, str]], prices: dict[str, tuple[float, float]],
) -> UsageReading:
    """Join indexed answers into one observation per pod.

    A pod is observed when it has a valid CPU sample. Requests are 0 for pods kube-state-metrics
    lists without requests (BestEffort) and None for every pod when kube-state-metrics is absent.
    NaN, Inf and negative samples were dropped by the indexes and are counted here.
    """
    pods: dict[PodKey, PodObservation] = {}
    memory_of = memory.values
    for key, (node, cores) in cpu.values.items():
        pods[key] = PodObservation(key[0], key[1], key[2], node, cores, memory_of.get(key, (node, 0.0))[1])
    requests = _Requests(req_v2.values, req_v1.values)
    if ksm_present:
        for pod in pods.values():
            pod.cpu_request_cores, pod.memory_request_bytes = requests.find(pod.namespace, pod.pod, pod.uid)
    for key, pod in pods.items():
        owner = owners.get(key) or owners.get((key[0], key[1], ""))
        if owner is not None:
            pod.owner_kind, pod.owner_name = owner
    # A memory sample of a pod without CPU is not an error; a bad one is, wherever it is.
    dropped = cpu.dropped + memory.dropped + req_v2.dropped + req_v1.dropped
    return UsageReading(pods, ksm_present, dropped, prices)


@without_collector
def index_values(samples: list[Sample]) -> Indexed:
    """Per pod key: (node label, value); invalid values are counted, not kept."""
    values: dict[PodKey, tuple[str, float]] = {}
    dropped = 0
    for labels, value in samples:
        if 0.0 <= value < math.inf:
            values[_key(labels)] = (intern(labels.get("node", "")), value)
        else:
            dropped += 1
    return Indexed(values, dropped)


@without_collector
def index_requests(samples: list[Sample]) -> Indexed:
    """Per pod key: [cpu cores, memory bytes] requested."""
    values: dict[PodKey, list[float]] = {}
    dropped = 0
    for labels, value in samples:
        if not 0.0 <= value < math.inf:
            dropped += 1
            continue
        slot = 0 if labels.get("resource") == "cpu" else 1
        values.setdefault(_key(labels), [0.0, 0.0])[slot] = value
    return Indexed(values, dropped)


@without_collector
def index_owners(samples: list[Sample]) -> dict[PodKey, tuple[str, str]]:
    """Per pod key (and per name without UID): the controlling owner's kind and name."""
    owners: dict[PodKey, tuple[str, str]] = {}
    for labels, _ in samples:
        owner = (labels.get("owner_kind", ""), labels.get("owner_name", ""))
        key = _key(labels)
        owners[key] = owner
        owners.setdefault((key[0], key[1], ""), owner)
    return owners


def index_prices(samples: list[Sample]) -> dict[str, tuple[float, float]]:
    """OpenCost prices per node: (per vCPU-hour, per GiB-hour); nodes lacking either are left out."""
    found: dict[str, list[float]] = {}
    for labels, value in samples:
        if 0.0 <= value < math.inf:
            slot = 0 if labels.get("resource") == "cpu" else 1
            found.setdefault(labels.get("node", ""), [math.nan, math.nan])[slot] = value
    return {node: (p[0], p[1]) for node, p in found.items() if not math.isnan(p[0] + p[1])}


class _Requests:
    """Requests per pod (cores, bytes), found by UID when both sides know it, else by name.

    kube-state-metrics v1 names count only for pods the v2 names do not report.
    """

    def __init__(self, v2: dict[PodKey, list[float]], v1: dict[PodKey, list[float]]) -> None:
        self.by_uid: dict[PodKey, tuple[float, float]] = {}
        self.by_name_without_uid: dict[tuple[str, str], tuple[float, float]] = {}
        self.by_name: dict[tuple[str, str], tuple[float, float]] = {}
        for source in (v2, v1):
            reported = set(self.by_name)
            for (namespace, pod, uid), (cpu, memory) in source.items():
                name = (namespace, pod)
                if source is v1 and name in reported:
                    continue
                if uid:
                    self.by_uid[(namespace, pod, uid)] = (cpu, memory)
                else:
                    self.by_name_without_uid[name] = (cpu, memory)
                self.by_name[name] = (cpu, memory)

    def find(self, namespace: str, pod: str, uid: str) -> tuple[float, float]:
        """Requests of a pod; (0, 0) when kube-state-metrics lists none (BestEffort)."""
        name = (namespace, pod)
        found = self.by_uid.get((namespace, pod, uid)) if uid else None
        if found is None:
            found = self.by_name_without_uid.get(name)
        if found is None and not uid:
            found = self.by_name.get(name)
        return found if found is not None else (0.0, 0.0)


def _key(labels: dict[str, str]) -> PodKey:
    """(namespace, pod, uid), interned: each answer decodes its own copies of the same names,
    and interning keeps one copy per name across answers and cycles (~100 MB at 100k pods)."""
    uid = labels.get("uid", "")
    if "_" in uid or not uid.islower():  # systemd cgroup paths write the UID with underscores
        uid = uid.replace("_", "-").lower()
    return intern(labels.get("namespace", "")), intern(labels.get("pod", "")), intern(uid)
