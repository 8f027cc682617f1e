"""Consumers of the cycle's Prometheus answers, each fed one decoded sample at a time.

The CPU answer makes one observation per pod; the memory and owner answers are written
straight into those observations, so they need no index of their own. Requests and prices are
indexed: kube-state-metrics v1 and v2 are reconciled once both are read (see `Requests`).
NaN, Inf and negative values are counted, never kept.
"""

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from sys import intern

import msgspec

from exporter.gcpause import without_collector

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
class Indexed:
    """One answer by pod key: an observation (CPU) or [cpu, memory] (requests); invalid samples counted."""

    values: dict
    dropped: int


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
def add_memory(pods: dict[PodKey, PodObservation], samples: Labelled) -> int:
    """Write each pod's working-set bytes (its key's last valid sample) into its observation;
    return how many samples were invalid. A sample of a pod without CPU is not an error."""
    dropped = 0
    for labels, value in samples:
        if 0.0 <= value < math.inf:
            pod = pods.get(_key(labels))
            if pod is not None:
                pod.memory_bytes = value
        else:
            dropped += 1
    return dropped


@without_collector
def index_requests(samples: Labelled) -> Indexed:
    """Per pod key: [cpu cores, memory bytes] requested (kube-state-metrics v1 names)."""
    values, dropped = _request_entries(samples, None)
    return Indexed(values, dropped)


@without_collector
def add_requests(pods: dict[PodKey, PodObservation], samples: Collection[tuple[PodLabels, float]]) -> Indexed:
    """Write the requests kube-state-metrics v2 lists under a pod's own UID into its observation
    (cores, bytes; a resource it does not list is 0), and index the samples only for the names
    of the pods left without: `Requests` finds theirs (by name, or v1). One index entry per pod
    was ~20 MB at 100k pods. Invalid values are counted, not kept."""
    dropped = 0
    for labels, value in samples:
        if not 0.0 <= value < math.inf:
            dropped += 1
            continue
        key = _key(labels)
        pod = pods.get(key) if key[2] else None
        if pod is not None:
            if pod.cpu_request_cores is None:  # first sample of the pod
                pod.cpu_request_cores = pod.memory_request_bytes = 0.0
            if labels.resource == "cpu":
                pod.cpu_request_cores = value
            else:
                pod.memory_request_bytes = value
    names = {key[:2] for key, pod in pods.items() if pod.cpu_request_cores is None}
    return Indexed(_request_entries(samples, names)[0] if names else {}, dropped)


def _request_entries(samples: Labelled, names: set[tuple[str, str]] | None) -> tuple[dict, int]:
    """Per pod key (of `names` only, unless None): [cpu cores, memory bytes]; and the invalid count."""
    values: dict[PodKey, list[float]] = {}
    dropped = 0
    for labels, value in samples:
        if not 0.0 <= value < math.inf:
            dropped += 1
            continue
        key = _key(labels)
        if names is None or key[:2] in names:
            values.setdefault(key, [0.0, 0.0])[0 if labels.resource == "cpu" else 1] = value
    return values, dropped


@without_collector
def add_owners(pods: dict[PodKey, PodObservation], samples: Collection[tuple[PodLabels, float]]) -> None:
    """Write each pod's controlling owner (kind, name; interned: a ReplicaSet's pods share them)
    into its observation: its own key's last sample, else by name (`_owners_by_name`).

    Pods without a UID, or whose UID kube-state-metrics does not list (static pods), are found
    by a second pass over the samples for their names only, rather than by indexing every
    sample by name (~25 MB at 100k pods).
    """
    matched: set[PodKey] = set()
    for labels, _ in samples:
        key = _key(labels)
        pod = pods.get(key)
        if pod is not None and key[2]:
            pod.owner_kind, pod.owner_name = intern(labels.owner_kind), intern(labels.owner_name)
            matched.add(key)
    rest = [pod for key, pod in pods.items() if key not in matched]
    if rest:
        by_name = _owners_by_name(samples, {(pod.namespace, pod.pod) for pod in rest})
        for pod in rest:
            owner = by_name.get((pod.namespace, pod.pod))
            if owner is not None:
                pod.owner_kind, pod.owner_name = owner


def _owners_by_name(samples: Iterable[tuple[PodLabels, float]], names: set[tuple[str, str]]) -> dict:
    """Per name of `names`: the owner of its last sample without a UID, else of its first one."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for labels, _ in samples:
        key = _key(labels)
        if key[:2] in names:
            owner = (intern(labels.owner_kind), intern(labels.owner_name))
            if key[2]:
                found.setdefault(key[:2], owner)
            else:
                found[key[:2]] = owner
    return found


def index_prices(samples: Labelled) -> dict[str, tuple[float, float]]:
    """OpenCost prices per node: (per vCPU-hour, per GiB-hour); nodes lacking either are left out."""
    found: dict[str, list[float]] = {}
    for labels, value in samples:
        if 0.0 <= value < math.inf:
            slot = 0 if labels.resource == "cpu" else 1
            found.setdefault(labels.node, [math.nan, math.nan])[slot] = value
    return {node: (p[0], p[1]) for node, p in found.items() if not math.isnan(p[0] + p[1])}


class Requests:
    """Requests of the pods `add_requests` left without (cores, bytes), found by UID when both
    sides know it, else by name.

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
