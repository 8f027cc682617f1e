"""A 41-day cluster history with a known ground truth, for the history tests.

The tests read 2024-01-31 00:00 UTC to 2024-03-12 00:00 UTC (START, END); samples, one a
minute, run from 13 minutes before to 13 minutes after, as an exporter installed earlier and
still running would leave them. The window holds a whole calendar month (February), a leap
day, two month boundaries, ISO weeks, and the America/New_York spring-forward of 2024-03-10
(a 23-hour local day). Two nodes, four namespaces:

    shop   web-0 (all along); web-1, replaced by web-1-v2 at 2024-02-20 12:36-12:37 (a rollout)
    data   db-0 (all along)
    batch  runner (all along); one job pod every day 02:17-04:43
    ml     a namespace that appears: trainer-0 from 2024-02-26 09:10 on, trainer-1 from
           2024-02-27 13:20 to 2024-03-04 17:25

plus each node's unallocated counters and its PUE gauge (node-a 1.25, node-b 1.5). The
exporter restarts once: no samples from 2024-02-14 10:21 to 10:33, then every counter starts
again from 0 (a reset).

Each pod has the four counters at constant rates: energy `watts` J/s; operational carbon
watts x the node's grams per joule; embodied watts / 10^4 g/s; cost watts / 10^6 per s.
The truth of any counter over any interval is its rate times the time it was published in
that interval (`truth`); the energy the exporter did not see while down is in no counter.
"""

from collections.abc import Iterable
from datetime import UTC, datetime

from exporter.catalogue import (
    NODE_PUE,
    NODE_UNALLOCATED_CO2E,
    NODE_UNALLOCATED_COST,
    NODE_UNALLOCATED_EMBODIED_CO2E,
    NODE_UNALLOCATED_ENERGY,
    POD_CO2E,
    POD_COST,
    POD_EMBODIED_CO2E,
    POD_ENERGY,
    MetricDef,
)
from tests.fixtures.history import CounterSeries, GaugeSeries

STEP = 60
MINUTE, HOUR, DAY = 60, 3600, 86400


def at(text: str) -> int:
    """Unix seconds of a UTC time written `2024-02-14T10:21`."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


START, END = at("2024-01-31T00:00"), at("2024-03-12T00:00")
FIRST, LAST = START - 13 * MINUTE, END + 13 * MINUTE  # first and last sample
DOWN, UP = at("2024-02-14T10:21"), at("2024-02-14T10:33")
ROLLOUT = at("2024-02-20T12:36")
# Operational grams per IT joule (grid intensity x PUE): 0.0001 g/J = 360 g per IT kWh.
GRAMS_PER_JOULE = {"node-a": 0.0001, "node-b": 0.0003}
PUE = {"node-a": 1.25, "node-b": 1.5}
NAMESPACES = ("batch", "data", "ml", "shop")
# namespace, pod, node, watts, start, end
PODS = [
    ("shop", "web-0", "node-a", 30.0, FIRST, LAST),
    ("shop", "web-1", "node-b", 20.0, FIRST, ROLLOUT + MINUTE),
    ("shop", "web-1-v2", "node-b", 20.0, ROLLOUT, LAST),
    ("data", "db-0", "node-a", 50.0, FIRST, LAST),
    ("batch", "runner", "node-b", 60.0, FIRST, LAST),
    ("ml", "trainer-0", "node-a", 100.0, at("2024-02-26T09:10"), LAST),
    ("ml", "trainer-1", "node-b", 50.0, at("2024-02-27T13:20"), at("2024-03-04T17:25")),
    *[("batch", f"job-{datetime.fromtimestamp(day, UTC):%Y%m%d}", "node-a", 6.0,
       day + 2 * HOUR + 17 * MINUTE, day + 4 * HOUR + 43 * MINUTE) for day in range(START, END, DAY)],
]
# node, watts, embodied g/s, cost per s: what no pod holds
UNALLOCATED = [("node-a", 5.0, 0.001, 0.00005), ("node-b", 15.0, 0.002, 0.00015)]
COUNTERS = (POD_ENERGY, POD_CO2E, POD_EMBODIED_CO2E, POD_COST)


def _pod_rates(node: str, watts: float) -> dict[MetricDef, float]:
    return {POD_ENERGY: watts, POD_CO2E: watts * GRAMS_PER_JOULE[node],
            POD_EMBODIED_CO2E: watts / 1e4, POD_COST: watts / 1e6}


def _segments(start: int, end: int) -> list[tuple[int, int]]:
    """The published spans of a series: split by the exporter restart when it spans it."""
    if start < DOWN and end > UP:
        return [(start, DOWN), (UP, end)]
    return [(start, end)]


def build() -> list[CounterSeries | GaugeSeries]:
    """Every series of the scenario; a restarted series is two in a row with the same labels."""
    series = []
    for namespace, pod, node, watts, start, end in PODS:
        labels = {"namespace": namespace, "pod": pod, "node": node}
        for metric, rate in _pod_rates(node, watts).items():
            series.extend(CounterSeries(metric, labels, rate, a, b, STEP) for a, b in _segments(start, end))
    for node, watts, embodied, cost in UNALLOCATED:
        rates = {NODE_UNALLOCATED_ENERGY: watts, NODE_UNALLOCATED_CO2E: watts * GRAMS_PER_JOULE[node],
                 NODE_UNALLOCATED_EMBODIED_CO2E: embodied, NODE_UNALLOCATED_COST: cost}
        for metric, rate in rates.items():
            series.extend(CounterSeries(metric, {"node": node}, rate, a, b, STEP) for a, b in _segments(FIRST, LAST))
        series.extend(GaugeSeries(NODE_PUE, {"node": node}, PUE[node], a, b, STEP) for a, b in _segments(FIRST, LAST))
    return series


HISTORY = build()


def truth(metrics: Iterable[MetricDef], start: int, end: int, **labels: str) -> float:
    """True increase over [start, end] of the series of `metrics` whose labels include `labels`."""
    wanted = set(metrics)
    return sum(s.increase(start, end) for s in HISTORY
               if s.metric in wanted and all(s.labels.get(k) == v for k, v in labels.items()))
