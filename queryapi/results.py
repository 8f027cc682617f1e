"""Response models of the data endpoints (pydantic v2). Pure: no aiohttp, no settings, no I/O.

Units are in field names (API.md): `_joules`, `_kwh`, `_grams`, `_watts`, `_cores`, `_bytes`,
`_ratio` (0..1); money fields sit beside a `currency` field. Times are UTC. `from` is the
public name of every `from_` field.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from queryapi.buckets import GroupBy


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Totals(_Frozen):
    """Energy, carbon and cost over the window, and power at its end."""

    total_carbon_grams: float = Field(description="Operational plus embodied CO2e, grams")
    operational_carbon_grams: float = Field(description="CO2e of energy x PUE x grid intensity, grams")
    embodied_carbon_grams: float = Field(description="Amortised hardware CO2e, grams")
    total_energy_joules: float = Field(description="IT energy before PUE, joules")
    total_energy_kwh: float = Field(description="total_energy_joules / 3.6e6")
    total_cost: float = Field(description="Cost in `currency`")
    currency: str
    power_watts: float = Field(description="IT power at `to`: rate() of energy over the power window")


class NamespaceMetrics(Totals):
    """One namespace: its pods' totals over the window (no unallocated node idle)."""

    namespace: str
    pod_count: int = Field(description="Distinct pods with energy data in the window")
    node_count: int = Field(description="Distinct nodes its pods ran on in the window")
    grid_intensity_grams_per_kwh: float | None = Field(
        description="Grid intensity, energy-weighted: operational CO2e per kWh drawn from the grid "
                    "(IT energy x PUE) over the window; null without energy")
    sustainability_score: float | None = Field(description="0..100, latest in the window; null if not published")


class NodeMetrics(Totals):
    """One node: what it used over the window, its pods plus its unallocated idle share."""

    node: str
    provider: str | None = Field(description="aws, gcp, azure or on-premises (greenkube_node_info)")
    instance_type: str | None
    region: str | None
    zone: str | None
    grid_zone: str | None = Field(description="Electricity grid zone the node's carbon is computed with")
    grid_intensity_grams_per_kwh: float | None = Field(description="Grid intensity of grid_zone, latest in window")
    intensity_source: str | None = Field(description="electricitymaps, table or default")
    pue: float | None = Field(description="Power usage effectiveness applied to the node's energy")
    cpu_capacity_cores: float | None = Field(description="vCPU")
    memory_capacity_bytes: float | None
    cpu_utilisation_ratio: float | None = Field(
        description="CPU its pods used over the power window before `to`, over capacity (0..1)")


class PodMetrics(Totals):
    """One pod (one namespace, pod and node) over the window."""

    namespace: str
    pod: str
    node: str
    owner_kind: str | None = Field(description="Kind of the pod's owner (Deployment's ReplicaSet, Job, ...)")
    owner_name: str | None
    cpu_usage_cores: float | None = Field(description="Average over the pod's samples in the window")
    cpu_request_cores: float | None = Field(description="Average over the window; null when unknown")
    memory_usage_bytes: float | None = Field(description="Average working set over the window")
    memory_request_bytes: float | None = Field(description="Average over the window; null when unknown")


class _Page(_Frozen):
    total: int = Field(description="Items matching the filters, before offset and limit")
    offset: int
    limit: int
    from_: datetime = Field(serialization_alias="from")
    to: datetime


class NamespaceList(_Page):
    """Page of namespaces (GET /api/v1/metrics/namespaces)."""

    items: list[NamespaceMetrics]


class NodeList(_Page):
    """Page of nodes (GET /api/v1/metrics/nodes)."""

    items: list[NodeMetrics]


class PodList(_Page):
    """Page of pods (GET /api/v1/metrics/pods)."""

    items: list[PodMetrics]


class Point(_Frozen):
    timestamp: datetime = Field(description="Start of the bucket (UTC); it ends where the next begins, or at `to`")
    value: float


class Series(_Frozen):
    labels: dict[str, str] = Field(description="The group: {} for the cluster, else namespace, node or pod labels")
    points: list[Point]


class Timeseries(_Frozen):
    """Calendar buckets of one metric (GET /api/v1/timeseries)."""

    metric: str
    unit: str = Field(description="joules, grams, watts, cores, bytes, or the currency code for cost")
    group_by: GroupBy
    aggregate: Literal["cluster", "namespace", "node", "pod"]
    tz: str
    from_: datetime = Field(serialization_alias="from", description="Start of the window used (whole hour)")
    to: datetime = Field(description="End of the window used (whole hour, never past the last complete one)")
    series: list[Series]


class Recommendation(_Frozen):
    """One recommendation and what it would save per year."""

    id: str
    type: str
    severity: Literal["critical", "warning", "info"]
    scope: Literal["pod", "workload", "namespace", "node"]
    namespace: str | None
    target: str
    message: str
    current_value: float | None
    recommended_value: float | None
    unit: str | None = Field(description="Unit of current_value and recommended_value")
    savings_energy_kwh_per_year: float
    savings_co2e_grams_per_year: float
    savings_cost_per_year: float
    currency: str


class RecommendationList(_Page):
    """Active recommendations at `to` (GET /api/v1/recommendations)."""

    items: list[Recommendation]


class SeenRecommendation(Recommendation):
    first_seen: datetime = Field(description="First sample in the window (at most one lookup step late)")
    last_seen: datetime = Field(description="Last sample in the window")


class RecommendationHistory(_Page):
    """Recommendations active at any time in the window (GET /api/v1/recommendations/history)."""

    items: list[SeenRecommendation]


class Savings(_Frozen):
    count: int
    energy_kwh_per_year: float
    co2e_grams_per_year: float
    cost_per_year: float


class RecommendationSummary(_Frozen):
    """Savings potential of the active recommendations (GET /api/v1/recommendations/summary)."""

    total: Savings
    by_type: dict[str, Savings]
    by_severity: dict[str, Savings]
    currency: str
    at: datetime = Field(description="The time the recommendations were active (`to`)")


class ReportRow(_Frozen):
    """One (period, group) row of the report export."""

    period_start: datetime
    period_end: datetime
    namespace: str | None = Field(None, description="Set for aggregate=namespace and aggregate=pod")
    pod: str | None = Field(None, description="Set for aggregate=pod")
    node: str | None = Field(None, description="Set for aggregate=node and aggregate=pod")
    energy_kwh: float
    operational_co2e_grams: float
    embodied_co2e_grams: float
    cost: float
    currency: str


class ReportRows(RootModel[list[ReportRow]]):
    """The JSON export: an array of rows (format=json); NDJSON holds the same rows one per line."""


class ReportSummary(_Frozen):
    """What /api/v1/report/export streams for the same parameters: its row count and column sums."""

    row_count: int
    total_energy_kwh: float
    total_operational_co2e_grams: float
    total_embodied_co2e_grams: float
    total_cost: float
    currency: str
    group_by: GroupBy
    aggregate: Literal["namespace", "pod", "node"]
    tz: str
    from_: datetime = Field(serialization_alias="from")
    to: datetime


def numeric_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """Names of the number fields of `model` (what a list may be sorted by)."""
    return tuple(name for name, field in model.model_fields.items()
                 if field.annotation in (int, float, int | None, float | None))
