"""Values reach the processes: the rendered environment loads into the real settings classes."""

import pytest

from exporter.config import ExporterSettings, load_settings
from queryapi.config import ApiSettings
from tests.chart.rendering import ALL_OPTIONS, objects, resolved_env

# Settings the chart leaves to their defaults on purpose: in a pod the exporter uses the
# in-cluster service account, so a kubeconfig path has nothing to point at.
NOT_SET_BY_CHART = {"kubeconfig"}


def _load(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], cls):
    for name, value in env.items():
        if name.startswith("GREENKUBE_"):
            monkeypatch.setenv(name, value)
    return load_settings(cls)


def test_exporter_env_all_options_loads_values_into_settings(monkeypatch):
    settings = _load(monkeypatch, resolved_env(objects(ALL_OPTIONS), "exporter"), ExporterSettings)

    assert (settings.metrics_host, settings.metrics_port) == ("0.0.0.0", 9101)
    assert str(settings.prometheus_url) == "https://mimir.example.internal/prometheus"
    assert settings.prometheus_token.get_secret_value() == "prom-token-s3cret"
    assert settings.prometheus_headers == {"X-Scope-OrgID": "platform"}
    assert str(settings.prometheus_ca_file) == "/etc/greenkube/prometheus-ca/ca.pem"
    assert (settings.cycle_seconds, settings.currency, settings.prometheus_tls_verify) == (45.0, "EUR", False)
    assert settings.electricity_maps_token.get_secret_value() == "emaps-token-s3cret"
    assert settings.budgets["team-a"].carbon_grams_daily == 5000
    assert settings.budgets["team-a"].cost_monthly == 300.5
    assert settings.node_overrides["rack1-node7"].max_watts_per_vcpu == 5.0
    assert settings.node_overrides["rack1-node7"].grid_zone == "FR"
    assert (settings.cpu_price_per_vcpu_hour, settings.ram_price_per_gib_hour) == (0.0, 0.005)
    assert (settings.grid_intensity_threshold_g_per_kwh, settings.sustainability_score_threshold) == (350, 65)
    assert (settings.log_level, settings.log_json) == ("DEBUG", True)


def test_api_env_all_options_loads_values_into_settings(monkeypatch):
    settings = _load(monkeypatch, resolved_env(objects(ALL_OPTIONS), "api"), ApiSettings)

    assert (settings.api_host, settings.api_port, settings.currency) == ("0.0.0.0", 8000, "EUR")
    assert settings.api_key.get_secret_value() == "api-key-s3cret"
    assert settings.rate_limit == 1_000_000
    assert settings.cors_origins == ("https://grafana.example.com", "https://ops.example.com")
    assert (settings.max_range_days, settings.power_window_seconds) == (800, 600)
    assert (settings.allow_runtime_config, settings.metrics_auth) == (True, True)
    assert str(settings.opencost_url) == "http://opencost.opencost.svc:9003/"
    assert settings.exporter_job == "greenkube"
    assert settings.prometheus_password.get_secret_value() == "prom-password-s3cret"


@pytest.mark.parametrize("component, cls", [("exporter", ExporterSettings), ("api", ApiSettings)])
def test_env_defaults_load_into_settings_without_error(monkeypatch, component, cls):
    settings = _load(monkeypatch, resolved_env(objects(), component), cls)

    assert settings.prometheus_token is None
    assert settings.currency == "USD"


@pytest.mark.parametrize("component, cls", [("exporter", ExporterSettings), ("api", ApiSettings)])
def test_env_all_options_sets_every_setting(component, cls):
    env = resolved_env(objects(ALL_OPTIONS), component)
    expected = {f"GREENKUBE_{field.upper()}" for field in cls.model_fields} - {
        f"GREENKUBE_{field.upper()}" for field in NOT_SET_BY_CHART}

    assert expected - set(env) == set()
    assert {name for name in env if name.startswith("GREENKUBE_")} - expected == set()
