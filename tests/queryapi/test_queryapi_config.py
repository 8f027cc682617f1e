"""ApiSettings: defaults, GREENKUBE_* variables, validation, secrets."""

import pytest
from pydantic import ValidationError

from queryapi.config import ApiSettings


def test_settings_no_environment_defaults() -> None:
    settings = ApiSettings()

    assert str(settings.prometheus_url) == "http://127.0.0.1:9090/"
    assert (settings.api_host, settings.api_port) == ("127.0.0.1", 8000)
    assert (settings.currency, settings.max_range_days) == ("USD", 400)
    assert settings.prometheus_tls_verify is True
    assert settings.prometheus_timeout_seconds == 30.0
    assert settings.prometheus_token is None


def test_settings_environment_prefixed_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_URL", "https://mimir.example:8443/prometheus")
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_HEADERS", '{"X-Scope-OrgID": "team-a"}')
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_TLS_VERIFY", "false")
    monkeypatch.setenv("GREENKUBE_CURRENCY", "EUR")
    monkeypatch.setenv("GREENKUBE_API_PORT", "9000")

    settings = ApiSettings()

    assert str(settings.prometheus_url) == "https://mimir.example:8443/prometheus"
    assert settings.prometheus_headers == {"X-Scope-OrgID": "team-a"}
    assert settings.prometheus_tls_verify is False
    assert (settings.currency, settings.api_port) == ("EUR", 9000)


@pytest.mark.parametrize(
    ("field", "value"),
    [("currency", "euro"), ("api_port", 0), ("max_range_days", 0), ("prometheus_url", "ftp://x"),
     ("prometheus_timeout_seconds", 0), ("cors_origins", ["https://app.example\n"]), ("api_key", ""),
     ("api_key", "two words"), ("electricity_maps_token", "tok\n")],
)
def test_settings_bad_value_rejected(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        ApiSettings(**{field: value})


def test_settings_frozen_assignment_rejected() -> None:
    settings = ApiSettings()

    with pytest.raises(ValidationError):
        settings.currency = "EUR"  # type: ignore[misc]


def test_settings_token_hidden_in_repr() -> None:
    settings = ApiSettings(prometheus_token="s3cret", prometheus_password="pw")

    assert "s3cret" not in repr(settings) and "pw'" not in repr(settings)
    assert settings.prometheus_token.get_secret_value() == "s3cret"
