"""Read the cluster snapshot: run the cluster queries at `to` and assemble ClusterMetrics."""

import asyncio
import math

from exporter.catalogue import CLUSTER_SUSTAINABILITY_SCORE, POD_CO2E, POD_COST, POD_EMBODIED_CO2E, POD_ENERGY
from queryapi import promql
from queryapi.engine import QueryEngine
from queryapi.gather import gather_all
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
        "facility_energy": promql.cluster_facility_energy(seconds),
        "power": promql.cluster_power(power_window_seconds),
        "pods": promql.count_pods(seconds),
        "namespaces": promql.count_namespaces(seconds),
        "nodes": promql.count_nodes(seconds),
    }
    values, score = await gather_all([_run_all(engine, queries, window), _read_score(engine, window)])

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
        grid_intensity_grams_per_kwh=grid_intensity(values["operational"], values["facility_energy"]),
        sustainability_score=score,
        from_=window.from_,
        to=window.to,
    )


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
