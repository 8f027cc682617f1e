"""Query-string models of the data endpoints (pydantic v2). Pure: no aiohttp, no settings, no I/O.

Every model forbids unknown parameters and extends `WindowParams` (`from`, `to`). The common
parameters of API.md: `namespace` (a Kubernetes namespace name, RFC 1123 label), `node` and
`pod` (RFC 1123 subdomains), exact matches; `group_by`, `tz` (IANA zone); `limit`, `offset`.
A value outside those forms is a 400 naming the parameter, so no request text reaches PromQL
unless it is a valid name (and even then it is escaped).

Models with buckets compute them while validating (`buckets`), with `now` from the
validation context, so a request for too many buckets is a 400 before any query runs.
"""

import re
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from queryapi.buckets import Bucket, GroupBy, align_window, calendar_buckets, count_buckets
from queryapi.models import ParameterError, WindowParams, shorten
from queryapi.results import NamespaceMetrics, NodeMetrics, PodMetrics, numeric_fields

NAMESPACE_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
TZ_PATTERN = r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$"
TYPE_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
MAX_LIMIT = 10_000
MAX_BUCKETS = 2400  # 100 days of hourly buckets; each bucket is one query per figure
_NAMES = {
    "namespace": (re.compile(NAMESPACE_PATTERN), 63, "a Kubernetes namespace name (RFC 1123 label)"),
    "node": (re.compile(SUBDOMAIN_PATTERN), 253, "a Kubernetes node name (RFC 1123 subdomain)"),
    "pod": (re.compile(SUBDOMAIN_PATTERN), 253, "a Kubernetes pod name (RFC 1123 subdomain)"),
}


def check_kube_name(parameter: str, value: str) -> str:
    """`value` when it is a valid name for `parameter` (namespace, node, pod); else ParameterError."""
    pattern, longest, what = _NAMES[parameter]
    if len(value) > longest or not pattern.fullmatch(value):
        raise ParameterError(parameter, f"{shorten(value)} is not {what}")
    return value


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def _name_field(parameter: str, description: str) -> Any:
    pattern, longest, _ = _NAMES[parameter]
    return Field(None, description=description, max_length=longest,
                 json_schema_extra={"pattern": pattern.pattern})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NamespaceFilter(_Strict):
    namespace: str | None = _name_field("namespace", "Only this namespace (exact match)")

    @field_validator("namespace", mode="before")
    @classmethod
    def _namespace(cls, value: Any) -> Any:
        return check_kube_name("namespace", value) if isinstance(value, str) else value


class NodeFilter(_Strict):
    node: str | None = _name_field("node", "Only this node (exact match)")

    @field_validator("node", mode="before")
    @classmethod
    def _node(cls, value: Any) -> Any:
        return check_kube_name("node", value) if isinstance(value, str) else value


class PodFilter(_Strict):
    pod: str | None = _name_field("pod", "Only pods of this name (exact match)")

    @field_validator("pod", mode="before")
    @classmethod
    def _pod(cls, value: Any) -> Any:
        return check_kube_name("pod", value) if isinstance(value, str) else value


class Page(_Strict):
    limit: int = Field(100, ge=0, le=MAX_LIMIT, description="Items per page (0: only the total)")
    offset: int = Field(0, ge=0, description="Items to skip; past the end gives an empty page")


class Sorted(Page):
    order: Literal["asc", "desc"] = Field("asc", description="Order of `sort` (names break ties, ascending)")


class NamespaceListParams(Sorted, NamespaceFilter, WindowParams):
    """GET /api/v1/metrics/namespaces."""

    sort: Literal[numeric_fields(NamespaceMetrics)] | None = Field(  # type: ignore[valid-type]
        None, description="A numeric field to sort by (nulls last); default: by namespace")


class NodeListParams(Sorted, NodeFilter, WindowParams):
    """GET /api/v1/metrics/nodes."""

    sort: Literal[numeric_fields(NodeMetrics)] | None = Field(  # type: ignore[valid-type]
        None, description="A numeric field to sort by (nulls last); default: by node")


class PodListParams(Sorted, PodFilter, NodeFilter, NamespaceFilter, WindowParams):
    """GET /api/v1/metrics/pods."""

    sort: Literal[numeric_fields(PodMetrics)] | None = Field(  # type: ignore[valid-type]
        None, description="A numeric field to sort by (nulls last); default: by namespace, pod, node")


class BucketParams(WindowParams):
    """`group_by` and `tz` of history requests, and the buckets they give (see buckets.py)."""

    group_by: GroupBy = Field("hourly", description="Calendar buckets: hourly, daily, weekly (ISO) or monthly")
    # The pattern is documented (OpenAPI) but checked by `_zone`, whose message names the value.
    tz: str = Field("UTC", max_length=64, json_schema_extra={"pattern": TZ_PATTERN},
                    description="IANA time zone of the calendar (e.g. America/New_York)")
    _buckets: list[Bucket] = PrivateAttr(default_factory=list)
    _window: tuple[datetime, datetime] | None = PrivateAttr(None)

    @field_validator("tz", mode="after")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value not in _zone_names():
            raise ParameterError("tz", f"{shorten(value)} is not an IANA time zone name")
        return value

    @model_validator(mode="after")
    def _plan(self, info: ValidationInfo) -> "BucketParams":
        now = (info.context or {}).get("now") or datetime.now(UTC)
        start, end = align_window(self.from_, self.to, self.zone, now)
        if count_buckets(start, end, self.group_by) > MAX_BUCKETS + 2:
            raise ParameterError("group_by", f"the window holds more than {MAX_BUCKETS} {self.group_by} buckets; "
                                             "ask for a shorter window or a longer group_by")
        self._window = (start, end)
        self._buckets = calendar_buckets(start, end, self.group_by, self.zone)
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.tz)

    @property
    def window(self) -> tuple[datetime, datetime]:
        """The window history reads: whole hours of `tz` (buckets.align_window)."""
        assert self._window is not None
        return self._window

    @property
    def buckets(self) -> list[Bucket]:
        """The calendar buckets of `window`, in order (buckets.calendar_buckets)."""
        return list(self._buckets)


Metric = Literal["energy", "carbon", "embodied_carbon", "cost", "power", "cpu", "memory"]
Aggregate = Literal["cluster", "namespace", "node", "pod"]


class MetricTimeseriesParams(PodFilter, NodeFilter, NamespaceFilter, BucketParams):
    """GET /api/v1/timeseries/energy, /carbon, /cost: the metric is in the path."""

    aggregate: Aggregate = Field("cluster", description="One series for the cluster, or one per namespace, "
                                                        "node or pod")


class TimeseriesParams(MetricTimeseriesParams):
    """GET /api/v1/timeseries."""

    metric: Metric = Field(description="energy (J), carbon (operational g), embodied_carbon (g), cost, "
                                       "power (average W), cpu (average cores), memory (average bytes)")


class ReportParams(PodFilter, NodeFilter, NamespaceFilter, BucketParams):
    """GET /api/v1/report/export and /api/v1/report/summary (which ignores `format`)."""

    group_by: GroupBy = Field("daily", description="Period of each row: hourly, daily, weekly (ISO) or monthly")
    aggregate: Literal["namespace", "pod", "node"] = Field("namespace", description="Group of each row")
    format: Literal["csv", "json", "ndjson"] = Field("csv", description="csv, a JSON array, or NDJSON")


Severity = Literal["critical", "warning", "info"]
Scope = Literal["pod", "workload", "namespace", "node"]


class RecommendationFilters(NamespaceFilter, WindowParams):
    """Filters of the recommendation endpoints; recommendations active at `to` (or, for the
    history, at any time in the window)."""

    severity: Severity | None = Field(None, description="Only this severity")
    # `type` is the public name (DESIGN.md's label); the Python name does not shadow the builtin.
    kind: str | None = Field(None, alias="type", max_length=63, pattern=TYPE_PATTERN, description="Only this type")
    scope: Scope | None = Field(None, description="Only this scope")

    def matchers(self) -> dict[str, str]:
        """Exact label matchers of the filters given."""
        given = {"severity": self.severity, "type": self.kind, "scope": self.scope, "namespace": self.namespace}
        return {name: value for name, value in given.items() if value is not None}


class RecommendationParams(Page, RecommendationFilters):
    """GET /api/v1/recommendations and /api/v1/recommendations/history."""
