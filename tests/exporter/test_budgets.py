"""Budgets and alert thresholds: settings validated, exported as gauges by the exporter."""

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from exporter import catalogue as cat
from exporter.budgets import AlertConfigCollector
from exporter.config import ConfigError, ExporterSettings, load_settings
from exporter.service import Exporter


def _registry(settings: ExporterSettings) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(AlertConfigCollector(settings))
    return registry


def test_budgets_configured_namespace_exports_each_set_budget():
    settings = ExporterSettings(budgets={"team-a": {"carbon_grams_daily": 500, "cost_monthly": 30.5}})

    registry = _registry(settings)

    def value(metric: cat.MetricDef, period: str) -> float | None:
        return registry.get_sample_value(metric.name, {"namespace": "team-a", "period": period})

    assert value(cat.NAMESPACE_CO2E_BUDGET, cat.BUDGET_PERIOD_DAILY) == 500.0
    assert value(cat.NAMESPACE_COST_BUDGET, cat.BUDGET_PERIOD_MONTHLY) == 30.5
    assert value(cat.NAMESPACE_CO2E_BUDGET, cat.BUDGET_PERIOD_MONTHLY) is None
    assert value(cat.NAMESPACE_COST_BUDGET, cat.BUDGET_PERIOD_DAILY) is None


def test_budgets_default_settings_export_thresholds_only():
    registry = _registry(ExporterSettings())

    samples = [s for family in registry.collect() for s in family.samples]

    assert [(s.name, s.value) for s in samples] == [
        (cat.GRID_INTENSITY_THRESHOLD.name, 500.0),
        (cat.SUSTAINABILITY_SCORE_THRESHOLD.name, 50.0),
    ]


def test_budgets_from_environment_json_are_parsed(monkeypatch):
    monkeypatch.setenv("GREENKUBE_BUDGETS", '{"team-a": {"carbon_grams_monthly": 12000}}')
    monkeypatch.setenv("GREENKUBE_GRID_INTENSITY_THRESHOLD_G_PER_KWH", "350")

    settings = load_settings(ExporterSettings)

    assert settings.budgets["team-a"].carbon_grams_monthly == 12000.0
    assert settings.grid_intensity_threshold_g_per_kwh == 350.0


@pytest.mark.parametrize(("variable", "value", "named"), [
    ("GREENKUBE_BUDGETS", '{"Team A": {"cost_daily": 1}}', "GREENKUBE_BUDGETS"),
    # An unknown key inside a namespace's budgets is reported as config.py reports nested extras.
    ("GREENKUBE_BUDGETS", '{"team-a": {"carbon_daily": 1}}', "unknown setting 'budgets'"),
    ("GREENKUBE_BUDGETS", '{"team-a": {"cost_daily": 0}}', "GREENKUBE_BUDGETS"),
    ("GREENKUBE_SUSTAINABILITY_SCORE_THRESHOLD", "101", "GREENKUBE_SUSTAINABILITY_SCORE_THRESHOLD"),
    ("GREENKUBE_GRID_INTENSITY_THRESHOLD_G_PER_KWH", "-5", "GREENKUBE_GRID_INTENSITY_THRESHOLD_G_PER_KWH"),
])
def test_budgets_invalid_setting_fails_naming_it(monkeypatch, variable, value, named):
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError, match=named):
        load_settings(ExporterSettings)


async def test_exporter_self_metrics_include_budgets_and_thresholds():
    exporter = Exporter(ExporterSettings(budgets={"team-a": {"cost_daily": 2}}, sustainability_score_threshold=60))
    try:
        text = exporter.metrics.render().decode()
    finally:
        await exporter.close()

    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    assert samples[(cat.NAMESPACE_COST_BUDGET.name, (("namespace", "team-a"), ("period", "daily")))] == 2.0
    assert samples[(cat.SUSTAINABILITY_SCORE_THRESHOLD.name, ())] == 60.0
