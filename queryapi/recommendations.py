"""Recommendations read from the exporter's recommendation series (catalogue RECOMMENDATION_*).

Every series of one recommendation carries the same labels (id, type, severity, scope,
namespace, target), so filters are label matchers and no join is needed: the reader indexes
each answer by `id`. Active means "has a sample at `to`" (the engine's 5-minute lookback);
the history takes every recommendation with a sample in the window, with its first and last
sample times. Until the recommendation engine publishes series, every answer is empty.
"""

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from exporter.catalogue import (
    RECOMMENDATION_CURRENT,
    RECOMMENDATION_INFO,
    RECOMMENDATION_RECOMMENDED,
    RECOMMENDATION_SAVINGS_CO2E,
    RECOMMENDATION_SAVINGS_COST,
    RECOMMENDATION_SAVINGS_ENERGY,
)
from exporter.sources.prometheus import Sample
from queryapi import promql
from queryapi.engine import QueryEngine
from queryapi.gather import first_labels, index, run_queries
from queryapi.listing import page
from queryapi.params import RecommendationFilters, RecommendationParams
from queryapi.results import (
    Recommendation,
    RecommendationHistory,
    RecommendationList,
    RecommendationSummary,
    Savings,
    SeenRecommendation,
)

log = logging.getLogger("greenkube.queryapi")
JOULES_PER_KWH = 3_600_000.0
SEVERITIES = ("critical", "warning", "info")
SCOPES = ("pod", "workload", "namespace", "node")
_FIGURES = {
    "energy": RECOMMENDATION_SAVINGS_ENERGY, "co2e": RECOMMENDATION_SAVINGS_CO2E,
    "cost": RECOMMENDATION_SAVINGS_COST, "current": RECOMMENDATION_CURRENT,
    "recommended": RECOMMENDATION_RECOMMENDED,
}
# Lookup steps of first_seen: one minute for windows up to a day, else as many as a day of
# minutes holds, but at most 5 minutes, the engine's lookback, so that no sample is skipped.
MIN_STEP_SECONDS, MAX_STEP_SECONDS, STEPS = 60, 300, 1440


def _active_queries(matchers: dict[str, str], window_seconds: int | None) -> dict[str, str]:
    """Info and figures: at `to` (window None), or the last value in the window."""
    metrics = {"info": RECOMMENDATION_INFO, **_FIGURES}
    if window_seconds is None:
        return {name: promql.selector(metric.name, matchers) for name, metric in metrics.items()}
    return {name: promql.latest(metric, window_seconds, matchers) for name, metric in metrics.items()}


def _build(samples: dict[str, list[Sample]], currency: str) -> list[Recommendation]:
    """One Recommendation per id with a valid severity and scope, ordered by severity then id."""
    infos = first_labels(samples["info"], ("id",))
    # Gauges of one recommendation: a duplicate series (two exporter replicas) is not added.
    values = {name: index(samples[name], ("id",), add=False) for name in _FIGURES}
    units = {key: labels.get("unit") for key, labels in first_labels(samples["current"], ("id",)).items()}
    items = []
    for key, labels in infos.items():
        if not key[0] or labels.get("severity") not in SEVERITIES or labels.get("scope") not in SCOPES:
            log.warning("left out recommendation %r: severity %s, scope %s", key[0], labels.get("severity"),
                        labels.get("scope"))
            continue
        figures = {name: values[name].get(key) for name in _FIGURES}
        items.append(_recommendation(labels, figures, units.get(key), currency))
    return sorted(items, key=lambda item: (SEVERITIES.index(item.severity), item.id))


def _recommendation(labels: dict[str, str], figures: dict[str, float | None], unit: str | None,
                    currency: str) -> Recommendation:
    kwh = (figures["energy"] or 0.0) / JOULES_PER_KWH
    co2e, cost = figures["co2e"] or 0.0, figures["cost"] or 0.0
    where = f" in namespace {labels['namespace']}" if labels.get("namespace") else ""
    change = ""
    if figures["current"] is not None and figures["recommended"] is not None:
        change = f": {figures['current']:g} -> {figures['recommended']:g} {unit or ''}".rstrip()
    message = (f"{labels.get('type', '')} for {labels['scope']} {labels.get('target', '')}{where}{change}; "
               f"saves {kwh:.4g} kWh, {co2e:.4g} g CO2e and {cost:.2f} {currency} a year")
    return Recommendation(
        id=labels["id"], type=labels.get("type", ""), severity=labels["severity"], scope=labels["scope"],
        namespace=labels.get("namespace") or None, target=labels.get("target", ""), message=message,
        current_value=figures["current"], recommended_value=figures["recommended"], unit=unit,
        savings_energy_kwh_per_year=kwh, savings_co2e_grams_per_year=co2e, savings_cost_per_year=cost,
        currency=currency,
    )


async def read_active(engine: QueryEngine, params: RecommendationFilters, currency: str) -> list[Recommendation]:
    """Recommendations active at `to` matching the filters (savings per year: kWh, g, currency)."""
    samples = await run_queries(engine, _active_queries(params.matchers(), None), params.to)
    return _build(samples, currency)


async def read_list(engine: QueryEngine, params: RecommendationParams, currency: str) -> RecommendationList:
    """A page of the active recommendations, critical first, then by id."""
    items = await read_active(engine, params, currency)
    return RecommendationList(total=len(items), offset=params.offset, limit=params.limit, from_=params.from_,
                              to=params.to, items=page(items, params.offset, params.limit))


async def read_history(engine: QueryEngine, params: RecommendationParams, currency: str) -> RecommendationHistory:
    """Recommendations with a sample in the window, with their latest figures in it and the
    times (UTC) of their first and last samples; critical first, then by id."""
    seconds, matchers = params.seconds, params.matchers()
    step = min(MAX_STEP_SECONDS, max(MIN_STEP_SECONDS, seconds // STEPS))
    queries = _active_queries(matchers, seconds) | {
        "first": promql.seen_timestamp(RECOMMENDATION_INFO, seconds, step, first=True, matchers=matchers),
        "last": promql.seen_timestamp(RECOMMENDATION_INFO, seconds, step, first=False, matchers=matchers),
    }
    samples = await run_queries(engine, queries, params.to)
    first, last = index(samples["first"], ("id",), add=False), index(samples["last"], ("id",), add=False)

    items = []
    for item in _build(samples, currency):
        key = (item.id,)
        # A recommendation seen only between two lookups (shorter than a step) has no
        # reading: its last sample time is then the best bound on both ends.
        seen_last = last.get(key, first.get(key, params.to.timestamp()))
        seen_first = min(first.get(key, seen_last), seen_last)
        items.append(SeenRecommendation(**item.model_dump(), first_seen=_utc(seen_first), last_seen=_utc(seen_last)))
    return RecommendationHistory(total=len(items), offset=params.offset, limit=params.limit, from_=params.from_,
                                 to=params.to, items=page(items, params.offset, params.limit))


async def read_summary(engine: QueryEngine, params: RecommendationFilters, currency: str) -> RecommendationSummary:
    """Savings per year of the active recommendations: in all, by type and by severity."""
    items = await read_active(engine, params, currency)
    by_type = {kind: _savings([i for i in items if i.type == kind]) for kind in sorted({i.type for i in items})}
    by_severity = {level: _savings([i for i in items if i.severity == level])
                   for level in SEVERITIES if any(i.severity == level for i in items)}
    return RecommendationSummary(total=_savings(items), by_type=by_type, by_severity=by_severity,
                                 currency=currency, at=params.to)


def _savings(items: Sequence[Recommendation]) -> Savings:
    return Savings(
        count=len(items),
        energy_kwh_per_year=sum(item.savings_energy_kwh_per_year for item in items),
        co2e_grams_per_year=sum(item.savings_co2e_grams_per_year for item in items),
        cost_per_year=sum(item.savings_cost_per_year for item in items),
    )


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(round(seconds), UTC)
