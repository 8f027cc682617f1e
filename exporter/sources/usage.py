"""Read pod usage, requests, owners and OpenCost prices from Prometheus in one go."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import msgspec

from exporter import queries
from exporter.gcpause import collector_paused, without_collector
from exporter.sources.answers import (
    Indexed,
    Labelled,
    PodKey,
    PodLabels,
    PodObservation,
    Requests,
    add_memory,
    add_owners,
    add_requests,
    index_cpu,
    index_prices,
    index_requests,
)
from exporter.sources.prometheus import PrometheusClient, Sample

__all__ = ["PodKey", "PodObservation", "UsageReading", "join_usage", "read_usage"]

T = TypeVar("T")


@dataclass(slots=True)
class UsageReading:
    pods: dict[PodKey, PodObservation]
    requests_known: bool
    dropped_samples: int
    node_prices: dict[str, tuple[float, float]] = field(default_factory=dict)


async def read_usage(client: PrometheusClient, window_seconds: int, at: float | None = None) -> UsageReading:
    """Run the cycle's queries concurrently and join them per pod (keyed on UID).

    Every answer is consumed as its samples are decoded, one at a time, and the bodies are let
    in one at a time, the CPU answer's first: it makes the pods' observations, and the memory,
    requests and owner answers are written into them. At 100k pods that leaves one ~30 MB body
    beside the observations. Raises SourceError when Prometheus fails: a partial reading is
    never returned.
    """
    gate = asyncio.Semaphore(1)
    # One pause of the cyclic collector for the whole read (gcpause.py): the observations and
    # indexes are walked once after it, not at every young pass while they build up.
    with collector_paused():
        cpu = asyncio.ensure_future(
            client.query_each(queries.pod_cpu_cores(window_seconds), index_cpu, PodLabels, at, gate))
        after_cpu = _After(cpu, gate)

        def fetch(promql: str, convert: Callable[[Labelled], T]):
            return client.query_each(promql, convert, PodLabels, at, after_cpu)

        def onto_pods(apply: Callable[[dict, Labelled], T]) -> Callable[[Labelled], T]:
            return lambda samples: apply(cpu.result().values, samples)

        _, memory_dropped, req_v2, req_v1, ksm, _, prices = await asyncio.gather(
            cpu,
            fetch(queries.pod_memory_bytes(window_seconds), onto_pods(add_memory)),
            fetch(queries.pod_requests_v2(), onto_pods(add_requests)),
            fetch(queries.pod_requests_v1(), index_requests),
            fetch(queries.kube_state_metrics_present(), bool),
            fetch(queries.pod_owners(), onto_pods(add_owners)),
            fetch(queries.opencost_node_prices(), index_prices),
        )
        return join(cpu.result(), memory_dropped, req_v2, req_v1, ksm, prices)


class _After:
    """`gate`, entered only once `first` is done: the answers written into the CPU answer's
    observations wait for it (their queries still run concurrently with it in Prometheus)."""

    def __init__(self, first: asyncio.Future, gate: asyncio.Semaphore):
        self._first, self._gate = first, gate

    async def __aenter__(self) -> None:
        await asyncio.wait([self._first])  # a failure is raised by its own task
        await self._gate.acquire()

    async def __aexit__(self, *_: object) -> None:
        self._gate.release()


def join_usage(
    cpu: list[Sample], memory: list[Sample], req_v2: list[Sample], req_v1: list[Sample],
    ksm_present: bool, owners: list[Sample], prices: list[Sample],
) -> UsageReading:
    """Join query answers with label dicts, as `PrometheusClient.query` gives them (see `join`)."""
    observed = index_cpu(_labelled(cpu))
    memory_dropped = add_memory(observed.values, _labelled(memory))
    requests = add_requests(observed.values, _labelled(req_v2))
    add_owners(observed.values, _labelled(owners))
    return join(observed, memory_dropped, requests, index_requests(_labelled(req_v1)), ksm_present,
                index_prices(_labelled(prices)))


def _labelled(samples: list[Sample]) -> list[tuple[PodLabels, float]]:
    return [(msgspec.convert(labels, PodLabels), value) for labels, value in samples]


@without_collector
def join(
    cpu: Indexed, memory_dropped: int, req_v2: Indexed, req_v1: Indexed, ksm_present: bool,
    prices: dict[str, tuple[float, float]],
) -> UsageReading:
    """The reading: the CPU answer's observations (memory, owners, requests by UID written in).

    A pod is observed when it has a valid CPU sample. Requests are 0 for pods kube-state-metrics
    lists without requests (BestEffort) and None for every pod when kube-state-metrics is absent.
    NaN, Inf and negative samples were dropped by the consumers and are counted here.
    """
    pods: dict[PodKey, PodObservation] = cpu.values
    if ksm_present:
        Requests(req_v2.values, req_v1.values).apply([p for p in pods.values() if p.cpu_request_cores is None])
    else:
        for pod in pods.values():
            pod.cpu_request_cores = pod.memory_request_bytes = None
    dropped = cpu.dropped + memory_dropped + req_v2.dropped + req_v1.dropped
    return UsageReading(pods, ksm_present, dropped, prices)
