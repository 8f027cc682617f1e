"""Per-namespace, per-node and per-pod figures over a window (the /api/v1/metrics/* lists).

All queries run at `to` over the window `to - from` (raw series, like /api/v1/metrics):
totals are counter increase(), power is rate() over the power window before `to`, gauges are
averages over the window, facts (node info, capacities, PUE, scores) the last value in it.
Namespace totals cover their pods only; node totals add the node's unallocated counters.
"""

from dataclasses import dataclass

from exporter.catalogue import (
    GRID_INTENSITY,
    NODE_CPU_CAPACITY,
    NODE_INFO,
    NODE_MEMORY_CAPACITY,
    NODE_PUE,
    POD_CO2E,
    POD_COST,
    POD_CPU_REQUEST,
    POD_CPU_USAGE,
    POD_EMBODIED_CO2E,
    POD_ENERGY,
    POD_INFO,
    POD_MEMORY_REQUEST,
    POD_MEMORY_USAGE,
    SUSTAINABILITY_SCORE,
)
from queryapi import promql
from queryapi.cluster import energy_and_grid_energy, grid_intensity
from queryapi.engine import QueryEngine
from queryapi.gather import Key, first_labels, index, run_queries
from queryapi.listing import page, sort_items
from queryapi.params import NamespaceListParams, NodeListParams, PodListParams
from queryapi.results import NamespaceList, NamespaceMetrics, NodeList, NodeMetrics, PodList, PodMetrics

JOULES_PER_KWH = 3_600_000.0
POD_KEY = ("namespace", "pod", "node")
_COUNTERS = {"energy": POD_ENERGY, "operational": POD_CO2E, "embodied": POD_EMBODIED_CO2E, "cost": POD_COST}


@dataclass(frozen=True)
class Context:
    """What every list needs besides its parameters: the engine, currency, power window (s)."""

    engine: QueryEngine
    currency: str
    power_window_seconds: int


def _matchers(**given: str | None) -> dict[str, str]:
    return {name: value for name, value in given.items() if value is not None}


def _totals(values: dict[str, dict[Key, float]], key: Key, currency: str) -> dict[str, float | str]:
    """The Totals fields of one group from the counter and power answers (absent: 0)."""
    energy, operational, embodied = (values[name].get(key, 0.0) for name in ("energy", "operational", "embodied"))
    return {
        "total_carbon_grams": operational + embodied, "operational_carbon_grams": operational,
        "embodied_carbon_grams": embodied, "total_energy_joules": energy,
        "total_energy_kwh": energy / JOULES_PER_KWH, "total_cost": values["cost"].get(key, 0.0),
        "currency": currency, "power_watts": values["power"].get(key, 0.0),
    }


async def read_namespaces(ctx: Context, params: NamespaceListParams) -> NamespaceList:
    """Namespaces with pod energy data in the window: totals (J, kWh, g CO2e, currency), power
    at `to` (W), pod and node counts, intensity (g/kWh) and score; sorted and paged."""
    seconds, matchers, by = params.seconds, _matchers(namespace=params.namespace), ("namespace",)
    queries = {name: promql.increase_by(counter, by, seconds, matchers)
               for name, counter in _COUNTERS.items() if name != "energy"}
    queries |= {
        # Energy per namespace and node, with each node's PUE: the namespace's energy and the
        # energy it drew from the grid (for the intensity) from one read of the energy series.
        "energy_by_node": promql.increase_by(POD_ENERGY, ("namespace", "node"), seconds, matchers),
        "pue": promql.node_pue(seconds),
        "power": promql.power_by(by, ctx.power_window_seconds, matchers),
        "pods": promql.count_by(by, ("namespace", "pod"), seconds, matchers),
        "nodes": promql.count_by(by, ("namespace", "node"), seconds, matchers),
        "score": promql.latest(SUSTAINABILITY_SCORE, seconds, matchers),
    }
    answers = await run_queries(ctx.engine, queries, params.to)
    values = {name: index(samples, by, add=name != "score") for name, samples in answers.items()
              if name not in ("energy_by_node", "pue")}
    values["energy"], grid_energy = _namespace_energy(index(answers["energy_by_node"], ("namespace", "node")),
                                                      index(answers["pue"], ("node",), add=False))

    items = []
    for key in sorted(values["pods"].keys() | values["energy"].keys()):
        totals = _totals(values, key, ctx.currency)
        items.append(NamespaceMetrics(
            namespace=key[0], **totals, pod_count=round(values["pods"].get(key, 0)),
            node_count=round(values["nodes"].get(key, 0)), sustainability_score=values["score"].get(key),
            grid_intensity_grams_per_kwh=grid_intensity(totals["operational_carbon_grams"], grid_energy.get(key, 0.0)),
        ))
    ordered = sort_items(items, ("namespace",), params.sort, params.order)
    return NamespaceList(total=len(items), offset=params.offset, limit=params.limit, from_=params.from_,
                         to=params.to, items=page(ordered, params.offset, params.limit))


def _namespace_energy(by_node: dict[Key, float], pue: dict[Key, float]) -> tuple[dict[Key, float], dict[Key, float]]:
    """Per namespace: IT energy (J) and the energy drawn from the grid for it (J), from the
    energy per (namespace, node) and each node's PUE."""
    groups: dict[Key, dict[Key, float]] = {}
    for (namespace, node), joules in by_node.items():
        groups.setdefault((namespace,), {})[(node,)] = joules
    energy, grid = {}, {}
    for key, nodes in groups.items():
        energy[key], grid[key] = energy_and_grid_energy(nodes, pue)
    return energy, grid


async def read_nodes(ctx: Context, params: NodeListParams) -> NodeList:
    """Nodes with energy data or facts in the window: what the node used (pods plus unallocated:
    J, kWh, g CO2e, currency), power and CPU utilisation at `to`, facts and capacities."""
    seconds, matchers, by = params.seconds, _matchers(node=params.node), ("node",)
    queries = {name: promql.node_increase(counter, seconds, matchers) for name, counter in _COUNTERS.items()}
    queries |= {
        "power": promql.node_power(ctx.power_window_seconds, matchers),
        "usage": promql.average_by(POD_CPU_USAGE, by, ctx.power_window_seconds, matchers),
        "info": promql.latest(NODE_INFO, seconds, matchers),
        "pue": promql.latest(NODE_PUE, seconds, matchers),
        "cpu": promql.latest(NODE_CPU_CAPACITY, seconds, matchers),
        "memory": promql.latest(NODE_MEMORY_CAPACITY, seconds, matchers),
        "intensity": promql.latest(GRID_INTENSITY, seconds),
    }
    answers = await run_queries(ctx.engine, queries, params.to)
    facts_named = ("pue", "cpu", "memory")
    values = {name: index(answers[name], by, add=name not in facts_named)
              for name in queries if name not in ("info", "intensity")}
    facts = first_labels(answers["info"], by)
    intensities = index(answers["intensity"], ("zone", "source"), add=False)

    items = [_node(key, values, facts.get(key, {}), intensities, ctx.currency)
             for key in sorted(values["energy"].keys() | facts.keys())]
    ordered = sort_items(items, ("node",), params.sort, params.order)
    return NodeList(total=len(items), offset=params.offset, limit=params.limit, from_=params.from_,
                    to=params.to, items=page(ordered, params.offset, params.limit))


def _node(key: Key, values: dict[str, dict[Key, float]], facts: dict[str, str],
          intensities: dict[Key, float], currency: str) -> NodeMetrics:
    zone, source = facts.get("grid_zone"), facts.get("intensity_source")
    intensity = intensities.get((zone or "", source or ""))
    if intensity is None:  # the node's source is not the zone's current one: take any value of the zone
        intensity = next((value for (z, _), value in sorted(intensities.items()) if z == zone), None)
    capacity, usage = values["cpu"].get(key), values["usage"].get(key)
    return NodeMetrics(
        node=key[0], **_totals(values, key, currency),
        provider=facts.get("provider"), instance_type=facts.get("instance_type"), region=facts.get("region"),
        zone=facts.get("zone"), grid_zone=zone, grid_intensity_grams_per_kwh=intensity, intensity_source=source,
        pue=values["pue"].get(key), cpu_capacity_cores=capacity, memory_capacity_bytes=values["memory"].get(key),
        cpu_utilisation_ratio=(usage or 0.0) / capacity if capacity else None,
    )


async def read_pods(ctx: Context, params: PodListParams) -> PodList:
    """Pods with energy data or facts in the window: totals (J, kWh, g CO2e, currency), power at
    `to` (W), average CPU (cores) and memory (bytes) usage and requests, owner; sorted, paged."""
    seconds = params.seconds
    matchers = _matchers(namespace=params.namespace, node=params.node, pod=params.pod)
    gauges = {"cpu_usage_cores": POD_CPU_USAGE, "cpu_request_cores": POD_CPU_REQUEST,
              "memory_usage_bytes": POD_MEMORY_USAGE, "memory_request_bytes": POD_MEMORY_REQUEST}
    queries = {name: promql.increase_by(counter, POD_KEY, seconds, matchers) for name, counter in _COUNTERS.items()}
    # Pod series carry `uid`: the sums by POD_KEY add same-name twins (both live) together.
    # TODO(queryapi): a pod recreated under its name on the same node within the window adds
    # the old and the new UID's averages — its usage and requests read up to 2x the average.
    queries |= {name: promql.average_by(gauge, POD_KEY, seconds, matchers) for name, gauge in gauges.items()}
    queries |= {"power": promql.power_by(POD_KEY, ctx.power_window_seconds, matchers),
                "info": promql.latest(POD_INFO, seconds, matchers)}
    answers = await run_queries(ctx.engine, queries, params.to)
    values = {name: index(answers[name], POD_KEY) for name in queries if name != "info"}
    owners = first_labels(answers["info"], POD_KEY)

    items = []
    for key in sorted(values["energy"].keys() | owners.keys()):
        owner = owners.get(key, {})
        items.append(PodMetrics(
            namespace=key[0], pod=key[1], node=key[2], **_totals(values, key, ctx.currency),
            owner_kind=owner.get("owner_kind"), owner_name=owner.get("owner_name"),
            **{field: values[field].get(key) for field in gauges},
        ))
    ordered = sort_items(items, POD_KEY, params.sort, params.order)
    return PodList(total=len(items), offset=params.offset, limit=params.limit, from_=params.from_,
                   to=params.to, items=page(ordered, params.offset, params.limit))
