"""Request and response models (pydantic v2). Pure: no aiohttp, no settings, no I/O.

Request models read query parameters (strings) and forbid unknown ones. Validation context:
`now` (aware datetime, defaults to the wall clock) and `max_range_days` (int).
"""

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from queryapi.results import Totals

DEFAULT_WINDOW = timedelta(hours=24)
DEFAULT_MAX_RANGE_DAYS = 400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_SHOWN = 64  # characters of a user-supplied name or value echoed in a message


class ParameterError(ValueError):
    """Raised inside request-model validators to name the parameter at fault."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def shorten(text: object) -> str:
    """`repr` of a user-supplied value, cut to a safe length for echoing in a message."""
    shown = repr(text)
    return shown if len(shown) <= MAX_SHOWN else shown[: MAX_SHOWN - 3] + "..."


_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
# RFC 3339 date-time. A space may stand for the `+` of an offset: an unencoded `+` in a URL
# query decodes to a space, and `...T00:00:00 02:00` can mean nothing else.
_DATE_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+\- ]\d{2}:\d{2})$"
)


def parse_time(parameter: str, text: str) -> datetime:
    """Parse RFC 3339 (offset required) or a date (00:00 UTC) into aware UTC, whole seconds."""
    if not isinstance(text, str):
        raise ParameterError(parameter, f"expected a string, got {type(text).__name__}")
    value = text.strip()
    try:
        if _DATE.match(value):
            parsed = datetime.fromisoformat(value).replace(tzinfo=UTC)
        elif match := _DATE_TIME.match(value):
            day, clock, offset = match.groups()
            if offset in ("Z", "z"):
                offset = "+00:00"
            elif offset.startswith(" "):
                offset = "+" + offset[1:]
            parsed = datetime.fromisoformat(f"{day}T{clock}{offset}")
        else:
            raise ValueError("no match")
    except ValueError:
        raise ParameterError(
            parameter,
            f"{shorten(text)} is not an RFC 3339 time with an offset (2024-01-01T00:00:00Z) "
            "or a date (2024-01-01)",
        ) from None
    if parsed < _EPOCH:
        raise ParameterError(parameter, f"{shorten(text)} is before 1970-01-01")
    return parsed.astimezone(UTC)


def _context(info: ValidationInfo) -> dict[str, Any]:
    return info.context or {}


class WindowParams(BaseModel):
    """`from`/`to` of a request: UTC, whole seconds; defaults to = now, from = to - 24 h."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # `to` is declared first so that the default of `from` can be computed from it.
    to: datetime = Field(None, validate_default=True, description="End of the window; queries run at this time")
    from_: datetime = Field(None, alias="from", validate_default=True, description="Start of the window")

    @field_validator("to", mode="before")
    @classmethod
    def _parse_to(cls, value: Any, info: ValidationInfo) -> datetime:
        if value is None:
            now = _context(info).get("now") or datetime.now(UTC)
            return now.astimezone(UTC).replace(microsecond=0)
        return parse_time("to", value)

    @field_validator("from_", mode="before")
    @classmethod
    def _parse_from(cls, value: Any, info: ValidationInfo) -> datetime:
        if value is not None:
            return parse_time("from", value)
        to = info.data.get("to")
        # When `to` is itself invalid its error is reported; this placeholder is never used.
        return to - DEFAULT_WINDOW if to is not None else _EPOCH

    @model_validator(mode="after")
    def _check_window(self, info: ValidationInfo) -> "WindowParams":
        if self.from_ >= self.to:
            raise ParameterError(
                "from", f"'from' ({_iso(self.from_)}) must be before 'to' ({_iso(self.to)})"
            )
        max_days = _context(info).get("max_range_days", DEFAULT_MAX_RANGE_DAYS)
        if self.to - self.from_ > timedelta(days=max_days):
            days = (self.to - self.from_) / timedelta(days=1)
            raise ParameterError(
                "from", f"the window from 'from' to 'to' is {days:g} days; the maximum is {max_days} days"
            )
        return self

    @property
    def seconds(self) -> int:
        """Length of the window in whole seconds (both ends are whole seconds)."""
        return int((self.to - self.from_).total_seconds())


class ClusterMetrics(Totals):
    """Cluster snapshot over a window (GET /api/v1/metrics): the totals, then counts and sources."""

    pod_count: int = Field(description="Distinct pods with energy data in the window")
    namespace_count: int = Field(description="Distinct namespaces with pod energy data in the window")
    node_count: int = Field(description="Distinct nodes with pod or unallocated energy data in the window")
    grid_intensity_grams_per_kwh: float | None = Field(
        description="Grid intensity, energy-weighted: operational CO2e per kWh drawn from the grid "
                    "(IT energy x PUE) over the window. null when the window holds no energy."
    )
    sustainability_score: float | None = Field(
        None, description="0..100; null until the exporter publishes the score series"
    )
    from_: datetime = Field(serialization_alias="from")
    to: datetime


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Health(BaseModel):
    """Liveness answer (GET /health)."""

    status: Literal["ok"]


class Version(BaseModel):
    """Versions (GET /api/v1/version)."""

    version: str
    api_version: str
    python: str
    build: str
