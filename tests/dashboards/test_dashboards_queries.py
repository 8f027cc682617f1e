"""Every dashboard query, variables substituted, runs on a real Prometheus and returns series.

The data: the demo cluster scraped by a real Prometheus every second, the exporter's own cycle
loop (1 s) with namespace budgets configured, and every rule file of rules/ loaded with a
1 s evaluation interval. Two kinds of series no component produces yet are backfilled for
the last two hours with promtool: recommendations and sustainability scores (a later issue
adds them to the exporter), and the namespaces' hourly increases, which a fresh Prometheus
only records from its first whole hour on (the budget-usage series read them at whole hours).
"""

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
import yaml

from exporter import catalogue as cat
from exporter.config import ExporterSettings
from exporter.demo.cluster import DemoCluster
from exporter.service import serve
from queryapi.recorded import hourly_increase
from rules.options import RuleOptions
from rules.render import render_files
from tests.dashboards.conventions import DASHBOARD_FILES, load, range_values, substitute, targets
from tests.fixtures.demo import start_demo_stack

pytestmark = pytest.mark.e2e

ALL = ".+"
CONCRETE_TRIES = 5
BACKFILL_SECONDS = 2 * 3600
STEP_SECONDS = 60
READY = (  # series every panel family needs before the queries are worth running
    "cluster:greenkube_pod_energy_joules:sum_rate5m",
    "namespace:greenkube_pod_co2e_grams:sum_increase1d",
    "cluster:greenkube_pod_cpu_request_cores:sum",
    "cluster:greenkube_pod_cpu_usage_cores:sum",
    f"sum(rate({cat.POD_ENERGY.name}[1m])) > 0",
    cat.NAMESPACE_CO2E_BUDGET.name,
)


def _gauge_family(name: str, series: list[tuple[dict[str, str], float]], times: range) -> list[str]:
    lines = [f"# TYPE {name} gauge"]
    for labels, value in series:
        text = ",".join(f'{key}="{val}"' for key, val in labels.items())
        lines.extend(f"{name}{{{text}}} {value} {t}" for t in times)
    return lines


def backfill_text(namespaces: list[str], end: int) -> str:
    """OpenMetrics of recommendations, scores and hourly increases over the two hours before `end`."""
    times = range(end - BACKFILL_SECONDS, end + 1, STEP_SECONDS)
    recommendations = [
        {"id": f"r{i}", "type": kind, "severity": severity, "scope": "workload", "namespace": namespace,
         "target": f"{namespace}-app"}
        for i, (namespace, kind, severity) in enumerate(
            [(namespaces[0], "rightsizing", "critical"), (namespaces[-1], "idle", "warning")])
    ]
    lines = _gauge_family(cat.RECOMMENDATION_INFO.name, [(r, 1) for r in recommendations], times)
    for metric, value in zip(cat.RECOMMENDATION_SAVINGS, (3.6e9, 5.0e5, 120.0), strict=True):
        lines += _gauge_family(metric.name, [(r, value) for r in recommendations], times)
    for metric, value in ((cat.RECOMMENDATION_CURRENT, 4), (cat.RECOMMENDATION_RECOMMENDED, 1)):
        lines += _gauge_family(metric.name, [({**r, "unit": "cores"}, value) for r in recommendations], times)
    lines += _gauge_family(cat.SUSTAINABILITY_SCORE.name, [({"namespace": ns}, 40 + 10 * i)
                                                          for i, ns in enumerate(namespaces)], times)
    lines += _gauge_family(cat.CLUSTER_SUSTAINABILITY_SCORE.name, [({}, 55)], times)
    for counter, grams in ((cat.POD_CO2E, 12.0), (cat.POD_EMBODIED_CO2E, 3.0), (cat.POD_COST, 0.02)):
        name = hourly_increase("namespace", counter).name
        lines += _gauge_family(name, [({"namespace": ns}, grams) for ns in namespaces], times)
    return "\n".join(lines) + "\n# EOF\n"


def rule_files_fast(workdir: Path) -> list[Path]:
    """Every rule file of rules/, evaluated every second (generated ones rendered so, others patched)."""
    files = {path.name: text for path, text in render_files(RuleOptions(interval="1s")).items()}
    for path in sorted(Path(__file__).parents[2].joinpath("rules").glob("*.yml")):
        if path.name not in files:
            content = yaml.safe_load(path.read_text())
            for group in content["groups"]:
                group["interval"] = "1s"
            files[path.name] = yaml.safe_dump(content, sort_keys=False)
    for name, text in files.items():
        (workdir / name).write_text(text, encoding="utf-8")
    return [workdir / name for name in sorted(files)]


class Engine:
    """The Prometheus HTTP API through aiohttp, so the event loop (exporter, demo cluster) keeps running."""

    def __init__(self, session: aiohttp.ClientSession, url: str):
        self.session, self.url = session, url

    async def run(self, expr: str, instant: bool, now: float | None = None) -> dict:
        now = time.time() if now is None else now
        form = {"query": expr, "time": f"{now:.3f}"} if instant else \
            {"query": expr, "start": f"{now - 60:.3f}", "end": f"{now:.3f}", "step": "5"}
        path = "query" if instant else "query_range"
        async with self.session.post(f"{self.url}/api/v1/{path}", data=form) as response:
            return await response.json()

    async def label_values(self, label: str, selector: str) -> list[str]:
        params = {"match[]": selector}
        async with self.session.get(f"{self.url}/api/v1/label/{label}/values", params=params) as response:
            return (await response.json())["data"]

    async def wait_for(self, exprs: tuple[str, ...], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        missing = list(exprs)
        while missing and time.monotonic() < deadline:
            missing = [e for e in missing if not (await self.run(e, instant=True))["data"]["result"]]
            await asyncio.sleep(0.5)
        assert not missing, f"never returned data: {missing}"


def _variable_query(variable: dict) -> tuple[str, str]:
    """(label, series selector) of a `label_values(selector, label)` variable."""
    selector, label = variable["query"].removeprefix("label_values(").removesuffix(")").rsplit(", ", 1)
    return label, selector


async def _failures(engine: Engine, dashboard: dict, values: dict[str, str]) -> list[str]:
    found = []
    for panel, query in targets(dashboard):
        now = time.time()
        expr = substitute(query["expr"], {**range_values(now), **values})
        body = await engine.run(expr, instant=query.get("instant", False), now=now)
        if body.get("status") != "success" or not body["data"]["result"]:
            found.append(f"{dashboard['uid']} / {panel['title']} / {query['refId']} with {values}: "
                         f"{body.get('error') or 'no series'}\n    {expr}")
    return found


async def _choose_values(engine: Engine, dashboard: dict, concrete: bool,
                         skip_last: int = 0) -> tuple[dict[str, str], list[str], int]:
    """A value for every query variable, in the dashboard's order so a variable's query sees
    the values chosen before it: All (`.+`) where allowed unless `concrete`, else the first
    value listed (the last variable skips its first `skip_last`). Also what failed (a variable
    listing no value) and how many values the last variable listed."""
    values, failures, listed = {}, [], 0
    variables = [v for v in dashboard["templating"]["list"] if v["type"] == "query"]
    for variable in variables:
        if variable.get("includeAll") and not concrete:
            values[variable["name"]] = ALL
            continue
        label, selector = _variable_query(variable)
        options = await engine.label_values(label, substitute(selector, values))
        skip, listed = (skip_last, len(options)) if variable is _last_chosen(variables) else (0, listed)
        if len(options) <= skip:
            failures.append(f"{dashboard['uid']}: variable {variable['name']} lists no value with {values}")
            continue
        values[variable["name"]] = options[skip]
    return values, failures, listed


def _last_chosen(variables: list[dict]) -> dict:
    """The innermost multi-value variable (the pod of namespace, node, pod), else the last."""
    multi = [v for v in variables if v.get("includeAll")]
    return (multi or variables)[-1]


async def _check_dashboard(engine: Engine, path: Path) -> list[str]:
    """Run every query of the dashboard with each multi-value variable at All (`.+`), then with
    every variable at one concrete value (the first each lists, given the values before it);
    list what failed or came back empty.

    A concrete value may rightly leave a panel empty (a pod without a memory request has no
    memory efficiency), so the innermost variable tries up to CONCRETE_TRIES of its values and
    the first set with every panel answering passes; else the first set's failures are listed.
    """
    dashboard = load(path)
    values, failures, _ = await _choose_values(engine, dashboard, concrete=False)
    failures += await _failures(engine, dashboard, values)
    first: list[str] = []
    for skip in range(CONCRETE_TRIES):
        values, missing, listed = await _choose_values(engine, dashboard, concrete=True, skip_last=skip)
        found = missing or await _failures(engine, dashboard, values)
        first = first if skip else found
        if not found or skip + 1 >= listed:
            return failures + (found and first)
    return failures + first


async def test_dashboard_panel_queries_with_demo_data_return_series(prometheus_factory, tmp_path):
    start = time.time()
    budgets = {"carbon_grams_daily": 100, "carbon_grams_monthly": 3000, "cost_daily": 1, "cost_monthly": 30}
    namespaces = sorted({p["namespace"] for p in DemoCluster.build(start=start).expected(start)})
    stack = await start_demo_stack(prometheus_factory, tmp_path, start=start, rule_files=rule_files_fast(tmp_path),
                                   openmetrics=backfill_text(namespaces, int(start) - 5))
    settings = ExporterSettings(prometheus_url=stack.prometheus.url, kubeconfig=stack.kubeconfig,
                                metrics_port=stack.exporter_port, cycle_seconds=1, rate_window_seconds=5,
                                budgets={ns: budgets for ns in namespaces})
    stop = asyncio.Event()
    exporter = asyncio.create_task(serve(settings, stop))
    try:
        async with aiohttp.ClientSession() as session:
            engine = Engine(session, stack.prometheus.url)
            await engine.wait_for(READY)
            # Range totals read the minute-recorded rates at whole minutes (dashboards/queries.py):
            # wait past the next one, which also gives the $__rate_interval (1m) rates samples.
            await asyncio.sleep(STEP_SECONDS - time.time() % STEP_SECONDS + 3)
            failures = [failure for path in DASHBOARD_FILES for failure in await _check_dashboard(engine, path)]
    finally:
        stop.set()
        await asyncio.wait_for(exporter, 30)
        await stack.close()

    assert failures == [], "\n".join(failures)
