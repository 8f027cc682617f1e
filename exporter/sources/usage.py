"""Read pod usage, requests, owners and OpenCost prices from Prometheus in one go."""

import asyncio
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from sys import intern
from typing import TypeVar

import msgspec

from exporter import queries
from exporter.gcpause import collector_paused, without_collector
from exporter.sources.prometheus import PrometheusClient, Sample

T = TypeVar("T")
PodKey = tuple[str, str, str]  # namespace, pod, uid ("" when no source knows it)


class PodLabels(msgspec.Struct, gc=False):
    """The labels the cycle's queries group by, decoded from each sample (the others are
    skipped unread); a label a sample lacks is ""."""

    namespace: str = ""
    pod: str = ""
    uid: str = ""
    node: str = ""
    resource: str = ""
    owner_kind: str = ""
    owner_name: str = ""


Labelled = Iterable[tuple[PodLabels, float]]


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
    """One answer by pod key: an observation (CPU), a value (memory) or [cpu, memory] (requests)."""

    values: dict
    dropped: int


async def read_usage(client: PrometheusClient, window_seconds: int, at: float | None = None) -> UsageReading:
    """Run the cycle's queries concurrently and join them per pod (keyed on UID).

    Each answer is turned into a compact index as its samples are decoded, one at a time, and
    the gate lets one body in at a time: the queries run concurrently, but at 100k pods only one
    ~30 MB body and no decoded answer is alive beside the indexes. Raises SourceError when
    Prometheus fails: a partial reading is never returned.
    """
    gate = asyncio.Semaphore(1)

    async def fetch(promql: str, convert: Callable[[Labelled], T]) -> T:
        return await client.query_each(promql, convert, PodLabels, at, gate)

    # One pause of the cyclic collector for the whole read (gcpause.py): the decoded answers
    # and their indexes are walked once after it, not at every young pass while they build up.
    with collector_paused():
        cpu, memory, req_v2, req_v1, ksm, owners, prices = await asyncio.gather(
            fetch(queries.pod_cpu_cores(window_seconds), index_cpu),
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
    """Join query answers with label dicts, as `PrometheusClient.query` gives them (see `join`)."""
    return join(index_cpu(_labelled(cpu)), index_values(_labelled(memory)), index_requests(_labelled(req_v2)),
                index_requests(_labelled(req_v1)), ksm_present, index_owners(_labelled(owners)),
                index_prices(_labelled(prices)))


def _labelled(samples: list[Sample]) -> list[tuple[PodLabels, float]]:
    return [(msgspec.convert(labels, PodLabels), value) for labels, value in samples]


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
    pods: dict[PodKey, PodObservation] = cpu.values
    memory_of = memory.values
    for key, pod in pods.items():
        pod.memory_bytes = memory_of.get(key, 0.0)
    if ksm_present:
        _Requests(req_v2.values, req_v1.values).apply(pods.values())
    for key, pod in pods.items():
        owner = owners.get(key) or owners.get((key[0], key[1], ""))
        if owner is not None:
            pod.owner_kind, pod.owner_name = owner
    # A memory sample of a pod without CPU is not an error; a bad one is, wherever it is.
    dropped = cpu.dropped + memory.dropped + req_v2.dropped + req_v1.dropped
    return UsageReading(pods, ksm_present, dropped, prices)


@without_collector
def index_cpu(samples: Labelled) -> Indexed:
    """Per pod key: the pod's observation, with its cores and cAdvisor's node. The CPU answer
    decides which pods are observed, so its index is the join's result, not a copy of it.
    Invalid values are counted, not kept."""
    pods: dict[PodKey, PodObservation] = {}
    dropped = 0
    for labels, value in samples:
        if 0.0 <= value < math.inf:
            key = _key(labels)
            pods[key] = PodObservation(key[0], key[1], key[2], intern(labels.node), value)
        else:
            dropped += 1
    return Indexed(pods, dropped)


@without_collector
def index_values(samples: Labelled) -> Indexed:
    """Per pod key: the value; invalid values are counted, not kept."""
    values: dict[PodKey, float] = {}
    dropped = 0
    for labels, value in samples:
        if 0.0 <= value < math.inf:
            values[_key(labels)] = value
        else:
            dropped += 1
    return Indexed(values, dropped)


@without_collector
def index_requests(samples: Labelled) -> Indexed:
    """Per pod key: [cpu cores, memory bytes] requested."""
    values: dict[PodKey, list[float]] = {}
    dropped = 0
    for labels, value in samples:
        if not 0.0 <= value < math.inf:
            dropped += 1
            continue
        slot = 0 if labels.resource == "cpu" else 1
        values.setdefault(_key(labels), [0.0, 0.0])[slot] = value
    return Indexed(values, dropped)


@without_collector
def index_owners(samples: Labelled) -> dict[PodKey, tuple[str, str]]:
    """Per pod key (and per name without UID): the controlling owner's kind and name, interned
    (a ReplicaSet's pods share one copy)."""
    owners: dict[PodKey, tuple[str, str]] = {}
    for labels, _ in samples:
        owner = (intern(labels.owner_kind), intern(labels.owner_name))
        key = _key(labels)
        owners[key] = owner
        owners.setdefault((key[0], key[1], ""), owner)
    return owners


def index_prices(samples: Labelled) -> dict[str, tuple[float, float]]:
    """OpenCost prices per node: (per vCPU-hour, per GiB-hour); nodes lacking either are left out."""
    found: dict[str, list[float]] = {}
    for labels, value in samples:
        if 0.0 <= value < math.inf:
            slot = 0 if labels.resource == "cpu" else 1
            found.setdefault(labels.node, [math.nan, math.nan])[slot] = value
    return {node: (p[0], p[1]) for node, p in found.items() if not math.isnan(p[0] + p[1])}


class _Requests:
    """Requests per pod (cores, bytes), found by UID when both sides know it, else by name.

    kube-state-metrics v1 names count only for pods the v2 names do not report. Pods are
    looked up in the answers' own indexes: copies of them by UID and by name held ~20 MB
    more at 100k pods, for lookups that only pods without a UID need.
    """

    def __init__(self, v2: dict[PodKey, list[float]], v1: dict[PodKey, list[float]]) -> None:
        if v1:  # usually empty: kube-state-metrics v2 has no v1 names
            reported = {key[:2] for key in v2}
            v1 = {key: value for key, value in v1.items() if key[:2] not in reported}
        self.sources = (v2, v1)

    def apply(self, pods: Iterable[PodObservation]) -> None:
        """Set each pod's requests; (0, 0) when kube-state-metrics lists none (BestEffort)."""
        by_name = []
        for pod in pods:
            found = self._get((pod.namespace, pod.pod, pod.uid)) if pod.uid else None
            if found is None:
                found = self._get((pod.namespace, pod.pod, ""))
            if found is None and not pod.uid:
                by_name.append(pod)  # any entry of its name will do: found below
                continue
            pod.cpu_request_cores, pod.memory_request_bytes = found if found is not None else (0.0, 0.0)
        if by_name:
            last = self._last_of({(pod.namespace, pod.pod) for pod in by_name})
            for pod in by_name:
                pod.cpu_request_cores, pod.memory_request_bytes = last.get((pod.namespace, pod.pod), (0.0, 0.0))

    def _get(self, key: PodKey) -> list[float] | None:
        v2, v1 = self.sources
        found = v2.get(key)
        return v1.get(key) if found is None else found

    def _last_of(self, names: set[tuple[str, str]]) -> dict[tuple[str, str], list[float]]:
        """The last entry of each name, v2 then v1 (the names of both never overlap)."""
        last = {}
        for source in self.sources:
            for key, value in source.items():
                if key[:2] in names:
                    last[key[:2]] = value
        return last


def _key(labels: PodLabels) -> PodKey:
    """(namespace, pod, uid), interned: each answer decodes its own copies of the same names,
    and interning keeps one copy per name across answers and cycles (~100 MB at 100k pods)."""
    uid = labels.uid
    if "_" in uid or not uid.islower():  # systemd cgroup paths write the UID with underscores
        uid = uid.replace("_", "-").lower()
    return intern(labels.namespace), intern(labels.pod), intern(uid)
