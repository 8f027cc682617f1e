"""load_settings: GREENKUBE_* variables over a YAML file, and one-line ConfigError messages."""

from pathlib import Path

import certifi
import pytest

from exporter.config import ConfigError, ExporterSettings, NodeOverride, load_settings
from queryapi.config import ApiSettings

SECRET = "s3cret-value-42"


@pytest.fixture
def write_yaml(tmp_path: Path):
    def write(text: str) -> Path:
        path = tmp_path / "greenkube.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_load_settings_no_file_no_env_defaults() -> None:
    settings = load_settings(ExporterSettings)

    assert str(settings.prometheus_url) == "http://127.0.0.1:9090/"
    assert (settings.cycle_seconds, settings.metrics_port, settings.idle_attribution) == (30.0, 9101, "request")
    assert settings.node_overrides == {} and settings.prometheus_headers == {}


def test_load_settings_yaml_only_values_read(write_yaml) -> None:
    path = write_yaml("cycle_seconds: 5\nmetrics_port: 9200\ncurrency: EUR\nidle_attribution: even\n")

    settings = load_settings(ExporterSettings, path)

    assert (settings.cycle_seconds, settings.metrics_port) == (5.0, 9200)
    assert (settings.currency, settings.idle_attribution) == ("EUR", "even")


def test_load_settings_env_and_yaml_env_wins(write_yaml, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_yaml("cycle_seconds: 5\nmetrics_port: 9200\n")
    monkeypatch.setenv("GREENKUBE_CYCLE_SECONDS", "7")

    settings = load_settings(ExporterSettings, path)

    assert (settings.cycle_seconds, settings.metrics_port) == (7.0, 9200)


def test_load_settings_node_overrides_yaml_parsed(write_yaml) -> None:
    path = write_yaml("node_overrides:\n  rack-1:\n    pue: 1.2\n    grid_zone: FR\n")

    settings = load_settings(ExporterSettings, path)

    assert settings.node_overrides == {"rack-1": NodeOverride(pue=1.2, grid_zone="FR")}


def test_load_settings_node_overrides_env_json_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENKUBE_NODE_OVERRIDES", '{"rack-1": {"min_watts_per_vcpu": 1, "max_watts_per_vcpu": 4}}')

    settings = load_settings(ExporterSettings)

    assert settings.node_overrides["rack-1"].max_watts_per_vcpu == 4.0


def test_load_settings_headers_env_json_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_HEADERS", '{"X-Scope-OrgID": "team-a"}')

    assert load_settings(ExporterSettings).prometheus_headers == {"X-Scope-OrgID": "team-a"}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("GREENKUBE_CYCLE_SECONDS", "abc", "invalid setting GREENKUBE_CYCLE_SECONDS='abc': "),
        ("GREENKUBE_CYCLE_SECONDS", "0.1", "invalid setting GREENKUBE_CYCLE_SECONDS='0.1': "),
        ("GREENKUBE_IDLE_ATTRIBUTION", "sometimes", "invalid setting GREENKUBE_IDLE_ATTRIBUTION='sometimes': "),
        ("GREENKUBE_PROMETHEUS_URL", "ftp://x", "invalid setting GREENKUBE_PROMETHEUS_URL='ftp://x': "),
        ("GREENKUBE_METRICS_PORT", "70000", "invalid setting GREENKUBE_METRICS_PORT='70000': "),
        ("GREENKUBE_PROMETHEUS_HEADERS", "not json", "invalid setting GREENKUBE_PROMETHEUS_HEADERS: not a JSON"),
        ("GREENKUBE_NODE_OVERRIDES", "{", "invalid setting GREENKUBE_NODE_OVERRIDES: not a JSON"),
    ],
)
def test_load_settings_bad_env_error_names_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError) as caught:
        load_settings(ExporterSettings)

    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_load_settings_bad_node_override_error_names_node(write_yaml) -> None:
    path = write_yaml("node_overrides:\n  rack-1:\n    pue: 0.5\n")

    with pytest.raises(ConfigError, match=r"^invalid setting GREENKUBE_NODE_OVERRIDES \(rack-1.pue\)=0.5: "):
        load_settings(ExporterSettings, path)


def test_load_settings_onprem_min_above_max_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENKUBE_ONPREM_MIN_WATTS_PER_VCPU", "5")  # the default max is 3.5

    with pytest.raises(ConfigError) as caught:
        load_settings(ExporterSettings)

    assert str(caught.value) == ("invalid setting GREENKUBE_ONPREM_MIN_WATTS_PER_VCPU=5.0: "
                                 "must not be above GREENKUBE_ONPREM_MAX_WATTS_PER_VCPU (3.5)")


def test_load_settings_onprem_min_equal_max_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENKUBE_ONPREM_MIN_WATTS_PER_VCPU", "2")
    monkeypatch.setenv("GREENKUBE_ONPREM_MAX_WATTS_PER_VCPU", "2")

    assert load_settings(ExporterSettings).onprem_max_watts_per_vcpu == 2.0


def test_load_settings_model_check_secrets_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_TOKEN", SECRET)
    monkeypatch.setenv("GREENKUBE_ONPREM_MAX_WATTS_PER_VCPU", "0.1")

    with pytest.raises(ConfigError) as caught:
        load_settings(ExporterSettings)

    assert "GREENKUBE_ONPREM_MIN_WATTS_PER_VCPU=0.74" in str(caught.value)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ('{"min_watts_per_vcpu": 3, "max_watts_per_vcpu": 1}',
         "min_watts_per_vcpu (3) must not be above max_watts_per_vcpu (1)"),
        ('{"min_watts_per_vcpu": 3}', "give both min_watts_per_vcpu and max_watts_per_vcpu, or neither"),
        ('{"max_watts_per_vcpu": 0.5}', "give both min_watts_per_vcpu and max_watts_per_vcpu, or neither"),
    ],
)
def test_load_settings_bad_override_power_pair_refused(
    monkeypatch: pytest.MonkeyPatch, override: str, message: str
) -> None:
    monkeypatch.setenv("GREENKUBE_NODE_OVERRIDES", f'{{"rack-1": {override}}}')

    with pytest.raises(ConfigError) as caught:
        load_settings(ExporterSettings)

    assert str(caught.value).startswith("invalid setting GREENKUBE_NODE_OVERRIDES (rack-1)=")
    assert str(caught.value).endswith(": " + message)


def test_node_override_without_power_accepted() -> None:
    assert NodeOverride(pue=1.2).min_watts_per_vcpu is None


@pytest.mark.parametrize(
    ("cls", "yaml_text", "variable"),
    [
        (ExporterSettings, f"prometheus_token: [{SECRET}]\n", "GREENKUBE_PROMETHEUS_TOKEN"),
        (ExporterSettings, f"prometheus_password: {{p: {SECRET}}}\n", "GREENKUBE_PROMETHEUS_PASSWORD"),
        (ExporterSettings, f"electricity_maps_token: [{SECRET}]\n", "GREENKUBE_ELECTRICITY_MAPS_TOKEN"),
        (ApiSettings, f"prometheus_headers: {{Authorization: [Bearer {SECRET}]}}\n", "GREENKUBE_PROMETHEUS_HEADERS"),
        (ApiSettings, f"api_key: [{SECRET}]\n", "GREENKUBE_API_KEY"),
    ],
)
def test_load_settings_bad_secret_value_hidden(write_yaml, cls: type, yaml_text: str, variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(cls, write_yaml(yaml_text))

    assert variable in str(caught.value) and "=***" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_load_settings_bad_headers_env_value_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_HEADERS", f'{{"Authorization": "Bearer {SECRET}"')  # no closing }

    with pytest.raises(ConfigError) as caught:
        load_settings(ApiSettings)

    assert SECRET not in str(caught.value)


def test_load_settings_extra_yaml_key_unknown_setting(write_yaml) -> None:
    path = write_yaml("cycle_seconds: 5\ncycle_second: 5\n")

    with pytest.raises(ConfigError, match=r"^unknown setting 'cycle_second'$"):
        load_settings(ExporterSettings, path)


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [("a: [\n", "is not valid YAML: "), ("- a\n- b\n", "must hold a mapping of setting: value")],
)
def test_load_settings_bad_yaml_file_one_line(write_yaml, yaml_text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(ExporterSettings, write_yaml(yaml_text))

    assert "\n" not in str(caught.value)


def test_load_settings_missing_file_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^cannot read config file .*missing.yaml: No such file or directory$"):
        load_settings(ExporterSettings, tmp_path / "missing.yaml")


def test_load_settings_non_utf8_file_one_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"onprem_grid_zone: \xe9\n")

    with pytest.raises(ConfigError, match=r"is not UTF-8 text$"):
        load_settings(ExporterSettings, path)


def test_load_settings_empty_yaml_defaults(write_yaml) -> None:
    assert load_settings(ExporterSettings, write_yaml("")).cycle_seconds == 30.0


def test_load_settings_api_env_over_yaml_read(write_yaml, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_yaml("api_port: 9000\ncurrency: EUR\nprometheus_url: http://mimir:8080/prometheus\n")
    monkeypatch.setenv("GREENKUBE_CURRENCY", "GBP")

    settings = load_settings(ApiSettings, path)

    assert (settings.api_port, settings.currency) == (9000, "GBP")
    assert str(settings.prometheus_url) == "http://mimir:8080/prometheus"


def test_load_settings_api_exporter_key_unknown_setting(write_yaml) -> None:
    with pytest.raises(ConfigError, match=r"^unknown setting 'cycle_seconds'$"):
        load_settings(ApiSettings, write_yaml("cycle_seconds: 5\n"))


def test_load_settings_api_bad_env_error_names_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENKUBE_API_PORT", "0")

    with pytest.raises(ConfigError, match=r"^invalid setting GREENKUBE_API_PORT='0': "):
        load_settings(ApiSettings)


@pytest.mark.parametrize("cls", [ExporterSettings, ApiSettings])
@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp: tmp / "missing.pem", "cannot read the CA file: No such file or directory"),
        (lambda tmp: tmp, "cannot read the CA file: Is a directory"),
        (lambda tmp: _write(tmp / "notes.pem", "not a certificate\n"), "not a PEM CA bundle"),
    ],
)
def test_load_settings_bad_ca_file_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cls: type, make, reason: str
) -> None:
    path = make(tmp_path)
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_CA_FILE", str(path))

    with pytest.raises(ConfigError) as caught:
        load_settings(cls)

    assert str(caught.value).startswith(f"invalid setting GREENKUBE_PROMETHEUS_CA_FILE={str(path)!r}: {reason}")
    assert "\n" not in str(caught.value)


def test_load_settings_pem_ca_file_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_CA_FILE", certifi.where())

    assert str(load_settings(ApiSettings).prometheus_ca_file) == certifi.where()


def test_load_settings_ca_file_unused_without_verification_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_CA_FILE", "/nonexistent.pem")
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_TLS_VERIFY", "false")

    assert load_settings(ExporterSettings).prometheus_tls_verify is False


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("cls", [ExporterSettings, ApiSettings])
@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ('{"X-Ok": "a\\nb"}', "the value of header 'X-Ok' has a control or non-ASCII character"),
        ('{"X-Ok": "a\\u0000b"}', "the value of header 'X-Ok' has a control or non-ASCII character"),
        ('{"X-Ok": "ab\\n"}', "the value of header 'X-Ok' has a control or non-ASCII character"),
        ('{"X Bad": "v"}', "header name 'X Bad' is not an HTTP token"),
        ('{"X:Bad": "v"}', "header name 'X:Bad' is not an HTTP token"),
        ('{"": "v"}', "header name '' is not an HTTP token"),
        ('{"Content-Length": "3"}', "header 'Content-Length' is set by the HTTP client itself"),
        ('{"X-Org": "a", "x-org": "b"}', "header 'x-org' is given twice"),
    ],
)
def test_load_settings_bad_header_refused_value_hidden(
    monkeypatch: pytest.MonkeyPatch, cls: type, headers: str, reason: str
) -> None:
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_HEADERS", headers)

    with pytest.raises(ConfigError) as caught:
        load_settings(cls)

    assert str(caught.value).startswith(f"invalid setting GREENKUBE_PROMETHEUS_HEADERS=***: {reason}")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("credential", ["GREENKUBE_PROMETHEUS_TOKEN", "GREENKUBE_PROMETHEUS_USERNAME"])
def test_load_settings_authorization_header_with_credentials_refused(
    monkeypatch: pytest.MonkeyPatch, credential: str
) -> None:
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_HEADERS", f'{{"authorization": "Bearer {SECRET}"}}')
    monkeypatch.setenv(credential, "someone")

    with pytest.raises(ConfigError) as caught:
        load_settings(ApiSettings)

    assert str(caught.value).startswith("invalid setting GREENKUBE_PROMETHEUS_HEADERS=***: header 'authorization' "
                                        "cannot be combined with GREENKUBE_PROMETHEUS_TOKEN")
    assert SECRET not in str(caught.value) and "someone" not in str(caught.value)


def test_load_settings_headers_tokens_spaces_tabs_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    headers = '{"X-Scope-OrgID": "team-a|team-b", "Authorization": "Basic dTpw", "X_Odd!~": "a b\\tc"}'
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_HEADERS", headers)

    assert set(load_settings(ApiSettings).prometheus_headers) == {"X-Scope-OrgID", "Authorization", "X_Odd!~"}


@pytest.mark.parametrize(
    ("cls", "variable"),
    [(ApiSettings, "GREENKUBE_API_KEY"), (ApiSettings, "GREENKUBE_PROMETHEUS_TOKEN"),
     (ApiSettings, "GREENKUBE_ELECTRICITY_MAPS_TOKEN"), (ExporterSettings, "GREENKUBE_PROMETHEUS_TOKEN"),
     (ExporterSettings, "GREENKUBE_ELECTRICITY_MAPS_TOKEN")],
)
@pytest.mark.parametrize(
    ("value", "reason"),
    [("", "is empty: unset the setting instead"),
     (f"{SECRET} x", "must be printable ASCII without spaces"),
     (f"{SECRET}\n", "must be printable ASCII without spaces (a trailing newline from a file?)"),
     (f"{SECRET}\t", "must be printable ASCII without spaces"),
     (f"{SECRET}é", "must be printable ASCII without spaces"),
     (SECRET * 300, "is longer than 4096 characters")],
)
def test_load_settings_bad_token_refused_never_echoed(
    monkeypatch: pytest.MonkeyPatch, cls: type, variable: str, value: str, reason: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError) as caught:
        load_settings(cls)

    assert str(caught.value).startswith(f"invalid setting {variable}=***: {reason}")
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("user", "password", "message"),
    [("ann:x", "pw", "invalid setting GREENKUBE_PROMETHEUS_USERNAME='ann:x': a basic-auth user must not be empty"),
     ("", "pw", "invalid setting GREENKUBE_PROMETHEUS_USERNAME='': a basic-auth user must not be empty"),
     ("ann", f"{SECRET}€", "invalid setting GREENKUBE_PROMETHEUS_PASSWORD=***: basic auth can only send Latin-1")],
)
def test_load_settings_bad_basic_auth_refused(
    monkeypatch: pytest.MonkeyPatch, user: str, password: str, message: str
) -> None:
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_USERNAME", user)
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_PASSWORD", password)

    with pytest.raises(ConfigError) as caught:
        load_settings(ExporterSettings)

    assert str(caught.value).startswith(message)
    assert SECRET not in str(caught.value)


def test_load_settings_good_tokens_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENKUBE_API_KEY", "k3y-._~+/=!")
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_USERNAME", "jösé")
    monkeypatch.setenv("GREENKUBE_PROMETHEUS_PASSWORD", "pass wörd")

    settings = load_settings(ApiSettings)

    assert settings.api_key.get_secret_value() == "k3y-._~+/=!"
    assert settings.prometheus_username == "jösé"
