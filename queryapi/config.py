"""Query API settings: GREENKUBE_* environment variables (over an optional YAML file via the CLI).

The Prometheus access fields (URL, token, basic auth, headers, CA file, TLS switch, timeout)
come from `exporter.config.PrometheusAccess`, shared with the exporter, so both processes
read the same variables the same way.
"""

import re
from typing import Annotated, Any, Literal

from pydantic import Field, HttpUrl, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from exporter.config import Port, PrometheusAccess, Token

# An allowed CORS origin: `*`, or scheme://host[:port] with no path (what browsers send in Origin).
_ORIGIN = re.compile(r"^(\*|https?://[A-Za-z0-9.\-\[\]:]+)$")


class ApiSettings(PrometheusAccess):
    """Everything `greenkube api` reads; frozen, validated before anything serves."""

    model_config = SettingsConfigDict(env_prefix="GREENKUBE_", frozen=True, extra="forbid")

    api_host: str = Field("127.0.0.1", description="Address the API listens on")
    api_port: Port = 8000
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = Field(
        "USD", description="ISO 4217 code of every money field; must match the exporter's"
    )
    max_range_days: Annotated[int, Field(ge=1, le=36500)] = Field(
        400, description="Longest from..to window a request may ask for, in days"
    )
    power_window_seconds: Annotated[int, Field(ge=30, le=3600)] = Field(
        300, description="Window of rate() for power_watts 'now', in seconds (>= 2 scrape intervals)"
    )
    build: str = Field("unknown", description="Build identifier shown by /api/v1/version (e.g. a git commit)")
    log_json: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # --- API platform: auth, rate limit, CORS, runtime configuration, health of services ---
    api_key: Token | None = Field(
        None, description="Bearer token /api/v1/* requires when set (Authorization: Bearer <key>); unset: open"
    )
    rate_limit: Annotated[int, Field(ge=0, le=1_000_000)] = Field(
        60, description="Requests per minute per client on /api/v1/* (the API key if presented, else the "
                        "remote address); 0 disables"
    )
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        ("*",), description="Origins browsers may call the API from: comma-separated, `*` for any"
    )
    allow_runtime_config: bool = Field(
        False, description="Allow POST /api/v1/config/services when no API key is set (otherwise refused, 403)"
    )
    metrics_auth: bool = Field(
        False, description="Require the API key on /prometheus/metrics too (when an API key is set)"
    )
    opencost_url: HttpUrl | None = Field(
        None, description="OpenCost API base URL, checked by /api/v1/health/services (GET <url>/healthz)"
    )
    electricity_maps_token: Token | None = Field(
        None, description="Electricity Maps token, checked by /api/v1/health/services (the exporter uses its own)"
    )
    electricity_maps_url: HttpUrl = Field(
        HttpUrl("https://api.electricitymap.org/v3"), description="Electricity Maps API base URL (v3)"
    )
    exporter_job: str = Field(
        "greenkube", min_length=1, max_length=200,
        description="Regular expression matching the Prometheus `job` label of the exporter's scrape target",
    )
    exporter_stale_seconds: Annotated[float, Field(ge=10)] = Field(
        300.0, description="Exporter reported degraded when its last successful cycle is older, in seconds"
    )
    health_cache_seconds: Annotated[float, Field(ge=0, le=3600)] = Field(
        30.0, description="How long a service health result is reused, in seconds (?force=true re-checks)"
    )
    health_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = Field(
        5.0, description="Timeout of one service health check, in seconds"
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        """`a, b` (the environment variable) or a list; every origin checked, none empty."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",")]
        if isinstance(value, list | tuple):
            origins = tuple(origin.rstrip("/") if origin != "*" else origin for origin in value)
            bad = [origin for origin in origins if not _ORIGIN.fullmatch(origin)]
            if bad or not origins:
                raise ValueError(f"not a CORS origin (`*` or scheme://host[:port]): {bad[0] if bad else ''!r}")
            return origins
        return value

    @field_validator("exporter_job")
    @classmethod
    def _check_regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as err:
            raise ValueError(f"not a regular expression: {err}") from None
        return value
