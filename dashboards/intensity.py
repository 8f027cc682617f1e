"""GreenKube / Carbon intensity by zone: grid intensity, the nodes in each zone, their power and carbon."""

from dashboards.common import (
    COUNT,
    GRAMS,
    INTENSITY,
    WATTS,
    Board,
    Column,
    bargauge_panel,
    query_variable,
    table_panel,
    target,
    timeseries_panel,
)
from dashboards.queries import JOULES_PER_KWH, per_hour, total_rate
from exporter import catalogue as cat

FILE_NAME = "greenkube-carbon-intensity.json"
ZONE = 'zone=~"$zone"'
NODES_IN_ZONE = f'max by (node, grid_zone) ({cat.NODE_INFO.name}{{grid_zone=~"$zone"}})'


def _by_zone(counter: cat.MetricDef) -> str:
    """A node-level recorded rate (pods plus unallocated) summed per grid zone of the nodes."""
    return f"sum by (grid_zone) (\n  {total_rate('node', counter)}\n  * on (node) group_left (grid_zone) " \
           f"{NODES_IN_ZONE}\n)"


def build() -> Board:
    zone = query_variable("zone", "Grid zone", cat.GRID_INTENSITY.name, "zone")
    board = Board(FILE_NAME, "Carbon intensity by zone",
                  "Grid carbon intensity of every zone the cluster runs in, its source (Electricity Maps live, "
                  "yearly table, or default), and the power and carbon of the nodes in each zone.",
                  [zone])
    board.row("Zones")
    board.add(timeseries_panel(
        "Grid intensity", INTENSITY,
        target(f"max by (zone) ({cat.GRID_INTENSITY.name}{{{ZONE}}})", "{{zone}}"),
        target(f"max({cat.GRID_INTENSITY_THRESHOLD.name})", "alert threshold"), span=16))
    board.add(table_panel(
        "Zones now",
        Column(target(f"max by (zone, source) ({cat.GRID_INTENSITY.name}{{{ZONE}}})", instant=True,
                      table_format=True), "Intensity", INTENSITY),
        description="`source`: electricitymaps (live), table (yearly average) or default (a guess).", span=8))
    board.add(bargauge_panel(
        "Nodes per zone", COUNT,
        target(f"count by (grid_zone) ({NODES_IN_ZONE})", "{{grid_zone}}", instant=True), span=8))
    board.add(bargauge_panel(
        "Nodes on the default intensity", COUNT,
        target(f'count by (node) ({cat.NODE_INFO.name}{{intensity_source="default"}}) or vector(0)', "{{node}}",
               instant=True),
        description="Their zone is unknown to the tables: their carbon is estimated from a world average.",
        span=8))
    board.add(timeseries_panel(
        "Effective intensity of the cluster's IT energy", INTENSITY,
        target(f"{total_rate('cluster', cat.POD_CO2E)}\n/ {total_rate('cluster', cat.POD_ENERGY)}\n"
               f"* {JOULES_PER_KWH}", "cluster"),
        description="Operational g CO2e per kWh of IT energy, weighted by where the energy is used; PUE included.",
        span=8))

    board.row("Power and carbon by zone")
    board.add(timeseries_panel("Power by zone", WATTS, target(_by_zone(cat.POD_ENERGY), "{{grid_zone}}"),
                               stacked=True))
    board.add(timeseries_panel("Operational CO2e per hour by zone", GRAMS,
                               target(per_hour(_by_zone(cat.POD_CO2E)), "{{grid_zone}}"), stacked=True))
    return board
