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
from tests.dashboards.conventions import DASHBOARD_FILES, load, substitute, targets
from tests.fixtures.demo import start_demo_stack

pytestmark = pytest.mark.e2e

ALL = ".+"
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

    async def run(self, expr: str, instant: bool) -> dict:
        now = time.time()
        form = {"query": expr, "time": f"{now:.3f}"} if instant else \
            {"query": expr, "start": f"{now - 60:.3f}", "end": f"{now:.3f}", "step": "5"}
        path = "query" if instant else "query_range"
        async with self.session.post(f"{self.url}/api/v1/{path}", data=form) as response:
            return await response.json()

    async def label_values(self, label: str, metric: str) -> list[str]:
        params = {"match[]": metric}
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
    """(label, metric) of a `label_values(metric, label)` variable."""
    metric, label = variable["query"].removeprefix("label_values(").removesuffix(")").split(", ")
    return label, metric


async def _failures(engine: Engine, dashboard: dict, values: dict[str, str]) -> list[str]:
    found = []
    for panel, query in targets(dashboard):
        expr = substitute(query["expr"], values)
        body = await engine.run(expr, instant=query.get("instant", False))
        if body.get("status") != "success" or not body["data"]["result"]:
            found.append(f"{dashboard['uid']} / {panel['title']} / {query['refId']} with {values}: "
                         f"{body.get('error') or 'no series'}\n    {expr}")
    return found


async def _check_dashboard(engine: Engine, path: Path) -> list[str]:
    """Run every query of the dashboard with each variable at All (`.+`), and, when it has one
    data variable, again at that variable's first value; list what failed or came back empty."""
    dashboard = load(path)
    variables = [v for v in dashboard["templating"]["list"] if v["type"] == "query"]
    failures, firsts = [], {}
    for variable in variables:
        options = await engine.label_values(*_variable_query(variable))
        if not options:
            failures.append(f"{dashboard['uid']}: variable {variable['name']} lists no value")
            continue
        firsts[variable["name"]] = options[0]
    all_values = {v["name"]: ALL if v.get("includeAll") else firsts.get(v["name"], "") for v in variables}
    failures += await _failures(engine, dashboard, all_values)
    chosen = [v["name"] for v in variables if v.get("includeAll")]
    if len(chosen) == 1 and chosen[0] in firsts:
        failures += await _failures(engine, dashboard, {**all_values, chosen[0]: firsts[chosen[0]]})
    return failures


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
            await asyncio.sleep(3)  # a few more samples for the $__rate_interval (1m) rates
            failures = [failure for path in DASHBOARD_FILES for failure in await _check_dashboard(engine, path)]
    finally:
        stop.set()
        await asyncio.wait_for(exporter, 30)
        await stack.close()

    assert failures == [], "\n".join(failures)
