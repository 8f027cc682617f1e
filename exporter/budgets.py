"""Budgets and alert thresholds from the settings, exported as gauges for the alerting rules.

The rules in rules/greenkube-alerts.rules.yml compare usage with these series, so a new
namespace budget or another threshold is a configuration change, never a rules change.
Register one `AlertConfigCollector` into the exporter's own registry:

    registry.register(AlertConfigCollector(settings))
"""

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from exporter import catalogue as cat
from exporter.config import ExporterSettings, NamespaceBudget


def budget_values(budget: NamespaceBudget) -> dict[tuple[cat.MetricDef, str], float]:
    """The budgets that are set, keyed by (metric, period); grams CO2e or currency units."""
    values = {
        (cat.NAMESPACE_CO2E_BUDGET, cat.BUDGET_PERIOD_DAILY): budget.carbon_grams_daily,
        (cat.NAMESPACE_CO2E_BUDGET, cat.BUDGET_PERIOD_MONTHLY): budget.carbon_grams_monthly,
        (cat.NAMESPACE_COST_BUDGET, cat.BUDGET_PERIOD_DAILY): budget.cost_daily,
        (cat.NAMESPACE_COST_BUDGET, cat.BUDGET_PERIOD_MONTHLY): budget.cost_monthly,
    }
    return {key: value for key, value in values.items() if value is not None}


class AlertConfigCollector(Collector):
    """Fresh gauge families on every collect(): namespace budgets, grid intensity and score thresholds."""

    def __init__(self, settings: ExporterSettings):
        self._budgets = dict(sorted(settings.budgets.items()))
        self._intensity_threshold = settings.grid_intensity_threshold_g_per_kwh
        self._score_threshold = settings.sustainability_score_threshold

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = {metric: _family(metric) for metric in (cat.NAMESPACE_CO2E_BUDGET, cat.NAMESPACE_COST_BUDGET)}
        for namespace, budget in self._budgets.items():
            for (metric, period), value in budget_values(budget).items():
                families[metric].add_metric([namespace, period], value)
        yield from families.values()

        intensity = _family(cat.GRID_INTENSITY_THRESHOLD)
        intensity.add_metric([], self._intensity_threshold)
        yield intensity
        score = _family(cat.SUSTAINABILITY_SCORE_THRESHOLD)
        score.add_metric([], self._score_threshold)
        yield score


def _family(metric: cat.MetricDef) -> GaugeMetricFamily:
    return GaugeMetricFamily(metric.name, metric.help, labels=metric.labels)
