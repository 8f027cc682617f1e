"""Exporter settings: GREENKUBE_* environment variables over an optional YAML file.

`load_settings` is shared with the query API so both fail the same way: one line naming
the setting and the bad value, before anything starts.
"""

import os
import re
import ssl
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    YamlConfigSettingsSource,
)

from exporter.model.energy import IDLE_ATTRIBUTIONS

# RFC 9110 5.6.2: a field name is a token; a field value is visible ASCII, spaces and tabs here
# (no control characters: a newline would end the header; obs-text is left out too).
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
# Headers the HTTP client writes per request: a fixed value would break the message framing.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})

# A bearer token or key: printable ASCII, no spaces, at most 4096 characters; the same rule as a
# token given to POST /api/v1/config/services (queryapi/service_models.py).
TOKEN_CHARACTERS = r"[\x21-\x7e]+"
TOKEN_MAX_LENGTH = 4096
_USERNAME = re.compile(r"[^:\x00-\x1f\x7f]+")
_TOKEN = re.compile(TOKEN_CHARACTERS)


def _check_token(value: SecretStr) -> SecretStr:
    """Refuse what no server would accept as a token; the reason never quotes it."""
    text = value.get_secret_value()
    if not text:
        raise ValueError("is empty: unset the setting instead (no token)")
    if len(text) > TOKEN_MAX_LENGTH:
        raise ValueError(f"is longer than {TOKEN_MAX_LENGTH} characters")
    if not _TOKEN.fullmatch(text):  # fullmatch: `$` would let a final newline through
        raise ValueError("must be printable ASCII without spaces (a trailing newline from a file?)")
    return value


Token = Annotated[SecretStr, AfterValidator(_check_token)]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Port = Annotated[int, Field(ge=1, le=65535)]


class ConfigError(Exception):
    """Raised with a one-line, user-facing message when the configuration is invalid."""


class SettingConflict(ValueError):
    """A check across settings (a model validator) that blames one of them, `field`, holding `value`."""

    def __init__(self, field: str, value: object, message: str):
        super().__init__(message)
        self.field, self.value, self.message = field, value, message


class NodeOverride(BaseModel, frozen=True, extra="forbid"):
    """Per-node coefficients for on-premises or unknown machines (all optional).

    The power pair is given whole or not at all: half of it would be paired at run time with
    the other half of a table written for another machine. Idle power (min) above full load
    (max) would make the dynamic power, and so the energy counters, negative.
    """

    min_watts_per_vcpu: NonNegative | None = None
    max_watts_per_vcpu: NonNegative | None = None
    pue: Annotated[float, Field(ge=1)] | None = None
    grid_zone: str | None = None
    embodied_kg: NonNegative | None = None

    @model_validator(mode="after")
    def _check_power_pair(self) -> "NodeOverride":
        min_w, max_w = self.min_watts_per_vcpu, self.max_watts_per_vcpu
        if (min_w is None) != (max_w is None):
            raise ValueError("give both min_watts_per_vcpu and max_watts_per_vcpu, or neither")
        if min_w is not None and max_w is not None and min_w > max_w:
            raise ValueError(f"min_watts_per_vcpu ({min_w:g}) must not be above max_watts_per_vcpu ({max_w:g})")
        return self


# A Kubernetes namespace name (RFC 1123 label): budgets are keyed by it.
NamespaceName = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]


class NamespaceBudget(BaseModel, frozen=True, extra="forbid"):
    """Budgets of one namespace over rolling periods (daily: last 24 h, monthly: last 30 days).

    Carbon is grams CO2e, operational plus embodied; cost is in the configured currency. Each is
    optional: a budget left out is not exported and cannot alert.
    """

    carbon_grams_daily: Positive | None = None
    carbon_grams_monthly: Positive | None = None
    cost_daily: Positive | None = None
    cost_monthly: Positive | None = None


class PrometheusAccess(BaseSettings):
    """How to reach a Prometheus-compatible engine (shared by the exporter and the API)."""

    model_config = SettingsConfigDict(env_prefix="GREENKUBE_", frozen=True, extra="forbid")

    prometheus_url: HttpUrl = HttpUrl("http://127.0.0.1:9090")
    prometheus_token: Token | None = None
    prometheus_username: str | None = None
    prometheus_password: SecretStr | None = None
    prometheus_headers: dict[str, str] = Field(default_factory=dict, description="e.g. X-Scope-OrgID")
    prometheus_ca_file: Path | None = None
    prometheus_tls_verify: bool = True
    prometheus_timeout_seconds: Positive = 30.0

    @field_validator("prometheus_username")
    @classmethod
    def _check_username(cls, user: str | None) -> str | None:
        if user is not None and not _USERNAME.fullmatch(user):
            raise ValueError("a basic-auth user must not be empty nor hold ':' or control characters")
        return user

    @field_validator("prometheus_headers")
    @classmethod
    def _check_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        """Names and values the HTTP client can send; a header's value is never quoted (it may be a key)."""
        seen: set[str] = set()
        for name, value in headers.items():
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"header name {name[:100]!r} is not an HTTP token (RFC 9110: letters, digits "
                                 "and !#$%&'*+-.^_`|~; no spaces)")
            if not _HEADER_VALUE.fullmatch(value):
                raise ValueError(f"the value of header {name!r} has a control or non-ASCII character")
            if name.lower() in _FRAMING_HEADERS:
                raise ValueError(f"header {name!r} is set by the HTTP client itself")
            if name.lower() in seen:
                raise ValueError(f"header {name!r} is given twice (names are case-insensitive)")
            seen.add(name.lower())
        return headers

    @property
    def authorization_header(self) -> str | None:
        """The name under which prometheus_headers sets Authorization (any case), or None."""
        return next((name for name in self.prometheus_headers if name.lower() == "authorization"), None)

    @model_validator(mode="after")
    def _check_authorization(self) -> "PrometheusAccess":
        """An Authorization header would be replaced by the token, or clash with basic auth.

        POST /api/v1/config/services refuses a token alongside such a header the same way.
        """
        given = self.authorization_header
        credentials = self.prometheus_token is not None or self.prometheus_username is not None
        if given and credentials:
            raise SettingConflict("prometheus_headers", None, f"header {given!r} cannot be combined with "
                                  "GREENKUBE_PROMETHEUS_TOKEN or GREENKUBE_PROMETHEUS_USERNAME: give one of them")
        return self

    @model_validator(mode="after")
    def _check_basic_auth(self) -> "PrometheusAccess":
        """Basic auth is sent as Latin-1 (the HTTP client's encoding): other characters cannot be."""
        if self.prometheus_username is None or self.prometheus_token is not None:
            return self
        password = self.prometheus_password.get_secret_value() if self.prometheus_password else ""
        try:
            self.prometheus_username.encode("latin-1")
        except UnicodeEncodeError:
            raise SettingConflict("prometheus_username", self.prometheus_username,
                                  "basic auth can only send Latin-1 characters") from None
        try:
            password.encode("latin-1")
        except UnicodeEncodeError:
            raise SettingConflict("prometheus_password", "***", "basic auth can only send Latin-1 characters") from None
        return self

    @model_validator(mode="after")
    def _check_ca_file(self) -> "PrometheusAccess":
        """Load the CA bundle once now, as every client will: a bad one fails here, not per request."""
        if self.prometheus_ca_file is not None and self.prometheus_tls_verify:
            problem = _ca_file_problem(self.prometheus_ca_file)
            if problem:
                raise SettingConflict("prometheus_ca_file", str(self.prometheus_ca_file), problem)
        return self


def _ca_file_problem(path: Path) -> str:
    """Why `path` is not a CA bundle the ssl module loads ("" when it is)."""
    try:
        ssl.create_default_context(cafile=str(path))
    except ssl.SSLError:  # before OSError, its base class
        return "not a PEM CA bundle (no certificate could be loaded from it)"
    except OSError as err:
        return f"cannot read the CA file: {err.strerror or err}"
    return ""


class ExporterSettings(PrometheusAccess):
    """Everything `greenkube exporter` reads; see the README's configuration table."""

    kubeconfig: Path | None = Field(None, description="None: in-cluster config, else ~/.kube/config")
    cycle_seconds: Annotated[float, Field(ge=0.2)] = 30.0
    rate_window_seconds: Annotated[float, Field(ge=1)] = 120.0
    metrics_host: str = "127.0.0.1"
    metrics_port: Port = 9101
    idle_attribution: Literal[IDLE_ATTRIBUTIONS] = "request"  # type: ignore[valid-type]
    electricity_maps_token: Token | None = None
    electricity_maps_url: HttpUrl = HttpUrl("https://api.electricitymap.org/v3")
    electricity_maps_refresh_seconds: Annotated[float, Field(ge=60)] = 900.0
    # Ember 2024 world average (co2.js average-intensities.json, "World"), used for zones no table knows.
    default_intensity_g_per_kwh: Positive = 472.94
    onprem_min_watts_per_vcpu: NonNegative = 0.74
    onprem_max_watts_per_vcpu: NonNegative = 3.5
    onprem_pue: Annotated[float, Field(ge=1)] = 1.58
    onprem_embodied_kg: NonNegative = 1000.0
    onprem_grid_zone: str | None = None
    node_overrides: dict[str, NodeOverride] = Field(default_factory=dict)
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    cpu_price_per_vcpu_hour: NonNegative | None = Field(None, description="None: OpenCost series, else the price table")
    ram_price_per_gib_hour: NonNegative | None = None
    log_json: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Alerting (rules/greenkube-alerts.rules.yml reads these through exporter/budgets.py gauges).
    budgets: dict[NamespaceName, NamespaceBudget] = Field(
        default_factory=dict, description="namespace -> carbon_grams_daily|monthly, cost_daily|monthly")
    grid_intensity_threshold_g_per_kwh: Positive = Field(
        500.0, description="zone intensity above which GreenKubeHighGridIntensity fires")
    sustainability_score_threshold: Annotated[float, Field(ge=0, le=100)] = Field(
        50.0, description="score below which GreenKubeSustainabilityScoreLow fires")

    @model_validator(mode="after")
    def _check_onprem_watts(self) -> "ExporterSettings":
        min_w, max_w = self.onprem_min_watts_per_vcpu, self.onprem_max_watts_per_vcpu
        if min_w > max_w:
            raise SettingConflict("onprem_min_watts_per_vcpu", min_w,
                                  f"must not be above GREENKUBE_ONPREM_MAX_WATTS_PER_VCPU ({max_w:g})")
        return self


S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S], config_file: Path | None = None) -> S:
    """Build `cls` from GREENKUBE_* variables over `config_file` (YAML); raise ConfigError."""
    if config_file is not None:
        _check_yaml(config_file)

    class _FromFile(cls):  # type: ignore[valid-type, misc]
        model_config = SettingsConfigDict(title=cls.__name__)

        @classmethod
        def settings_customise_sources(
            cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource, **_: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            sources: tuple[PydanticBaseSettingsSource, ...] = (init_settings, env_settings)
            if config_file is not None:
                sources += (YamlConfigSettingsSource(settings_cls, yaml_file=config_file),)
            return sources

    try:
        return _FromFile()
    except ValidationError as err:
        secrets = {name for name, info in cls.model_fields.items() if "SecretStr" in repr(info.annotation)}
        raise ConfigError(_one_line(err, secrets)) from None
    except SettingsError as err:  # a dict-valued variable (headers, node overrides) that is not JSON
        field = re.search(r'field "(\w+)"', str(err))
        name = f"GREENKUBE_{field.group(1).upper()}" if field else "a GREENKUBE_* variable"
        raise ConfigError(f"invalid setting {name}: not a JSON object") from None


def unknown_variables(*classes: type[BaseSettings]) -> list[str]:
    """GREENKUBE_* environment variables that none of `classes` reads (a typo is ignored by
    the settings, so the CLI warns about it); sorted."""
    known = {f"GREENKUBE_{name.upper()}" for cls in classes for name in cls.model_fields}
    return sorted(name for name in os.environ if name.startswith("GREENKUBE_") and name not in known)


def _check_yaml(path: Path) -> None:
    """Fail with one line when the YAML file is missing, unreadable or not a mapping."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"cannot read config file {path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {path} is not valid YAML: {str(err).splitlines()[0]}") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of setting: value")


def _without_userinfo(value: object) -> object:
    """A URL-looking string with `user:password@` masked: a bad URL may still carry credentials."""
    if isinstance(value, str):
        return re.sub(r"(?<=://)[^/@\s]*@", "***@", value)
    return value


def _one_line(err: ValidationError, secrets: set[str]) -> str:
    """Name the first bad setting as its environment variable, with the value and the reason."""
    first = err.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    rest = ".".join(str(p) for p in first["loc"][1:])
    value = first.get("input")
    reason = first["msg"].removeprefix("Value error, ")
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, SettingConflict):  # a model check: its input is every setting, so never shown
        field, rest, value, reason = cause.field, "", cause.value, cause.message
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    if field == "?":  # a check of the whole model: its input holds every setting, secrets too
        return f"invalid settings: {reason}{more}"
    name = f"GREENKUBE_{field.upper()}" + (f" ({rest})" if rest else "")
    # SecretStr fields are never echoed, nor header values (Authorization, X-API-Key).
    shown = "***" if field in secrets or field.endswith("headers") else repr(_without_userinfo(value))
    if first["type"] == "extra_forbidden":
        return f"unknown setting {field!r}{more}"
    return f"invalid setting {name}={shown}: {reason}{more}"
