"""GET /api/v1/metrics/namespaces, /nodes, /pods over February 2024 of the big history.

Window totals are raw increase() at `to` over the window. Tolerance: relative 1e-9 (float
rounding) plus, per series that stops inside the window, its rate x 30 s: increase()
extrapolates a series' last sample by half the sample interval (see test_history_prometheus).
"""

import pytest

from exporter.catalogue import (
    NODE_UNALLOCATED_CO2E,
    NODE_UNALLOCATED_ENERGY,
    POD_CO2E,
    POD_COST,
    POD_EMBODIED_CO2E,
    POD_ENERGY,
)
from tests.queryapi import scenario
from tests.queryapi.scenario import at, truth

FEB = {"from": "2024-02-01T00:00:00Z", "to": "2024-03-01T00:00:00Z"}
T1, T2 = at("2024-02-01T00:00"), at("2024-03-01T00:00")
REL = 1e-9


def _close(metrics, **labels: str):
    """Truth over February with the allowance of every series that stops inside it."""
    stops = sum(s.rate * scenario.STEP / 2 for s in scenario.HISTORY
                if s.metric in metrics and T1 < s.end < T2 and all(s.labels.get(k) == v for k, v in labels.items()))
    expected = truth(metrics, T1, T2, **labels)
    return pytest.approx(expected, rel=REL, abs=stops + REL * expected)


async def test_namespaces_february_totals_match_truth(history_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=history_prometheus.url, currency="EUR")

    response = await client.get("/api/v1/metrics/namespaces", params=FEB)

    assert response.status == 200
    body = await response.json()
    assert (body["total"], body["offset"], body["limit"], body["from"], body["to"]) == (
        4, 0, 100, FEB["from"], FEB["to"])
    items = {item["namespace"]: item for item in body["items"]}
    assert list(items) == ["batch", "data", "ml", "shop"]
    for name, item in items.items():
        assert item["total_energy_joules"] == _close([POD_ENERGY], namespace=name)
        assert item["operational_carbon_grams"] == _close([POD_CO2E], namespace=name)
        assert item["embodied_carbon_grams"] == _close([POD_EMBODIED_CO2E], namespace=name)
        assert item["total_cost"] == _close([POD_COST], namespace=name)
        assert item["currency"] == "EUR"
    assert (items["shop"]["pod_count"], items["shop"]["node_count"]) == (3, 2)
    assert (items["batch"]["pod_count"], items["ml"]["pod_count"]) == (30, 2)  # runner and 29 jobs
    # db-0 on node-a only: 0.0001 g per IT joule = 360 g per IT kWh; over PUE 1.25, 288 g per
    # kWh drawn from the grid. shop: web-0 30 W on node-a, web-1 20 W on node-b (g/J 0.0003,
    # PUE 1.5), so grams / grid kWh = (30 x 360 + 20 x 1080) / (30 x 1.25 + 20 x 1.5) = 480.
    assert items["data"]["grid_intensity_grams_per_kwh"] == pytest.approx(288.0, rel=REL)
    assert items["shop"]["grid_intensity_grams_per_kwh"] == pytest.approx(480.0, rel=1e-4)
    assert items["ml"]["power_watts"] == pytest.approx(150.0, rel=REL)  # trainer-0 100 W + trainer-1 50 W
    assert items["data"]["sustainability_score"] is None


async def test_namespaces_sorted_by_energy_desc_paged(history_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=history_prometheus.url)

    body = await (await client.get("/api/v1/metrics/namespaces", params={
        **FEB, "sort": "total_energy_joules", "order": "desc", "limit": "2", "offset": "1"})).json()

    # batch (60 W + jobs) > shop (50 W, and both web-1 pods for the rollout's minute) > data (50 W) > ml.
    assert [item["namespace"] for item in body["items"]] == ["shop", "data"]
    assert (body["total"], body["limit"], body["offset"]) == (4, 2, 1)


async def test_nodes_february_include_unallocated(history_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=history_prometheus.url)

    body = await (await client.get("/api/v1/metrics/nodes", params=FEB)).json()

    assert [item["node"] for item in body["items"]] == ["node-a", "node-b"]
    for item in body["items"]:
        node = item["node"]
        assert item["total_energy_joules"] == _close([POD_ENERGY, NODE_UNALLOCATED_ENERGY], node=node)
        assert item["operational_carbon_grams"] == _close([POD_CO2E, NODE_UNALLOCATED_CO2E], node=node)
        # No greenkube_node_info in this history: facts are null, not errors; PUE is recorded.
        assert (item["provider"], item["cpu_utilisation_ratio"]) == (None, None)
    assert [item["pue"] for item in body["items"]] == [1.25, 1.5]
    # At 03-01 00:00: node-a web-0 30 + db-0 50 + trainer-0 100 + 5 unallocated; node-b 20 + 60 + 50 + 15.
    assert [item["power_watts"] for item in body["items"]] == pytest.approx([185.0, 145.0], rel=REL)


async def test_pods_february_sorted_paged_filtered(history_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=history_prometheus.url)

    top = await (await client.get("/api/v1/metrics/pods", params={
        **FEB, "sort": "total_energy_joules", "order": "desc", "limit": "3"})).json()
    shop = await (await client.get("/api/v1/metrics/pods", params={**FEB, "namespace": "shop"})).json()

    assert top["total"] == 36
    assert [(p["namespace"], p["pod"]) for p in top["items"]] == [("batch", "runner"), ("data", "db-0"),
                                                                  ("shop", "web-0")]
    assert [(p["pod"], p["node"]) for p in shop["items"]] == [("web-0", "node-a"), ("web-1", "node-b"),
                                                              ("web-1-v2", "node-b")]
    for item in shop["items"]:
        assert item["total_energy_joules"] == _close([POD_ENERGY], pod=item["pod"])
        assert item["cpu_usage_cores"] is None and item["owner_kind"] is None


@pytest.mark.parametrize(
    ("params", "total", "items"),
    [
        ({"limit": "0"}, 36, 0),
        ({"offset": "36"}, 36, 0),
        ({"offset": "10000"}, 36, 0),
        ({"offset": "35"}, 36, 1),
        ({"namespace": "does-not-exist"}, 0, 0),
        ({"node": "node-z"}, 0, 0),
        ({"pod": "web-0", "namespace": "data"}, 0, 0),
    ],
)
async def test_pods_page_edges_and_unknown_names_empty(history_prometheus, api_client, params, total,
                                                       items) -> None:
    client = await api_client(prometheus_url=history_prometheus.url)

    response = await client.get("/api/v1/metrics/pods", params={**FEB, **params})

    assert response.status == 200
    body = await response.json()
    assert (body["total"], len(body["items"])) == (total, items)


async def test_namespaces_window_before_any_data_empty(history_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=history_prometheus.url)

    body = await (await client.get("/api/v1/metrics/namespaces", params={"from": "2023-01-01",
                                                                         "to": "2023-02-01"})).json()

    assert (body["total"], body["items"]) == (0, [])


async def test_namespaces_leap_day_totals(history_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=history_prometheus.url)

    body = await (await client.get("/api/v1/metrics/namespaces", params={
        "from": "2024-02-29", "to": "2024-03-01", "namespace": "data"})).json()

    assert body["items"][0]["total_energy_joules"] == pytest.approx(50 * 86400, rel=REL)
