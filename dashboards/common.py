"""Building blocks shared by every GreenKube dashboard (grafana-foundation-sdk builders).

Conventions (STYLE.md §7), applied here once: the uid is the JSON file's name without
`.json`, the title starts with `GreenKube / `, every dashboard carries the `greenkube` tag and
a `datasource` variable that every panel and variable uses (no hard-coded datasource), the
time zone is UTC, and every panel is given a unit.
"""

import textwrap
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from grafana_foundation_sdk.builders import bargauge, stat, table, timeseries
from grafana_foundation_sdk.builders.common import StackingConfig, VizLegendOptions
from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    DashboardLink,
    DatasourceVariable,
    QueryVariable,
    Row,
)
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.models.common import LegendDisplayMode, LegendPlacement, StackingMode
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DashboardLinkType,
    DataSourceRef,
    DataTransformerConfig,
    DynamicConfigValue,
    GridPos,
    VariableHide,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from exporter.catalogue import BUILD_INFO

TAG = "greenkube"
TITLE_PREFIX = "GreenKube / "
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
# Value a multi-value variable takes for "All": any non-empty label value.
ALL_VALUE = ".+"
# Grafana unit ids (or `suffix:` custom units) used by the panels.
WATTS, JOULES, GRAMS, BYTES, RATIO, COUNT, SCORE = "watt", "joule", "massg", "bytes", "percentunit", "short", "none"
# TODO(dashboards): money is `short` because a Grafana unit cannot follow the $currency variable — values
# show no currency symbol (titles name it); see docs/dashboards.md, "Money".
CORES, MONEY, INTENSITY = "short", "short", "suffix: g/kWh"


def promql(expr: str) -> str:
    """A query written as an indented block, without the indentation."""
    return textwrap.dedent(expr).strip()


def target(expr: str, legend: str = "", instant: bool = False, table_format: bool = False) -> Dataquery:
    """One Prometheus query of a panel; instant queries feed stats, bar gauges and tables."""
    query = Dataquery().expr(promql(expr)).datasource(DATASOURCE)
    if legend:
        query = query.legend_format(legend)
    if instant:
        query = query.instant()
    if table_format:
        query = query.format(PromQueryFormat.TABLE)
    return query


def query_variable(name: str, label: str, metric: str, label_name: str, multi: bool = True) -> QueryVariable:
    """A variable listing the values of `label_name` on `metric`; multi-value with All (`.+`)."""
    variable = (
        QueryVariable(name).label(label).datasource(DATASOURCE)
        .query(f"label_values({metric}, {label_name})")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).sort(VariableSort.ALPHABETICAL_ASC)
        .multi(multi).include_all(multi)
    )
    return variable.all_value(ALL_VALUE) if multi else variable


def currency_variable() -> QueryVariable:
    """Hidden variable naming the deployment's currency (from greenkube_build_info), for titles."""
    return query_variable("currency", "Currency", BUILD_INFO.name, "currency", multi=False).hide(
        VariableHide.HIDE_VARIABLE)


class Sized(NamedTuple):
    """A panel builder and its size on Grafana's 24-column grid."""

    panel: Any
    width: int
    height: int


@dataclass
class Board:
    """A dashboard being built: numbers panels in order and lays them out left to right,
    wrapping to a new line when a panel would pass the 24th column."""

    file_name: str
    title: str
    description: str
    variables: list = field(default_factory=list)
    _builder: Dashboard = field(init=False)
    _next_id: int = field(init=False, default=1)
    _x: int = field(init=False, default=0)
    _y: int = field(init=False, default=0)
    _line_height: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._builder = (
            Dashboard(TITLE_PREFIX + self.title).uid(self.file_name.removesuffix(".json"))
            .description(self.description).tags([TAG]).timezone("utc").time("now-24h", "now").refresh("1m")
            .editable().tooltip(DashboardCursorSync.CROSSHAIR)
            .link(DashboardLink("GreenKube").type(DashboardLinkType.DASHBOARDS).tags([TAG]).as_dropdown(True)
                  .include_vars(True).keep_time(True))
            .with_variable(DatasourceVariable("datasource").label("Data source").type("prometheus"))
        )
        for variable in self.variables:
            self._builder = self._builder.with_variable(variable)

    def row(self, title: str) -> None:
        self._new_line()
        self._builder = self._builder.with_row(
            Row(title).id(self._take_id()).grid_pos(GridPos(h=1, w=24, x=0, y=self._y)))
        self._y += 1

    def add(self, sized: Sized) -> None:
        if self._x + sized.width > 24:
            self._new_line()
        position = GridPos(h=sized.height, w=sized.width, x=self._x, y=self._y)
        self._x += sized.width
        self._line_height = max(self._line_height, sized.height)
        self._builder = self._builder.with_panel(
            sized.panel.id(self._take_id()).datasource(DATASOURCE).grid_pos(position))

    def build(self):
        return self._builder.build()

    def _new_line(self) -> None:
        self._x, self._y, self._line_height = 0, self._y + self._line_height, 0

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1


def _with_targets(panel, targets: tuple[Dataquery, ...]):
    for ref, query in zip("ABCDEFGH", targets, strict=False):
        panel = panel.with_target(query.ref_id(ref))
    return panel


def stat_panel(title: str, unit: str, *targets: Dataquery, description: str = "", span: int = 4) -> Sized:
    panel = stat.Panel().title(title).description(description).unit(unit)
    return Sized(_with_targets(panel, targets), span, 4)


def timeseries_panel(title: str, unit: str, *targets: Dataquery, description: str = "", span: int = 12,
                     stacked: bool = False) -> Sized:
    panel = (
        timeseries.Panel().title(title).description(description).unit(unit).fill_opacity(10)
        .legend(VizLegendOptions().display_mode(LegendDisplayMode.LIST).placement(LegendPlacement.BOTTOM)
                .show_legend(True))
    )
    if stacked:
        panel = panel.stacking(StackingConfig().mode(StackingMode.NORMAL))
    return Sized(_with_targets(panel, targets), span, 8)


def bargauge_panel(title: str, unit: str, *targets: Dataquery, description: str = "", span: int = 12) -> Sized:
    panel = bargauge.Panel().title(title).description(description).unit(unit).min(0)
    return Sized(_with_targets(panel, targets), span, 8)


class Column(NamedTuple):
    """A table column holding one instant query's values: its header and its unit."""

    query: Dataquery
    header: str
    unit: str


def value_field(ref: str, columns: int) -> str:
    """The name Grafana gives a table-format query's value field: `Value`, or `Value #A` when
    several queries are merged."""
    return "Value" if columns == 1 else f"Value #{ref}"


def table_panel(title: str, *columns: Column, description: str = "", span: int = 24) -> Sized:
    """A table of instant queries, one value column each, merged into one row per label set.

    Each value column gets its header and unit through a field override, so columns of
    different units (J, g, money) each show their own; the panel's unit is the first column's.
    """
    panel = table.Panel().title(title).description(description).unit(columns[0].unit)
    if len(columns) > 1:
        panel = panel.with_transformation(DataTransformerConfig(id_val="merge", options={}))
    for ref, column in zip("ABCDEFGH", columns, strict=False):
        panel = panel.override_by_name(value_field(ref, len(columns)), [
            DynamicConfigValue(id_val="displayName", value=column.header),
            DynamicConfigValue(id_val="unit", value=column.unit)])
    return Sized(_with_targets(panel, tuple(column.query for column in columns)), span, 8)
