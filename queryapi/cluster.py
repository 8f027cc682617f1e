"""Read the cluster snapshot: run the cluster queries at `to` and assemble ClusterMetrics."""

import asyncio

from exporter.catalogue import POD_CO2E, POD_COST, POD_EMBODIED_CO2E, POD_ENERGY
from queryapi import promql
from queryapi.engine import QueryEngine
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
        "energy": promql.cluster_increase(POD_ENERGY, seconds),
        "operational": promql.cluster_increase(POD_CO2E, seconds),
        "embodied": promql.cluster_increase(POD_EMBODIED_CO2E, seconds),
        "cost": promql.cluster_increase(POD_COST, seconds),
        "power": promql.cluster_power(power_window_seconds),
        "pods": promql.count_pods(seconds),
        "namespaces": promql.count_namespaces(seconds),
        "nodes": promql.count_nodes(seconds),
    }
    values = await _run_all(engine, queries, window)

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
        # Energy-weighted by construction: total grams over total kWh of the same window.
        grid_intensity_grams_per_kwh=values["operational"] / kwh if kwh > 0 else None,
        from_=window.from_,
        to=window.to,
    )


async def _run_all(engine: QueryEngine, queries: dict[str, str], window: WindowParams) -> dict[str, float]:
    """Run every query concurrently at `to`; when some fail, raise the first one's error."""
    results = await asyncio.gather(
        *(engine.query_value(query, window.to) for query in queries.values()), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return dict(zip(queries, results, strict=True))
