"""Hostile values (tests/queryapi/hostile.py) cannot change a query's meaning.

- The PromQL builder escapes each one exactly (the expected strings are written by hand), and
  a real Prometheus parses every resulting query and finds nothing: an injected
  `or vector(1)` would answer 1, a broken string would be a parse error.
- At the HTTP layer, `namespace`, `node` and `pod` must be Kubernetes names, so each hostile
  value is a 400 naming the parameter before any query is built.
"""

from collections.abc import Iterator

import pytest

from exporter.catalogue import POD_ENERGY, RECOMMENDATION_INFO
from queryapi import promql
from tests.fixtures.prometheus import PrometheusFactory, PrometheusProcess
from tests.queryapi.hostile import HOSTILE

IDS = [f"hostile-{index}" for index in range(len(HOSTILE))]
PARAMETER_KINDS = {
    "namespace": "a Kubernetes namespace name (RFC 1123 label)",
    "node": "a Kubernetes node name (RFC 1123 subdomain)",
    "pod": "a Kubernetes pod name (RFC 1123 subdomain)",
}
# The longest request line aiohttp's server reads; longer values are refused before routing.
MAX_URL_VALUE = 2000


def test_hostile_list_has_at_least_50_values() -> None:
    assert len(HOSTILE) >= 50
    assert max(len(value) for value, _ in HOSTILE) >= 10 * 1024


@pytest.mark.parametrize(("value", "escaped"), HOSTILE, ids=IDS)
def test_builders_hostile_value_escaped_exactly(value: str, escaped: str) -> None:
    assert promql.escape_label_value(value) == escaped
    assert promql.increase_by(POD_ENERGY, ("namespace",), 3600, {"namespace": value}) == (
        f'sum by (namespace) (increase(greenkube_pod_energy_joules_total{{namespace="{escaped}"}}[3600s]))'
    )
    assert promql.node_increase(POD_ENERGY, 60, {"node": value}) == (
        "sum by (node) (\n"
        f'  increase(greenkube_pod_energy_joules_total{{node="{escaped}"}}[60s])\n'
        f'  or increase(greenkube_node_unallocated_energy_joules_total{{node="{escaped}"}}[60s])\n'
        ")"
    )
    assert promql.recorded_bucket_sum(["namespace:greenkube_pod_energy_joules:sum_increase1h"], ("namespace",),
                                      {"namespace": value}, 7200, 0) == (
        "sum by (namespace) (sum_over_time(("
        f'namespace:greenkube_pod_energy_joules:sum_increase1h{{namespace="{escaped}"}})[7199s:1h]))'
    )
    assert promql.recorded_hours(["namespace:a:b", "namespace:c:d"], {"namespace": value}) == (
        f'{{__name__=~"namespace:a:b|namespace:c:d", namespace="{escaped}"}}'
    )
    assert promql.recorded_days_each("namespace:a:b", ("namespace",), {"namespace": value}, 1) == (
        f'sum by (namespace) (last_over_time(namespace:a:b{{namespace="{escaped}"}}[3600s] offset 1ms)) or '
        'label_replace(count(last_over_time(namespace:a:b[3600s] offset 1ms)), "greenkube_days", "present", "", "")'
    )
    assert promql.seen_timestamp(RECOMMENDATION_INFO, 3600, 60, True, {"type": "x", "namespace": value}) == (
        f'min_over_time(timestamp(greenkube_recommendation_info{{type="x", namespace="{escaped}"}})[3600s:60s])'
    )


@pytest.fixture(scope="module")
def empty_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusProcess]:
    factory = PrometheusFactory(tmp_path_factory.mktemp("hostile"))
    yield factory()
    factory.close()


def test_builders_hostile_queries_parse_and_find_nothing(empty_prometheus: PrometheusProcess) -> None:
    for value, _ in HOSTILE:
        matchers = {"namespace": value, "node": value, "pod": value}
        for query in (
            promql.increase_by(POD_ENERGY, ("namespace", "pod", "node"), 3600, matchers),
            promql.node_increase(POD_ENERGY, 3600, {"node": value}),
            promql.recorded_bucket_sum(["cluster:a:b", "cluster:c:d"], (), {"node": value}, 3600, 30),
            promql.recorded_bucket_sum(["namespace:a:b"], ("namespace",), {"namespace": value}, 3600, 30),
            promql.recorded_hours(["namespace:a:b", "namespace:c:d"], {"namespace": value}),
            promql.recorded_days_sum("namespace:a:b", ("namespace",), {"namespace": value}, 31, 7_200_001),
            promql.recorded_days_each("node:a:b", ("node",), {"node": value}, 1),
            promql.count_by(("namespace",), ("namespace", "pod"), 3600, matchers),
            promql.seen_timestamp(RECOMMENDATION_INFO, 3600, 60, False, matchers),
        ):
            # Parsed (no error raised) and empty: the value stayed inside its quotes.
            assert empty_prometheus.query(query, at=1_709_251_200) == [], (value[:40], query[:200])


@pytest.mark.parametrize("parameter", ["namespace", "node", "pod"])
async def test_pods_hostile_name_parameter_returns_400(api_client, parameter: str) -> None:
    client = await api_client()

    for value, _ in HOSTILE:
        if len(value) > MAX_URL_VALUE:
            continue
        response = await client.get("/api/v1/metrics/pods", params={parameter: value})

        assert response.status == 400, value
        body = await response.json()
        detail = body["error"]["details"][0]["message"]
        assert body == {"error": {
            "status": 400, "code": "invalid_parameter", "message": f"invalid parameter '{parameter}': {detail}",
            "details": [{"parameter": parameter, "message": detail}],
        }}
        assert detail.endswith(f" is not {PARAMETER_KINDS[parameter]}")


@pytest.mark.parametrize("path", ["/api/v1/timeseries/energy", "/api/v1/report/export", "/api/v1/recommendations"])
async def test_data_endpoints_hostile_namespace_returns_400(api_client, path: str) -> None:
    client = await api_client()

    for value, _ in HOSTILE:
        if len(value) > MAX_URL_VALUE:
            continue
        response = await client.get(path, params={"namespace": value})

        assert response.status == 400, value
        assert (await response.json())["error"]["details"][0]["parameter"] == "namespace"


async def test_pods_10kb_parameter_refused_before_routing(api_client) -> None:
    client = await api_client()

    response = await client.get("/api/v1/metrics/pods", params={"namespace": "a" * 10 * 1024})

    # aiohttp's HTTP parser refuses a request line over 8190 bytes: nothing reaches a handler.
    assert response.status == 400
