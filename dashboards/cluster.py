"""GreenKube / Cluster overview: CO2e, energy, cost, power, score, grid intensity, estimate quality."""

from dashboards.common import (
    BYTES,
    CORES,
    COUNT,
    GRAMS,
    INTENSITY,
    JOULES,
    MONEY,
    SCORE,
    WATTS,
    Board,
    Column,
    currency_variable,
    stat_panel,
    table_panel,
    target,
    timeseries_panel,
)
from dashboards.queries import JOULES_PER_KWH, per_hour, range_total, rate, total_rate
from exporter import catalogue as cat
from queryapi.recorded import usage_sum
from rules.rollups import sum_name

FILE_NAME = "greenkube-cluster.json"


def _cluster_over_range(*counters: cat.MetricDef) -> str:
    """Pods plus unallocated, summed over the dashboard's range."""
    return range_total("cluster", tuple(c for counter in counters for c in (counter, cat.UNALLOCATED_OF[counter.name])))


def build() -> Board:
    carbon = _cluster_over_range(cat.POD_CO2E, cat.POD_EMBODIED_CO2E)
    board = Board(FILE_NAME, "Cluster overview",
                  "Energy, carbon and cost of the whole cluster (pods plus the nodes' unallocated share), "
                  "its sustainability score, grid intensity and how each estimate was made.",
                  [currency_variable()])
    board.row("Over the selected range")
    board.add(stat_panel("Power now", WATTS, target(total_rate("cluster", cat.POD_ENERGY), instant=True),
                         description="IT power of every node now (before PUE): pods plus unallocated idle."))
    board.add(stat_panel("Energy", JOULES, target(_cluster_over_range(cat.POD_ENERGY), instant=True),
                         description="IT energy over the selected range, before PUE."))
    board.add(stat_panel("CO2e", GRAMS, target(carbon, instant=True),
                         description="Operational plus embodied grams CO2e over the selected range."))
    board.add(stat_panel("Cost ($currency)", MONEY, target(_cluster_over_range(cat.POD_COST), instant=True),
                         description="Cost over the selected range in the configured currency."))
    board.add(stat_panel("Sustainability score", SCORE,
                         target(f"max({cat.CLUSTER_SUSTAINABILITY_SCORE.name})", instant=True),
                         description="0 (worst) to 100 (best)."))
    board.add(stat_panel(
        "Carbon intensity of IT energy", INTENSITY,
        target(f"{total_rate('cluster', cat.POD_CO2E)}\n/ {total_rate('cluster', cat.POD_ENERGY)}\n* {JOULES_PER_KWH}",
               instant=True),
        description="Operational g CO2e per kWh of IT energy now, weighted by energy; PUE included."))

    board.row("Estimate quality")
    board.add(stat_panel(
        "Nodes on default estimates", COUNT,
        target(f'count({cat.NODE_INFO.name}{{power_source="default"}} or {cat.NODE_INFO.name}'
               f'{{intensity_source="default"}}) or vector(0)', instant=True),
        description="Nodes whose power coefficients or grid intensity are defaults: their numbers are rough.",
        span=8))
    board.add(stat_panel("Input sources up", COUNT, target(f"sum({cat.SOURCE_UP.name})", instant=True),
                         description="Inputs the exporter read successfully in its last cycle "
                                     f"({cat.SOURCE_UP.name}).", span=8))
    board.add(stat_panel("Pods estimated", COUNT, target(f"sum({cat.PODS_TRACKED.name})", instant=True), span=8))
    board.add(table_panel(
        "How each node is estimated",
        Column(target(f"max by (node, provider, instance_type, region, grid_zone, power_source, intensity_source, "
                      f"embodied_source, price_source) ({cat.NODE_INFO.name})", instant=True, table_format=True),
               "Info", SCORE),
        description=f"Source of every coefficient per node ({cat.NODE_INFO.name}); `default` means a guess."))

    board.row("Over time")
    board.add(timeseries_panel(
        "Power", WATTS,
        target(rate("cluster", cat.POD_ENERGY), "pods"),
        target(rate("cluster", cat.NODE_UNALLOCATED_ENERGY), "unallocated"),
        span=12, stacked=True))
    board.add(timeseries_panel(
        "CO2e per hour", GRAMS,
        target(per_hour(total_rate("cluster", cat.POD_CO2E)), "operational"),
        target(per_hour(total_rate("cluster", cat.POD_EMBODIED_CO2E)), "embodied"),
        span=12, stacked=True))
    board.add(timeseries_panel("Cost per hour ($currency)", MONEY,
                               target(per_hour(total_rate("cluster", cat.POD_COST)), "cost"), span=12))
    board.add(timeseries_panel(
        "Grid intensity by zone", INTENSITY,
        target(f"max by (zone) ({cat.GRID_INTENSITY.name})", "{{zone}}"),
        target(f"max({cat.GRID_INTENSITY_THRESHOLD.name})", "alert threshold"), span=12))
    board.add(timeseries_panel(
        "CPU", CORES,
        target(usage_sum("cluster", cat.POD_CPU_USAGE).name, "used"),
        target(sum_name("cluster", cat.POD_CPU_REQUEST), "requested"),
        target(sum_name("cluster", cat.NODE_CPU_CAPACITY), "capacity"), span=12))
    board.add(timeseries_panel(
        "Memory", BYTES,
        target(usage_sum("cluster", cat.POD_MEMORY_USAGE).name, "used"),
        target(sum_name("cluster", cat.POD_MEMORY_REQUEST), "requested"),
        target(sum_name("cluster", cat.NODE_MEMORY_CAPACITY), "capacity"), span=12))
    board.add(timeseries_panel(
        "Sustainability score", SCORE,
        target(f"max({cat.CLUSTER_SUSTAINABILITY_SCORE.name})", "cluster"),
        target(f"max({cat.SUSTAINABILITY_SCORE_THRESHOLD.name})", "alert threshold"), span=24))
    return board
