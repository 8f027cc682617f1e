"""GreenKube / Nodes: per node facts, power (pods and unallocated), carbon, cost, utilisation, PUE."""

from dashboards.common import (
    BYTES,
    CORES,
    GRAMS,
    INTENSITY,
    MONEY,
    RATIO,
    SCORE,
    WATTS,
    Board,
    Column,
    currency_variable,
    query_variable,
    table_panel,
    target,
    timeseries_panel,
)
from dashboards.queries import per_hour, rate, selector
from exporter import catalogue as cat
from queryapi.recorded import usage_sum
from rules.rollups import sum_name

FILE_NAME = "greenkube-nodes.json"
NODE = 'node=~"$node"'


def _capacity(metric: cat.MetricDef) -> str:
    return f"max by (node) ({metric.name}{{{NODE}}})"


def build() -> Board:
    node = query_variable("node", "Node", cat.NODE_INFO.name, "node")
    board = Board(FILE_NAME, "Nodes",
                  "Per node: how it is estimated, power attributed to pods and left unallocated, carbon, cost, "
                  "CPU and memory utilisation, PUE and grid intensity.",
                  [node, currency_variable()])
    board.row("Facts")
    board.add(table_panel(
        "Nodes and estimate sources",
        Column(target(f"max by (node, provider, instance_type, region, zone, grid_zone, arch, power_source, "
                      f"intensity_source, embodied_source, price_source) ({cat.NODE_INFO.name}{{{NODE}}})",
                      instant=True, table_format=True), "Info", SCORE),
        Column(target(_capacity(cat.NODE_CPU_CAPACITY), instant=True, table_format=True), "vCPU", CORES),
        Column(target(_capacity(cat.NODE_PUE), instant=True, table_format=True), "PUE", SCORE),
        description="greenkube_node_info with each node's vCPU and PUE; a `default` source is a guess."))

    board.row("Power, carbon and cost")
    board.add(timeseries_panel(
        "Power", WATTS,
        target(rate("node", cat.POD_ENERGY, NODE), "{{node}} pods"),
        target(rate("node", cat.NODE_UNALLOCATED_ENERGY, NODE), "{{node}} unallocated"),
        description="IT power before PUE: attributed to pods, and idle power no pod requested.", stacked=True))
    board.add(timeseries_panel(
        "CO2e per hour", GRAMS,
        *(target(per_hour(rate("node", counter, NODE)), f"{{{{node}}}} {legend}")
          for counter, legend in ((cat.POD_CO2E, "pods"), (cat.NODE_UNALLOCATED_CO2E, "unallocated"),
                                  (cat.POD_EMBODIED_CO2E, "pods embodied"),
                                  (cat.NODE_UNALLOCATED_EMBODIED_CO2E, "unallocated embodied"))),
        stacked=True))
    board.add(timeseries_panel(
        "Cost per hour ($currency)", MONEY,
        target(per_hour(rate("node", cat.POD_COST, NODE)), "{{node}} pods"),
        target(per_hour(rate("node", cat.NODE_UNALLOCATED_COST, NODE)), "{{node}} unallocated"), stacked=True))
    board.add(timeseries_panel(
        "Grid intensity of the node's zone", INTENSITY,
        target(f'max by (node, grid_zone) ({cat.NODE_INFO.name}{{{NODE}}})\n'
               f'* on (grid_zone) group_left ()\n'
               f'  max by (grid_zone) (label_replace({cat.GRID_INTENSITY.name}, "grid_zone", "$1", "zone", "(.*)"))',
               "{{node}} ({{grid_zone}})")))

    board.row("Utilisation")
    cpu_capacity = f"on (node) group_left () {_capacity(cat.NODE_CPU_CAPACITY)}"
    board.add(timeseries_panel(
        "CPU used and requested / capacity", RATIO,
        target(f"{selector(usage_sum('node', cat.POD_CPU_USAGE).name, NODE)}\n/ {cpu_capacity}", "{{node}} used"),
        target(f"{selector(sum_name('node', cat.POD_CPU_REQUEST), NODE)}\n/ {cpu_capacity}", "{{node}} requested"),
        description="Utilisation drives dynamic power; requests decide who carries idle power.", span=8))
    board.add(timeseries_panel(
        "Memory used and requested", BYTES,
        target(selector(usage_sum("node", cat.POD_MEMORY_USAGE).name, NODE), "{{node}} used"),
        target(selector(sum_name("node", cat.POD_MEMORY_REQUEST), NODE), "{{node}} requested"),
        target(_capacity(cat.NODE_MEMORY_CAPACITY), "{{node}} capacity"), span=8))
    board.add(timeseries_panel("PUE", SCORE, target(_capacity(cat.NODE_PUE), "{{node}}"), span=8,
                               description="Power usage effectiveness applied to each node's energy."))
    return board
