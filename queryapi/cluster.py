"""Read the cluster snapshot: run the cluster queries at `to` and assemble ClusterMetrics."""

import asyncio
import math
from collections.abc import Mapping

from exporter.catalogue import CLUSTER_SUSTAINABILITY_SCORE, POD_CO2E, POD_COST, POD_EMBODIED_CO2E, POD_ENERGY
from queryapi import promql
from queryapi.engine import QueryEngine
from queryapi.gather import Key, gather_all, index, run_queries
from queryapi.models import ClusterMetrics, WindowParams

JOULES_PER_KWH = 3_600_000.0


async def read_cluster_metrics(
    engine: QueryEngine, window: WindowParams, currency: str, power_window_seconds: int
) -> ClusterMetrics:
    """Totals over the window (pods plus unallocated node idle), power at `to`, counts.

    Units: energy joules and kWh (IT energy, before PUE), carbon grams CO2e, cost in
    `currency`, power watts. A window without data gives zeros, not an error.
    """
    seconds = window.seconds
    queries = {
        "operational": promql.cluster_increase(POD_CO2E, seconds),
        "embodied": promql.cluster_increase(POD_EMBODIED_CO2E, seconds),
        "cost": promql.cluster_increase(POD_COST, seconds),
        "power": promql.cluster_power(power_window_seconds),
        "pods": promql.count_pods(seconds),
        "namespaces": promql.count_namespaces(seconds),
        "nodes": promql.count_nodes(seconds),
    }
    # Energy per node (pods plus unallocated) and PUE per node: the total, and the energy drawn
    # from the grid for the intensity, from one read of the energy series.
    per_node = {"energy": promql.node_increase(POD_ENERGY, seconds), "pue": promql.node_pue(seconds)}
    values, by_node, score = await gather_all([
        _run_all(engine, queries, window), run_queries(engine, per_node, window.to), _read_score(engine, window)])
    values["energy"], facility = energy_and_grid_energy(index(by_node["energy"], ("node",)),
                                                        index(by_node["pue"], ("node",), add=False))

    kwh = values["energy"] / JOULES_PER_KWH
    return ClusterMetrics(
        total_carbon_grams=values["operational"] + values["embodied"],
        operational_carbon_grams=values["operational"],
        embodied_carbon_grams=values["embodied"],
        total_energy_joules=values["energy"],
        total_energy_kwh=kwh,
        total_cost=values["cost"],
        currency=currency,
        power_watts=values["power"],
        pod_count=round(values["pods"]),
        namespace_count=round(values["namespaces"]),
        node_count=round(values["nodes"]),
        grid_intensity_grams_per_kwh=grid_intensity(values["operational"], facility),
        sustainability_score=score,
        from_=window.from_,
        to=window.to,
    )


def energy_and_grid_energy(energy_by: Mapping[Key, float], pue_by_node: Mapping[Key, float]) -> tuple[float, float]:
    """Total IT energy (J) of groups keyed by (..., node), and the energy drawn from the grid
    for it: each node's part times that node's PUE (a node without a PUE draws none known)."""
    total = sum(energy_by.values())
    grid = sum(joules * pue_by_node.get(key[-1:], 0.0) for key, joules in energy_by.items())
    return total, grid


def grid_intensity(operational_grams: float, facility_joules: float) -> float | None:
    """Energy-weighted grid intensity (g CO2e/kWh): operational grams over the kWh drawn from
    the grid (IT energy x PUE) in the same window; None without energy."""
    kwh = facility_joules / JOULES_PER_KWH
    return operational_grams / kwh if kwh > 0 else None


async def _read_score(engine: QueryEngine, window: WindowParams) -> float | None:
    """The cluster's sustainability score (0..100), last in the window; None until published."""
    samples = await engine.query(promql.latest(CLUSTER_SUSTAINABILITY_SCORE, window.seconds), window.to)
    return samples[0][1] if len(samples) == 1 and math.isfinite(samples[0][1]) else None


async def _run_all(engine: QueryEngine, queries: dict[str, str], window: WindowParams) -> dict[str, float]:
    """Run every query concurrently at `to`; when some fail, raise the first one's error."""
    results = await asyncio.gather(
        *(engine.query_value(query, window.to) for query in queries.values()), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return dict(zip(queries, results, strict=True))
