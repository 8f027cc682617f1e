"""The committed dashboards: generated, valid, and following STYLE.md §7 conventions."""

import re

import pytest
import yaml
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard as DashboardModel

from dashboards import common
from dashboards.common import DATASOURCE, TAG, TITLE_PREFIX, value_field
from dashboards.render import render_dashboards
from exporter import catalogue as cat
from tests.dashboards.conventions import DASHBOARD_FILES, DASHBOARDS_DIR, load, panels, targets

ROOT = DASHBOARDS_DIR.parent
RECORDED = {rule["record"] for path in (ROOT / "rules").glob("*.yml")
            for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"] if "record" in rule}
CATALOGUE = {m.name for m in vars(cat).values() if isinstance(m, cat.MetricDef)}
_RECORDED_NAME = re.compile(r"\b(?:namespace|node|cluster):[a-z0-9_]+:[a-z0-9_]+\b")
_METRIC_NAME = re.compile(r"(?<![:\w])greenkube_[a-z0-9_]+\b(?!:)")
_RAW_RATE = re.compile(r"\b(rate|increase)\((greenkube_\w+_total)\{[^}]*\}\[([^\]]+)\]")
_RAW_POD_SERIES = re.compile(r"(?<![:\w])greenkube_pod_\w+\b(?!:)")
# A window over the whole range: `[$__range]` (every sample) or `[$__range:step]` (a subquery).
_RANGE_WINDOW = re.compile(r"\[\$__range(?::(\w+))?\]")
PODS_DASHBOARD = "greenkube-pods.json"
IDS = [path.name for path in DASHBOARD_FILES]
# The Grafana unit of a series, from the unit its catalogue name ends with (first match wins).
_UNIT_OF_NAME = (
    (re.compile(r"_info$|_score$|_ratio$"), common.SCORE),
    (re.compile(r"_grams_per_kilowatt_hour$"), common.INTENSITY),
    (re.compile(r"_joules(_total|_per_year)?$"), common.JOULES),
    (re.compile(r"_grams(_total|_per_year)?$"), common.GRAMS),
    (re.compile(r"_cost(_total|_per_year)?$|_cost_budget$"), common.MONEY),
    (re.compile(r"_cores$"), common.CORES),
    (re.compile(r"_bytes$"), common.BYTES),
)
NOT_PODS = [path for path in DASHBOARD_FILES if path.name != PODS_DASHBOARD]


def test_dashboards_committed_files_match_generator():
    rendered = render_dashboards()

    assert sorted(rendered) == DASHBOARD_FILES
    stale = [path.name for path, text in rendered.items() if path.read_text(encoding="utf-8") != text]
    assert stale == [], "run `python -m dashboards.render`"


def test_dashboards_uids_are_unique_file_names():
    uids = [load(path)["uid"] for path in DASHBOARD_FILES]

    assert uids == [path.stem for path in DASHBOARD_FILES]
    assert len(set(uids)) == len(uids)


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=IDS)
def test_dashboard_header_follows_conventions(path):
    dashboard = load(path)
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}

    assert dashboard["title"].startswith(TITLE_PREFIX)
    assert TAG in dashboard["tags"]
    assert dashboard["timezone"] == "utc"
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    for variable in variables.values():
        if variable["type"] == "query":
            assert variable["datasource"]["uid"] == DATASOURCE.uid, variable["name"]


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=IDS)
def test_dashboard_panels_have_unit_datasource_and_layout(path):
    dashboard = load(path)
    ids = [panel["id"] for panel in dashboard["panels"]]

    assert len(ids) == len(set(ids))
    for panel in panels(dashboard):
        assert panel["fieldConfig"]["defaults"].get("unit"), panel["title"]
        assert panel["datasource"]["uid"] == DATASOURCE.uid, panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        assert panel["targets"], panel["title"]
    for panel, query in targets(dashboard):
        assert query["datasource"]["uid"] == DATASOURCE.uid, panel["title"]
        assert query["refId"], panel["title"]


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=IDS)
def test_dashboard_queries_name_only_known_series(path):
    for panel, query in targets(load(path)):
        expr = query["expr"]

        assert set(_RECORDED_NAME.findall(expr)) <= RECORDED, panel["title"]
        assert set(_METRIC_NAME.findall(expr)) <= CATALOGUE, panel["title"]


def series_unit(name: str) -> str:
    """The unit of a catalogue metric or of a recorded `level:metric:operation` series."""
    metric = name.split(":")[1] if ":" in name else name
    units = [unit for pattern, unit in _UNIT_OF_NAME if pattern.search(metric)]
    assert units, f"no unit known for {name}: add its suffix to _UNIT_OF_NAME"
    return units[0]


def column_units(panel: dict) -> dict[str, str]:
    """Unit of each value field of a table: its override's, else the panel's."""
    units = {}
    for override in panel["fieldConfig"].get("overrides", []):
        if override["matcher"]["id"] == "byName":
            for prop in override["properties"]:
                if prop["id"] == "unit":
                    units[override["matcher"]["options"]] = prop["value"]
    return units


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=IDS)
def test_dashboard_table_columns_have_their_series_units(path):
    for panel in panels(load(path)):
        if panel["type"] != "table":
            continue
        overrides = column_units(panel)
        for query in panel["targets"]:
            names = _METRIC_NAME.findall(query["expr"]) + _RECORDED_NAME.findall(query["expr"])
            field = value_field(query["refId"], len(panel["targets"]))
            shown = overrides.get(field, panel["fieldConfig"]["defaults"]["unit"])

            assert {series_unit(name) for name in names} == {shown}, f"{panel['title']} / {field}"


@pytest.mark.parametrize("path", NOT_PODS, ids=[path.name for path in NOT_PODS])
def test_dashboard_other_than_pods_reads_no_pod_series(path):
    for panel, query in targets(load(path)):
        assert _RAW_POD_SERIES.findall(query["expr"]) == [], panel["title"]


@pytest.mark.parametrize("path", NOT_PODS, ids=[path.name for path in NOT_PODS])
def test_dashboard_other_than_pods_reads_range_at_hourly_steps(path):
    """Over `$__range` only hourly readings: a year is 8,760 points per series, not 525,600."""
    for panel, query in targets(load(path)):
        for step in _RANGE_WINDOW.findall(query["expr"]):
            assert step == "1h", panel["title"]


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=IDS)
def test_dashboard_raw_counter_rates_use_grafana_intervals(path):
    for panel, query in targets(load(path)):
        for function, _, window in _RAW_RATE.findall(query["expr"]):
            expected = "$__rate_interval" if function == "rate" else "$__range"
            assert window == expected, panel["title"]


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=IDS)
def test_dashboard_json_loads_into_grafana_model(path):
    register_default_plugins()

    model = DashboardModel.from_json(load(path))

    assert model.uid == path.stem
    assert {panel.type_val for panel in model.panels} <= {"row", "stat", "timeseries", "bargauge", "table"}
