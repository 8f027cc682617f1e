"""GreenKube / Namespaces: energy, carbon, cost, usage, efficiency, budgets and score per namespace."""

from dashboards.common import (
    BYTES,
    CORES,
    GRAMS,
    JOULES,
    MONEY,
    RATIO,
    SCORE,
    WATTS,
    Board,
    bargauge_panel,
    currency_variable,
    query_variable,
    target,
    timeseries_panel,
)
from dashboards.queries import per_hour, range_total, rate, selector
from exporter import catalogue as cat
from queryapi.recorded import usage_sum
from rules.options import DEFAULT_OPTIONS
from rules.rollups import CARBON_BUDGET_COUNTERS, COST_BUDGET_COUNTERS, period_name, rate_name, sum_name

FILE_NAME = "greenkube-namespaces.json"
NS = 'namespace=~"$namespace"'


def _namespace_total(counters: tuple[cat.MetricDef, ...]) -> str:
    """Per namespace, the sum of the counters over the dashboard's range, largest first."""
    return f"sort_desc(\n{range_total('namespace', counters, NS)}\n)"


def _budget_used(counters: tuple[cat.MetricDef, ...], budget: cat.MetricDef, period) -> str:
    """Share of the namespace's budget used over the period (1 = all of it)."""
    used = " + ".join(selector(period_name(counter, period), NS) for counter in counters)
    return f'({used})\n/ on (namespace)\n  max by (namespace) ({budget.name}{{period="{period.name}", {NS}}})'


def build() -> Board:
    namespace = query_variable("namespace", "Namespace", rate_name("namespace", cat.POD_ENERGY), "namespace")
    board = Board(FILE_NAME, "Namespaces",
                  "Energy, carbon (operational and embodied) and cost per namespace, CPU and memory against "
                  "requests, budgets and sustainability score. Reads the namespace roll-ups only.",
                  [namespace, currency_variable()])
    board.row("Over the selected range")
    board.add(bargauge_panel("CO2e", GRAMS, target(_namespace_total(CARBON_BUDGET_COUNTERS), "{{namespace}}",
                                                   instant=True),
                             description="Operational plus embodied grams CO2e per namespace.", span=8))
    board.add(bargauge_panel("Energy", JOULES, target(_namespace_total((cat.POD_ENERGY,)), "{{namespace}}",
                                                      instant=True),
                             description="IT energy per namespace, before PUE.", span=8))
    board.add(bargauge_panel("Cost ($currency)", MONEY, target(_namespace_total(COST_BUDGET_COUNTERS),
                                                               "{{namespace}}", instant=True), span=8))

    board.row("Over time")
    board.add(timeseries_panel("Power", WATTS, target(rate("namespace", cat.POD_ENERGY, NS), "{{namespace}}"),
                               stacked=True))
    board.add(timeseries_panel(
        "CO2e per hour", GRAMS,
        target(per_hour(" + ".join(rate("namespace", c, NS) for c in CARBON_BUDGET_COUNTERS)), "{{namespace}}"),
        description="Operational plus embodied.", stacked=True))
    board.add(timeseries_panel("Cost per hour ($currency)", MONEY,
                               target(per_hour(rate("namespace", cat.POD_COST, NS)), "{{namespace}}"), stacked=True))
    board.add(timeseries_panel(
        "Sustainability score", SCORE,
        target(f"max by (namespace) ({cat.SUSTAINABILITY_SCORE.name}{{{NS}}})", "{{namespace}}"),
        target(f"max({cat.SUSTAINABILITY_SCORE_THRESHOLD.name})", "alert threshold")))

    board.row("Usage and efficiency")
    cpu_used = selector(usage_sum("namespace", cat.POD_CPU_USAGE).name, NS)
    cpu_requested = selector(sum_name("namespace", cat.POD_CPU_REQUEST), NS)
    memory_used = selector(usage_sum("namespace", cat.POD_MEMORY_USAGE).name, NS)
    memory_requested = selector(sum_name("namespace", cat.POD_MEMORY_REQUEST), NS)
    board.add(timeseries_panel("CPU used and requested", CORES, target(cpu_used, "{{namespace}} used"),
                               target(cpu_requested, "{{namespace}} requested"), span=8))
    board.add(timeseries_panel("Memory used and requested", BYTES, target(memory_used, "{{namespace}} used"),
                               target(memory_requested, "{{namespace}} requested"), span=8))
    board.add(timeseries_panel(
        "CPU efficiency (used / requested)", RATIO, target(f"{cpu_used}\n/ {cpu_requested}", "{{namespace}}"),
        description="Low values mean requested CPU that idles: it holds idle power, embodied carbon and cost.",
        span=8))

    board.row("Budgets")
    for title, counters, budget in (("Carbon budget used", CARBON_BUDGET_COUNTERS, cat.NAMESPACE_CO2E_BUDGET),
                                    ("Cost budget used", COST_BUDGET_COUNTERS, cat.NAMESPACE_COST_BUDGET)):
        board.add(bargauge_panel(
            title, RATIO,
            *(target(_budget_used(counters, budget, period), f"{{{{namespace}}}} {period.name}", instant=True)
              for period in DEFAULT_OPTIONS.periods),
            description="Usage over the last 24 hours (daily) and 30 days (monthly) against the budgets set in "
                        "GreenKube's configuration; 100% fires the budget alert."))
    return board
