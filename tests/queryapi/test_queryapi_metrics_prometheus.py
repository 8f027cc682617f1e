"""GET /api/v1/metrics against a real Prometheus backfilled with history of known truth.

History (2024-03-01 from 00:00 to 02:00 UTC, one sample every 15 s): four pods in three
namespaces on two nodes, each counter growing at a constant rate, plus each node's
unallocated counters. `job-x` lives only 00:00-00:20. Truth is rate x time inside the window.

Tolerance: relative 1e-9 (float rounding) for series that cover the whole window: every
window starts and ends on a sample time, so increase() extrapolates nothing at its edges.
A series that starts or ends strictly inside the window (job-x) is extrapolated by
Prometheus by half its sample interval at that edge, so such a window may exceed the truth by
rate x 7.5 s per inside edge: that is the allowance `_edge_allowance` adds, nothing more.
"""

from datetime import UTC, datetime

import pytest

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
)
from queryapi import promql
from queryapi.config import ApiSettings
from queryapi.engine import QueryEngine
from tests.fixtures.history import CounterSeries, GaugeSeries, render_openmetrics

T0 = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())
MINUTE, HOUR, DAY = 60, 3600, 86400
REL = 1e-9
# Operational grams per joule of each node's grid (0.0001 g/J = 360 g/kWh, 0.0003 g/J = 1080 g/kWh).
GRAMS_PER_JOULE = {"node-a": 0.0001, "node-b": 0.0003}
# Those grams are per IT joule; the grid supplied PUE times as much energy.
PUE = {"node-a": 1.25, "node-b": 1.5}
# namespace, pod, node, watts, embodied g/s, cost per s, start, end
PODS = [
    ("shop", "web-1", "node-a", 10.0, 0.002, 0.0001, T0, T0 + 2 * HOUR),
    ("shop", "web-2", "node-b", 20.0, 0.003, 0.0002, T0, T0 + 2 * HOUR),
    ("data", "db-0", "node-a", 40.0, 0.004, 0.0004, T0, T0 + 2 * HOUR),
    ("batch", "job-x", "node-b", 80.0, 0.005, 0.0008, T0, T0 + 20 * MINUTE),
]
# node, watts, embodied g/s, cost per s (what no pod holds)
UNALLOCATED = [("node-a", 5.0, 0.001, 0.00005), ("node-b", 15.0, 0.002, 0.00015)]
HOSTILE_NAMESPACE = 'evil"} or vector(1) \\ \n#'


def _history() -> list[CounterSeries | GaugeSeries]:
    series = []
    for namespace, pod, node, watts, embodied, cost, start, end in PODS:
        labels = {"namespace": namespace, "pod": pod, "node": node}
        for metric, rate in ((POD_ENERGY, watts), (POD_CO2E, watts * GRAMS_PER_JOULE[node]),
                             (POD_EMBODIED_CO2E, embodied), (POD_COST, cost)):
            series.append(CounterSeries(metric, labels, rate, start, end))
    for node, watts, embodied, cost in UNALLOCATED:
        for metric, rate in ((NODE_UNALLOCATED_ENERGY, watts), (NODE_UNALLOCATED_CO2E, watts * GRAMS_PER_JOULE[node]),
                             (NODE_UNALLOCATED_EMBODIED_CO2E, embodied), (NODE_UNALLOCATED_COST, cost)):
            series.append(CounterSeries(metric, {"node": node}, rate, T0, T0 + 2 * HOUR))
        series.append(GaugeSeries(NODE_PUE, {"node": node}, PUE[node], T0, T0 + 2 * HOUR))
    # A pod with a hostile namespace, an hour before the rest: only the escaping test reads it.
    hostile = {"namespace": HOSTILE_NAMESPACE, "pod": "p", "node": "node-a"}
    series.append(CounterSeries(POD_ENERGY, hostile, 1.0, T0 - 2 * HOUR, T0 - HOUR))
    return series


HISTORY = _history()


def _truth(metrics, start: int, end: int) -> float:
    return sum(s.increase(start, end) for s in HISTORY if s.metric in metrics)


def _grid_joules(start: int, end: int) -> float:
    """Energy drawn from the grid over [start, end]: IT energy times the node's PUE (J)."""
    return sum(s.increase(start, end) * PUE[s.labels["node"]] for s in HISTORY
               if s.metric in (POD_ENERGY, NODE_UNALLOCATED_ENERGY) and s.labels["node"] in PUE)


def _edge_allowance(metrics, start: int, end: int) -> float:
    """What increase() may add: half a sample interval of rate per series edge inside the window."""
    return sum(s.rate * s.step / 2 * ((start < s.start < end) + (start < s.end < end))
               for s in HISTORY if s.metric in metrics)


def _close_to_truth(metrics, start: int, end: int):
    truth = _truth(metrics, start, end)
    return pytest.approx(truth, rel=REL, abs=_edge_allowance(metrics, start, end) + REL * truth)


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def history_prometheus(prometheus_factory):
    return prometheus_factory(openmetrics=render_openmetrics(HISTORY))


@pytest.mark.parametrize(
    ("start", "end", "pods", "namespaces"),
    [
        (T0 + 30 * MINUTE, T0 + 90 * MINUTE, 3, 2),  # job-x (batch) ended before the window
        (T0, T0 + 2 * HOUR, 4, 3),  # the whole history, job-x included for its 20 minutes
        (T0 + 15 * MINUTE, T0 + 45 * MINUTE, 4, 3),  # job-x ends inside the window
    ],
)
async def test_metrics_aligned_window_matches_ground_truth(
    history_prometheus, api_client, start: int, end: int, pods: int, namespaces: int
) -> None:
    client = await api_client(prometheus_url=history_prometheus.url, currency="EUR")

    response = await client.get("/api/v1/metrics", params={"from": _iso(start), "to": _iso(end)})

    assert response.status == 200
    body = await response.json()
    energy, operational = {POD_ENERGY, NODE_UNALLOCATED_ENERGY}, {POD_CO2E, NODE_UNALLOCATED_CO2E}
    embodied = {POD_EMBODIED_CO2E, NODE_UNALLOCATED_EMBODIED_CO2E}
    assert body["total_energy_joules"] == _close_to_truth(energy, start, end)
    assert body["total_energy_kwh"] == pytest.approx(body["total_energy_joules"] / 3.6e6, rel=REL)
    assert body["operational_carbon_grams"] == _close_to_truth(operational, start, end)
    assert body["embodied_carbon_grams"] == _close_to_truth(embodied, start, end)
    assert body["total_carbon_grams"] == _close_to_truth(operational | embodied, start, end)
    assert body["total_cost"] == _close_to_truth({POD_COST, NODE_UNALLOCATED_COST}, start, end)
    # Operational grams over the grid's kWh; 1% covers increase()'s extrapolation where job-x
    # ends inside the window (its 80 W on node-b weigh differently in grams and in grid energy).
    assert body["grid_intensity_grams_per_kwh"] == pytest.approx(
        _truth(operational, start, end) / (_grid_joules(start, end) / 3.6e6), rel=0.01
    )
    power = sum(s.rate for s in HISTORY if s.metric in energy and s.start <= end - 5 * MINUTE and s.end >= end)
    assert body["power_watts"] == pytest.approx(power, rel=REL)
    assert (body["pod_count"], body["namespace_count"], body["node_count"]) == (pods, namespaces, 2)
    assert (body["currency"], body["sustainability_score"]) == ("EUR", None)
    assert (body["from"], body["to"]) == (_iso(start), _iso(end))


async def test_metrics_hour_window_hand_checked_numbers(history_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=history_prometheus.url)

    response = await client.get("/api/v1/metrics", params={"from": "2024-03-01T00:30:00Z",
                                                           "to": "2024-03-01T02:30:00+01:00"})

    body = await response.json()
    # Watts alive 00:30-01:30: pods 10 + 20 + 40, unallocated 5 + 15 -> 90 W for 3600 s.
    assert body["total_energy_joules"] == pytest.approx(90 * 3600, rel=REL)
    assert body["total_energy_kwh"] == pytest.approx(0.09, rel=REL)
    # node-a 55 W x 0.0001 g/J + node-b 35 W x 0.0003 g/J = 0.016 g/s -> 57.6 g. From the grid:
    # (55 W x 1.25 + 35 W x 1.5) x 3600 s = 436,500 J = 0.12125 kWh; 57.6 g / 0.12125 kWh.
    assert body["operational_carbon_grams"] == pytest.approx(57.6, rel=REL)
    assert body["grid_intensity_grams_per_kwh"] == pytest.approx(57.6 / 0.12125, rel=REL)
    assert body["power_watts"] == pytest.approx(90.0, rel=REL)


async def test_metrics_window_before_any_data_returns_zeros(history_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=history_prometheus.url)

    response = await client.get("/api/v1/metrics", params={"from": _iso(T0 - 3 * DAY), "to": _iso(T0 - 2 * DAY)})

    assert response.status == 200
    body = await response.json()
    for field in ("total_carbon_grams", "operational_carbon_grams", "embodied_carbon_grams", "total_energy_joules",
                  "total_energy_kwh", "total_cost", "power_watts", "pod_count", "namespace_count", "node_count"):
        assert body[field] == 0, field
    assert body["grid_intensity_grams_per_kwh"] is None


async def test_selector_hostile_namespace_matches_exactly_one_series(history_prometheus) -> None:
    engine = QueryEngine(ApiSettings(prometheus_url=history_prometheus.url))
    at = datetime.fromtimestamp(T0 - HOUR, UTC)

    samples = await engine.query(promql.selector(POD_ENERGY.name, {"namespace": HOSTILE_NAMESPACE}), at)
    await engine.close()

    assert [labels["namespace"] for labels, _ in samples] == [HOSTILE_NAMESPACE]


async def test_metrics_prometheus_stopped_returns_503_then_recovers(prometheus_factory, api_client) -> None:
    prom = prometheus_factory(openmetrics=render_openmetrics(HISTORY))
    client = await api_client(prometheus_url=prom.url)
    window = {"from": _iso(T0), "to": _iso(T0 + HOUR)}

    await prom.stop_async()
    down = await client.get("/api/v1/metrics", params=window)
    await prom.start_async()
    back = await client.get("/api/v1/metrics", params=window)

    assert down.status == 503
    assert (await down.json())["error"]["code"] == "engine_unavailable"
    assert back.status == 200
    assert (await back.json())["pod_count"] == 4


async def test_metrics_engine_query_error_returns_502(prometheus_factory, api_client) -> None:
    # A sample limit far below what an hour of 15 s samples needs makes Prometheus refuse (HTTP 422).
    prom = prometheus_factory(openmetrics=render_openmetrics(HISTORY), extra_args=["--query.max-samples=10"])
    client = await api_client(prometheus_url=prom.url)

    response = await client.get("/api/v1/metrics", params={"from": _iso(T0), "to": _iso(T0 + HOUR)})

    assert response.status == 502
    body = await response.json()
    assert body["error"]["code"] == "engine_error"
    assert "greenkube_" not in body["error"]["message"] and "sample" not in body["error"]["message"]


async def test_metrics_engine_query_timeout_returns_504(prometheus_factory, api_client) -> None:
    # Prometheus's own evaluation timeout (errorType "timeout"), not a client-side one.
    prom = prometheus_factory(openmetrics=render_openmetrics(HISTORY), extra_args=["--query.timeout=1ms"])
    client = await api_client(prometheus_url=prom.url)

    response = await client.get("/api/v1/metrics", params={"from": _iso(T0), "to": _iso(T0 + HOUR)})

    assert response.status == 504
    assert (await response.json())["error"]["code"] == "engine_timeout"
