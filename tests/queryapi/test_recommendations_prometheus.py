"""GET /api/v1/recommendations, /history and /summary against a real Prometheus.

No recommendation engine exists yet, so the series it will publish are backfilled directly
(one sample a minute, 2024-03-01 UTC):

    r1  rightsizing_cpu     critical  workload   shop  web     00:00-06:00  2 -> 0.5 cores
    r2  idle_namespace      warning   namespace  data  data    02:00-08:00
    r3  node_consolidation  info      node       -     node-b  05:00-08:00  3 -> 2 nodes
    r4  rightsizing_memory  urgent    pod        shop  web-0   00:00-08:00  (invalid severity: left out)
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from exporter.catalogue import (
    RECOMMENDATION_CURRENT,
    RECOMMENDATION_INFO,
    RECOMMENDATION_RECOMMENDED,
    RECOMMENDATION_SAVINGS_CO2E,
    RECOMMENDATION_SAVINGS_COST,
    RECOMMENDATION_SAVINGS_ENERGY,
)
from tests.fixtures.history import GaugeSeries, render_openmetrics
from tests.fixtures.prometheus import PrometheusFactory, PrometheusProcess

T0 = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())
HOUR = 3600
KWH = 3.6e6
# id, type, severity, scope, namespace, target, start h, end h, energy kWh/yr, g/yr, cost/yr, current, recommended, unit
RECOMMENDATIONS = [
    ("r1", "rightsizing_cpu", "critical", "workload", "shop", "web", 0, 6, 1000.0, 360000.0, 120.0, 2.0, 0.5, "cores"),
    ("r2", "idle_namespace", "warning", "namespace", "data", "data", 2, 8, 2000.0, 100000.0, 50.0, None, None, None),
    ("r3", "node_consolidation", "info", "node", "", "node-b", 5, 8, 500.0, 20000.0, 300.0, 3.0, 2.0, "nodes"),
    ("r4", "rightsizing_memory", "urgent", "pod", "shop", "web-0", 0, 8, 1.0, 1.0, 1.0, None, None, None),
]


def _series() -> list[GaugeSeries]:
    series = []
    for rid, kind, severity, scope, namespace, target, start, end, kwh, grams, cost, current, wanted, unit in \
            RECOMMENDATIONS:
        labels = {"id": rid, "type": kind, "severity": severity, "scope": scope, "namespace": namespace,
                  "target": target}
        span = {"start": T0 + start * HOUR, "end": T0 + end * HOUR, "step": 60}
        series += [GaugeSeries(RECOMMENDATION_INFO, labels, 1.0, **span),
                   GaugeSeries(RECOMMENDATION_SAVINGS_ENERGY, labels, kwh * KWH, **span),
                   GaugeSeries(RECOMMENDATION_SAVINGS_CO2E, labels, grams, **span),
                   GaugeSeries(RECOMMENDATION_SAVINGS_COST, labels, cost, **span)]
        if current is not None:
            series += [GaugeSeries(RECOMMENDATION_CURRENT, {**labels, "unit": unit}, current, **span),
                       GaugeSeries(RECOMMENDATION_RECOMMENDED, {**labels, "unit": unit}, wanted, **span)]
    return series


@pytest.fixture(scope="module")
def recommendations_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusProcess]:
    factory = PrometheusFactory(tmp_path_factory.mktemp("recommendations"))
    yield factory(openmetrics=render_openmetrics(_series()))
    factory.close()


async def _get(client, path: str, **params: str) -> dict:
    response = await client.get(path, params=params)
    assert response.status == 200
    return await response.json()


async def test_recommendations_active_at_to_critical_first(recommendations_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=recommendations_prometheus.url, currency="EUR")

    body = await _get(client, "/api/v1/recommendations", to="2024-03-01T05:30:00Z")

    assert (body["total"], body["offset"], body["limit"]) == (3, 0, 100)
    assert [item["id"] for item in body["items"]] == ["r1", "r2", "r3"]
    assert body["items"][0] == {
        "id": "r1", "type": "rightsizing_cpu", "severity": "critical", "scope": "workload", "namespace": "shop",
        "target": "web", "current_value": 2.0, "recommended_value": 0.5, "unit": "cores",
        "savings_energy_kwh_per_year": 1000.0, "savings_co2e_grams_per_year": 360000.0,
        "savings_cost_per_year": 120.0, "currency": "EUR",
        "message": "rightsizing_cpu for workload web in namespace shop: 2 -> 0.5 cores; "
                   "saves 1000 kWh, 3.6e+05 g CO2e and 120.00 EUR a year",
    }
    assert body["items"][2]["namespace"] is None  # a node recommendation has no namespace


@pytest.mark.parametrize(
    ("params", "ids"),
    [
        ({"severity": "warning"}, ["r2"]),
        ({"type": "rightsizing_cpu"}, ["r1"]),
        ({"scope": "node"}, ["r3"]),
        ({"namespace": "data"}, ["r2"]),
        ({"namespace": "shop", "severity": "info"}, []),
        ({"type": "no_such_type"}, []),
    ],
)
async def test_recommendations_filters_select_matching(recommendations_prometheus, api_client, params, ids) -> None:
    client = await api_client(prometheus_url=recommendations_prometheus.url)

    body = await _get(client, "/api/v1/recommendations", to="2024-03-01T05:30:00Z", **params)

    assert [item["id"] for item in body["items"]] == ids


async def test_recommendations_summary_totals_by_type_and_severity(recommendations_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=recommendations_prometheus.url)

    body = await _get(client, "/api/v1/recommendations/summary", to="2024-03-01T05:30:00Z")

    assert body["total"] == {"count": 3, "energy_kwh_per_year": 3500.0, "co2e_grams_per_year": 480000.0,
                             "cost_per_year": 470.0}
    assert list(body["by_type"]) == ["idle_namespace", "node_consolidation", "rightsizing_cpu"]
    assert body["by_severity"]["critical"] == {"count": 1, "energy_kwh_per_year": 1000.0,
                                               "co2e_grams_per_year": 360000.0, "cost_per_year": 120.0}
    assert (body["currency"], body["at"]) == ("USD", "2024-03-01T05:30:00Z")


async def test_recommendations_history_first_and_last_seen(recommendations_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=recommendations_prometheus.url)

    body = await _get(client, "/api/v1/recommendations/history", **{"from": "2024-03-01T00:00:00Z",
                                                                     "to": "2024-03-01T12:00:00Z"})

    seen = {item["id"]: (item["first_seen"], item["last_seen"]) for item in body["items"]}
    assert seen == {
        "r1": ("2024-03-01T00:00:00Z", "2024-03-01T06:00:00Z"),
        "r2": ("2024-03-01T02:00:00Z", "2024-03-01T08:00:00Z"),
        "r3": ("2024-03-01T05:00:00Z", "2024-03-01T08:00:00Z"),
    }


async def test_recommendations_history_window_after_r1_leaves_it_out(recommendations_prometheus,
                                                                     api_client) -> None:
    client = await api_client(prometheus_url=recommendations_prometheus.url)

    body = await _get(client, "/api/v1/recommendations/history", **{
        "from": "2024-03-01T06:30:00Z", "to": "2024-03-01T12:00:00Z", "severity": "warning"})

    assert [(i["id"], i["first_seen"], i["last_seen"]) for i in body["items"]] == [
        ("r2", "2024-03-01T06:30:00Z", "2024-03-01T08:00:00Z")]


@pytest.mark.parametrize("path", ["/api/v1/recommendations", "/api/v1/recommendations/history"])
async def test_recommendations_none_published_empty_page(recommendations_prometheus, api_client, path) -> None:
    client = await api_client(prometheus_url=recommendations_prometheus.url)

    body = await _get(client, path, **{"from": "2024-03-02T00:00:00Z", "to": "2024-03-03T00:00:00Z"})

    assert body == {"total": 0, "offset": 0, "limit": 100, "from": "2024-03-02T00:00:00Z",
                    "to": "2024-03-03T00:00:00Z", "items": []}


async def test_recommendations_summary_none_published_zero(recommendations_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=recommendations_prometheus.url)

    body = await _get(client, "/api/v1/recommendations/summary", to="2024-03-03T00:00:00Z")

    assert body == {"total": {"count": 0, "energy_kwh_per_year": 0, "co2e_grams_per_year": 0, "cost_per_year": 0},
                    "by_type": {}, "by_severity": {}, "currency": "USD", "at": "2024-03-03T00:00:00Z"}
