"""End to end: exporter counters -> real Prometheus with the rules -> real Alertmanager -> webhook.

Prometheus loads all three rule files, rendered fast: the history rules of rules/history.yml
(queryapi.recorded) with a 1 s evaluation and a 2 s "hour" (the increase range), and the
roll-ups and alerts with fast options (1 s evaluation, a 4 s "daily" window read every 2 s,
`for: 2s`); everything else is as in production. A small aiohttp target serves the exporter's
own metrics (build info, a fresh last-success time, sources up, and the budgets from
`ExporterSettings` through `AlertConfigCollector`), plus the pod carbon counters, growing at
rates the test sets. Prometheus scrapes it every second, so the chain pod counters -> hourly
increases -> budget-period usage -> alert -> notification is exercised whole.
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
from queryapi.recorded import GROUP_NAME, INCREASE_RANGE_SECONDS, hourly_increase, render_rules
from rules.options import DEFAULT_FOR, BudgetPeriod, RuleOptions
from rules.render import render_files

pytestmark = pytest.mark.e2e

# The history rules' "hour": the increase range, and the step budget periods read it at.
FAST_HOUR = "2s"
FAST = RuleOptions(
    interval="1s",
    periods=(BudgetPeriod(cat.BUDGET_PERIOD_DAILY, "4s", FAST_HOUR, "4 seconds"),
             BudgetPeriod(cat.BUDGET_PERIOD_MONTHLY, "8s", FAST_HOUR, "8 seconds")),
    for_durations={name: "2s" for name in DEFAULT_FOR},
)
BUDGET = "GreenKubeCarbonBudgetExceeded"
# team-a: 500 g a "day"; team-b: 1000 g, and it stays under it.
SETTINGS = ExporterSettings(budgets={"team-a": {"carbon_grams_daily": 500}, "team-b": {"carbon_grams_daily": 1000}})
# Operational CO2e per second while team-a is over (embodied adds a fifth): 500 + 100 g per
# 2 s "hour", two of them in the 4 s "day", 1,200 g > 500 g. team-b at 1 g/s: about 5 g a "day".
OVER_GRAMS_PER_SECOND = 250.0
WAIT_SECONDS = 40.0


def fast_history_rules() -> str:
    """rules/history.yml as generated, with the fast evaluation interval and "hour"."""
    content = render_rules()
    # The minute group only: alerts read no daily sum (whose day the fast "hour" would not scale).
    content["groups"] = [group for group in content["groups"] if group["name"] == GROUP_NAME]
    hour = f"[{INCREASE_RANGE_SECONDS}s]"
    for group in content["groups"]:
        group["interval"] = FAST.interval
        for rule in group["rules"]:
            if rule["record"].endswith(":sum_increase1h"):
                assert hour in rule["expr"], rule  # the generator changed: update this substitution
                rule["expr"] = rule["expr"].replace(hour, f"[{FAST_HOUR}]")
    return yaml.safe_dump(content, sort_keys=False, width=120)


class FedTarget:
    """The exporter's self metrics and budgets, plus pod carbon counters growing at set rates."""

    def __init__(self) -> None:
        self.metrics = SelfMetrics(currency="EUR")
        self.metrics.registry.register(AlertConfigCollector(SETTINGS))
        for source in (cat.SOURCE_PROMETHEUS, cat.SOURCE_KUBERNETES):
            self.metrics.source_up.labels(source).set(1)
        self.rates = {"team-a": 0.0, "team-b": 1.0}  # operational g CO2e per second
        self.grams = {namespace: 0.0 for namespace in self.rates}
        self.since = time.monotonic()

    def set_rate(self, namespace: str, grams_per_second: float) -> None:
        """Count what the old rate emitted so far, then emit at the new one."""
        self._advance()
        self.rates[namespace] = grams_per_second

    def _advance(self) -> None:
        now = time.monotonic()
        for namespace, rate in self.rates.items():
            self.grams[namespace] += rate * (now - self.since)
        self.since = now

    async def handle(self, _: web.Request) -> web.Response:
        self.metrics.last_success.set(time.time())
        self._advance()
        lines = []
        for namespace, grams in self.grams.items():
            labels = f'{{namespace="{namespace}",pod="{namespace}-0",node="node-1"}}'
            lines.append(f"{cat.POD_CO2E.name}{labels} {grams}")
            lines.append(f"{cat.POD_EMBODIED_CO2E.name}{labels} {grams / 5}")
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
    rule_files = [tmp_path / "history.yml"]
    rule_files[0].write_text(fast_history_rules(), encoding="utf-8")
    for path, text in render_files(FAST).items():
        rule_files.append(tmp_path / path.name)
        rule_files[-1].write_text(text, encoding="utf-8")
    prometheus = await asyncio.to_thread(
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
    fed.set_rate("team-a", OVER_GRAMS_PER_SECOND)
    await _wait_for(notifications, 1, "firing")
    fed.set_rate("team-a", 0.0)
    await _wait_for(notifications, 2, "resolved")
    await asyncio.sleep(3)  # nothing more may come (no repeat, no other alert)
    # The hourly increase the budget read was recorded by the history rules, not scraped.
    recorded = await asyncio.to_thread(
        prometheus.query, f'{hourly_increase("namespace", cat.POD_CO2E).name}{{namespace="team-a"}}[1m]')
    scraped = await asyncio.to_thread(prometheus.query, '{__name__=~".+:.+", job=~".+"}')

    assert [n["status"] for n in notifications] == ["firing", "resolved"], yaml.safe_dump(notifications)
    firing, resolved = (_alert_of(n) for n in notifications)
    expected_labels = {"alertname": BUDGET, "namespace": "team-a", "period": cat.BUDGET_PERIOD_DAILY,
                       "severity": "warning"}
    assert firing["labels"] == expected_labels
    assert resolved["labels"] == expected_labels
    assert firing["annotations"]["summary"] == "A namespace is over its carbon budget."
    assert firing["annotations"]["description"].startswith("Namespace team-a emitted ")
    assert firing["annotations"]["description"].endswith(" in the last 4 seconds, above its daily budget of 500g.")
    assert max(float(value) for _, value in recorded[0]["values"]) > 0
    assert scraped == []
    assert firing["annotations"]["runbook_url"].endswith("/docs/runbooks.md#greenkubecarbonbudgetexceeded")
