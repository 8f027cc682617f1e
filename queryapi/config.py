"""Query API settings: GREENKUBE_* environment variables (over an optional YAML file via the CLI).

The Prometheus access fields (URL, token, basic auth, headers, CA file, TLS switch, timeout)
come from `exporter.config.PrometheusAccess`, shared with the exporter, so both processes
read the same variables the same way.
"""

from typing import Annotated, Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from exporter.config import Port, PrometheusAccess


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
