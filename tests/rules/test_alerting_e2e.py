"""End to end: exporter gauges -> real Prometheus with the rules -> real Alertmanager -> webhook.

The rules are the generated ones rendered with fast options (1 s evaluation, a 5 s "daily"
window, `for: 2s`); everything else is as in production. A small aiohttp target serves the
exporter's own metrics (build info, a fresh last-success time, sources up, and the budgets
from `ExporterSettings` through `AlertConfigCollector`), plus the hourly carbon increases the
history rules would record, fed directly so the test can move them. Prometheus scrapes it
every second.
"""

import asyncio
import time

import pytest
import yaml
from aiohttp import web

from exporter import catalogue as cat
from exporter.budgets import AlertConfigCollector
from exporter.config import ExporterSettings
from exporter.service import SelfMetrics
from queryapi.recorded import hourly_increase
from rules.options import DEFAULT_FOR, BudgetPeriod, RuleOptions
from rules.render import render_files

pytestmark = pytest.mark.e2e

FAST = RuleOptions(
    interval="1s",
    periods=(BudgetPeriod(cat.BUDGET_PERIOD_DAILY, "5s", "1s", "5 seconds"),
             BudgetPeriod(cat.BUDGET_PERIOD_MONTHLY, "10s", "1s", "10 seconds")),
    for_durations={name: "2s" for name in DEFAULT_FOR},
)
BUDGET = "GreenKubeCarbonBudgetExceeded"
# team-a: 500 g a "day"; team-b: 1000 g, and it stays under it.
SETTINGS = ExporterSettings(budgets={"team-a": {"carbon_grams_daily": 500}, "team-b": {"carbon_grams_daily": 1000}})
WAIT_SECONDS = 40.0


class FedTarget:
    """The exporter's self metrics and budgets, plus hourly increases the test sets (grams)."""

    def __init__(self) -> None:
        self.metrics = SelfMetrics(currency="EUR")
        self.metrics.registry.register(AlertConfigCollector(SETTINGS))
        for source in (cat.SOURCE_PROMETHEUS, cat.SOURCE_KUBERNETES):
            self.metrics.source_up.labels(source).set(1)
        self.hourly = {"team-a": 0.0, "team-b": 10.0}

    async def handle(self, _: web.Request) -> web.Response:
        self.metrics.last_success.set(time.time())
        lines = []
        for namespace, grams in self.hourly.items():
            lines.append(f'{hourly_increase("namespace", cat.POD_CO2E).name}{{namespace="{namespace}"}} {grams}')
            lines.append(f'{hourly_increase("namespace", cat.POD_EMBODIED_CO2E).name}{{namespace="{namespace}"}} '
                         f'{grams / 5}')
        body = self.metrics.render().decode() + "\n".join(lines) + "\n"
        return web.Response(text=body, content_type="text/plain")


async def _wait_for(notifications: list[dict], count: int, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while len(notifications) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} notification within {WAIT_SECONDS:g} s; got {notifications}")
        await asyncio.sleep(0.2)


def _alert_of(notification: dict) -> dict:
    assert len(notification["alerts"]) == 1, notification
    return notification["alerts"][0]


async def test_alerting_namespace_over_budget_notifies_once_then_resolves(
    prometheus_factory, alertmanager_factory, aiohttp_server, tmp_path
):
    notifications: list[dict] = []

    async def hook(request: web.Request) -> web.Response:
        notifications.append(await request.json())
        return web.Response()

    receiver = web.Application()
    receiver.router.add_post("/hook", hook)
    hook_server = await aiohttp_server(receiver)
    fed = FedTarget()
    target_app = web.Application()
    target_app.router.add_get("/metrics", fed.handle)
    target = await aiohttp_server(target_app)

    alertmanager = alertmanager_factory({
        "route": {"receiver": "hook", "group_by": ["alertname", "namespace", "period"],
                  "group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"},
        "receivers": [{"name": "hook", "webhook_configs": [
            {"url": f"http://127.0.0.1:{hook_server.port}/hook", "send_resolved": True}]}],
    })
    rule_files = []
    for path, text in render_files(FAST).items():
        rule_files.append(tmp_path / path.name)
        rule_files[-1].write_text(text, encoding="utf-8")
    await asyncio.to_thread(
        prometheus_factory,
        scrape_configs=[{"job_name": FAST.exporter_job, "static_configs": [{"targets": [f"127.0.0.1:{target.port}"]}]}],
        rule_files=rule_files,
        extra_config={
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager.address]}]}]},
        },
    )

    await asyncio.sleep(4)  # several evaluations with team-a at 0: nothing may fire
    assert notifications == []
    fed.hourly["team-a"] = 100.0  # 120 g per reading, read every second: > 500 g within the 5 s window
    await _wait_for(notifications, 1, "firing")
    fed.hourly["team-a"] = 0.0
    await _wait_for(notifications, 2, "resolved")
    await asyncio.sleep(3)  # nothing more may come (no repeat, no other alert)

    assert [n["status"] for n in notifications] == ["firing", "resolved"], yaml.safe_dump(notifications)
    firing, resolved = (_alert_of(n) for n in notifications)
    expected_labels = {"alertname": BUDGET, "namespace": "team-a", "period": cat.BUDGET_PERIOD_DAILY,
                       "severity": "warning"}
    assert firing["labels"] == expected_labels
    assert resolved["labels"] == expected_labels
    assert firing["annotations"]["summary"] == "A namespace is over its carbon budget."
    assert firing["annotations"]["description"].startswith("Namespace team-a emitted ")
    assert firing["annotations"]["description"].endswith(" in the last 5 seconds, above its daily budget of 500g.")
    assert firing["annotations"]["runbook_url"].endswith("/docs/runbooks.md#greenkubecarbonbudgetexceeded")
