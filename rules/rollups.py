"""Roll-ups the dashboards and alerts read: rates, requests, capacity and budget-period usage.

rules/history.yml (queryapi/recorded.py) already records every counter's hourly increase and
the usage gauges' sums per namespace, node and cluster; nothing here records those again.
This file adds what history does not have:

- `level:metric:sum_rate5m` for every pod and node counter: power (J/s = W), carbon and cost per
  second, for dashboards at any range without reading pod series;
- `level:metric:sum` of CPU and memory requests per namespace, node and cluster, and the
  cluster's CPU and memory capacity;
- `namespace:metric:sum_increase1d` / `sum_increase30d` of carbon and cost: the history's
  hourly increases read at whole hours over the last 24 hours / 30 days, for the budget alerts
  and the budget panels.

Names come from `queryapi.recorded.Recorded`, so one rule spells every recorded name.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from exporter.catalogue import (
    NODE_COUNTERS,
    NODE_CPU_CAPACITY,
    NODE_MEMORY_CAPACITY,
    POD_CO2E,
    POD_COST,
    POD_COUNTERS,
    POD_CPU_REQUEST,
    POD_EMBODIED_CO2E,
    POD_MEMORY_REQUEST,
    MetricDef,
)
from queryapi import promql
from queryapi.recorded import LEVELS, Recorded, hourly_increase
from rules.options import DEFAULT_OPTIONS, BudgetPeriod, RuleOptions

ROLLUP_GROUP = "greenkube-rollups.rules"
BUDGET_GROUP = "greenkube-budgets.rules"
REQUEST_GAUGES = (POD_CPU_REQUEST, POD_MEMORY_REQUEST)
CAPACITY_GAUGES = (NODE_CPU_CAPACITY, NODE_MEMORY_CAPACITY)
# Counters a namespace budget is checked against: carbon (operational + embodied) and cost.
BUDGET_COUNTERS = (POD_CO2E, POD_EMBODIED_CO2E, POD_COST)
CARBON_BUDGET_COUNTERS = (POD_CO2E, POD_EMBODIED_CO2E)
COST_BUDGET_COUNTERS = (POD_COST,)


@dataclass(frozen=True)
class Rollup:
    """One recording rule of this file."""

    level: str
    source: MetricDef
    operation: str
    expr: str

    @property
    def name(self) -> str:
        return Recorded(self.level, self.source, self.operation).name


def rate_name(level: str, counter: MetricDef, options: RuleOptions = DEFAULT_OPTIONS) -> str:
    """`level:metric:sum_rate5m`: the counter's per-second rate summed at `level` (W for joules)."""
    return Recorded(level, counter, f"sum_rate{options.rate_window}").name


def sum_name(level: str, gauge: MetricDef) -> str:
    """`level:metric:sum`: a gauge summed at `level` (requests here; usage in rules/history.yml)."""
    return Recorded(level, gauge, "sum").name


def period_name(counter: MetricDef, period: BudgetPeriod) -> str:
    """`namespace:metric:sum_increase1d`: the counter's increase per namespace over the period."""
    return Recorded("namespace", counter, f"sum_increase{period.window}").name


def rate_rollups(options: RuleOptions) -> list[Rollup]:
    pods = [(level, counter) for counter in POD_COUNTERS for level in LEVELS]
    nodes = [(level, counter) for counter in NODE_COUNTERS for level in ("node", "cluster")]
    return [
        Rollup(level, counter, f"sum_rate{options.rate_window}",
               _sum_by(LEVELS[level], f"rate({counter.name}[{options.rate_window}])"))
        for level, counter in (*pods, *nodes)
    ]


def gauge_rollups() -> list[Rollup]:
    requests = [(level, gauge) for gauge in REQUEST_GAUGES for level in LEVELS]
    capacity = [("cluster", gauge) for gauge in CAPACITY_GAUGES]
    return [Rollup(level, gauge, "sum", promql.rule_sum(gauge, LEVELS[level]))
            for level, gauge in (*requests, *capacity)]


def budget_rollups(options: RuleOptions) -> list[Rollup]:
    """Per namespace and period: the sum of the hourly increases read at each whole step."""
    rollups = []
    for period in options.periods:
        for counter in BUDGET_COUNTERS:
            hourly = hourly_increase("namespace", counter).name
            expr = f"sum by (namespace) (sum_over_time({hourly}[{period.subquery_range}:{period.step}]))"
            rollups.append(Rollup("namespace", counter, f"sum_increase{period.window}", expr))
    return rollups


def render_rollups(options: RuleOptions = DEFAULT_OPTIONS) -> dict:
    """The roll-up rule file's content: a group of rates and sums, and a group of budget usage."""

    def rules(rollups: Sequence[Rollup]) -> list[dict]:
        return [{"record": rollup.name, "expr": rollup.expr} for rollup in rollups]

    return {"groups": [
        {"name": ROLLUP_GROUP, "interval": options.interval,
         "rules": rules([*rate_rollups(options), *gauge_rollups()])},
        {"name": BUDGET_GROUP, "interval": options.interval, "rules": rules(budget_rollups(options))},
    ]}


def _sum_by(by: Sequence[str], expr: str) -> str:
    return f"sum by ({', '.join(by)}) ({expr})" if by else f"sum({expr})"
