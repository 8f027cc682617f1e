"""Facts, usage and scores in the lists and the cluster snapshot, against a real Prometheus.

Two hours (2024-03-01 00:00-02:00 UTC, one sample a minute) of two pods on two nodes with
everything the exporter publishes about them:

    shop/web-0  node-a  10 W  0.5 of 1 core requested, 1 of 2 GiB  owner ReplicaSet web-abc
    data/db-0   node-b  20 W  1 core, requests unknown (no request series)
    node-a  aws m5.large eu-west-1a, grid zone IE 300 g/kWh (electricitymaps), PUE 1.135, 2 vCPU
    node-b  gcp, grid zone FR 50 g/kWh (table), PUE 1.1, 4 vCPU; 5 W unallocated on each node
    scores  shop 80, data 55, cluster 70
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from exporter.catalogue import (
    CLUSTER_SUSTAINABILITY_SCORE,
    GRID_INTENSITY,
    NODE_CPU_CAPACITY,
    NODE_INFO,
    NODE_MEMORY_CAPACITY,
    NODE_PUE,
    NODE_UNALLOCATED_ENERGY,
    POD_CPU_REQUEST,
    POD_CPU_USAGE,
    POD_ENERGY,
    POD_INFO,
    POD_MEMORY_REQUEST,
    POD_MEMORY_USAGE,
    SUSTAINABILITY_SCORE,
)
from tests.fixtures.history import CounterSeries, GaugeSeries, render_openmetrics
from tests.fixtures.prometheus import PrometheusFactory, PrometheusProcess

T0 = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())
SPAN = {"start": T0, "end": T0 + 7200, "step": 60}
GIB = 2**30
WINDOW = {"from": "2024-03-01T00:00:00Z", "to": "2024-03-01T02:00:00Z"}
WEB = {"namespace": "shop", "pod": "web-0", "node": "node-a"}
DB = {"namespace": "data", "pod": "db-0", "node": "node-b"}
NODE_A = {"node": "node-a", "provider": "aws", "instance_type": "m5.large", "region": "eu-west-1",
          "zone": "eu-west-1a", "grid_zone": "IE", "arch": "amd64", "power_source": "ccf",
          "intensity_source": "electricitymaps", "embodied_source": "ccf", "price_source": "table",
          "idle_attribution": "request"}
NODE_B = {**NODE_A, "node": "node-b", "provider": "gcp", "instance_type": "e2-standard-4", "region": "europe-west9",
          "zone": "europe-west9-a", "grid_zone": "FR", "intensity_source": "table"}


def _series() -> list:
    gauges = [
        (POD_CPU_USAGE, WEB, 0.5), (POD_CPU_REQUEST, WEB, 1.0), (POD_MEMORY_USAGE, WEB, GIB),
        (POD_MEMORY_REQUEST, WEB, 2 * GIB), (POD_CPU_USAGE, DB, 1.0), (POD_MEMORY_USAGE, DB, GIB),
        (POD_INFO, {**WEB, "uid": "u1", "owner_kind": "ReplicaSet", "owner_name": "web-abc", "requests_known": "true"},
         1.0),
        (NODE_INFO, NODE_A, 1.0), (NODE_INFO, NODE_B, 1.0),
        (GRID_INTENSITY, {"zone": "IE", "source": "electricitymaps"}, 300.0),
        (GRID_INTENSITY, {"zone": "FR", "source": "table"}, 50.0),
        (NODE_PUE, {"node": "node-a"}, 1.135), (NODE_PUE, {"node": "node-b"}, 1.1),
        (NODE_CPU_CAPACITY, {"node": "node-a"}, 2.0), (NODE_CPU_CAPACITY, {"node": "node-b"}, 4.0),
        (NODE_MEMORY_CAPACITY, {"node": "node-a"}, 8 * GIB), (NODE_MEMORY_CAPACITY, {"node": "node-b"}, 16 * GIB),
        (SUSTAINABILITY_SCORE, {"namespace": "shop"}, 80.0), (SUSTAINABILITY_SCORE, {"namespace": "data"}, 55.0),
        (CLUSTER_SUSTAINABILITY_SCORE, {}, 70.0),
    ]
    counters = [(POD_ENERGY, WEB, 10.0), (POD_ENERGY, DB, 20.0), (NODE_UNALLOCATED_ENERGY, {"node": "node-a"}, 5.0),
                (NODE_UNALLOCATED_ENERGY, {"node": "node-b"}, 5.0)]
    return ([GaugeSeries(metric, labels, value, **SPAN) for metric, labels, value in gauges]
            + [CounterSeries(metric, labels, rate, **SPAN) for metric, labels, rate in counters])


@pytest.fixture(scope="module")
def facts_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusProcess]:
    factory = PrometheusFactory(tmp_path_factory.mktemp("facts"))
    yield factory(openmetrics=render_openmetrics(_series()))
    factory.close()


async def test_nodes_facts_intensity_pue_capacity_utilisation(facts_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=facts_prometheus.url)

    body = await (await client.get("/api/v1/metrics/nodes", params=WINDOW)).json()

    node_a, node_b = body["items"]
    assert {key: node_a[key] for key in ("node", "provider", "instance_type", "region", "zone", "grid_zone",
                                         "grid_intensity_grams_per_kwh", "intensity_source", "pue",
                                         "cpu_capacity_cores", "memory_capacity_bytes")} == {
        "node": "node-a", "provider": "aws", "instance_type": "m5.large", "region": "eu-west-1",
        "zone": "eu-west-1a", "grid_zone": "IE", "grid_intensity_grams_per_kwh": 300.0,
        "intensity_source": "electricitymaps", "pue": 1.135, "cpu_capacity_cores": 2.0,
        "memory_capacity_bytes": 8 * GIB,
    }
    assert node_a["cpu_utilisation_ratio"] == pytest.approx(0.25)  # 0.5 core of 2
    assert node_b["cpu_utilisation_ratio"] == pytest.approx(0.25)  # 1 core of 4
    assert (node_b["grid_intensity_grams_per_kwh"], node_b["intensity_source"]) == (50.0, "table")
    assert node_a["power_watts"] == pytest.approx(15.0)
    assert node_a["total_energy_joules"] == pytest.approx(15.0 * 7200)


async def test_pods_usage_requests_owner(facts_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=facts_prometheus.url)

    body = await (await client.get("/api/v1/metrics/pods", params={
        **WINDOW, "sort": "cpu_request_cores", "order": "desc"})).json()

    web, db = body["items"]
    assert (web["pod"], db["pod"]) == ("web-0", "db-0")  # db-0's unknown request sorts last
    assert (web["owner_kind"], web["owner_name"], db["owner_kind"]) == ("ReplicaSet", "web-abc", None)
    assert (web["cpu_usage_cores"], web["cpu_request_cores"], web["memory_usage_bytes"],
            web["memory_request_bytes"]) == (0.5, 1.0, GIB, 2 * GIB)
    assert (db["cpu_request_cores"], db["memory_request_bytes"]) == (None, None)
    assert web["power_watts"] == pytest.approx(10.0)


async def test_namespaces_and_cluster_sustainability_scores(facts_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=facts_prometheus.url)

    namespaces = await (await client.get("/api/v1/metrics/namespaces", params=WINDOW)).json()
    cluster = await (await client.get("/api/v1/metrics", params=WINDOW)).json()

    assert {item["namespace"]: item["sustainability_score"] for item in namespaces["items"]} == {
        "data": 55.0, "shop": 80.0}
    assert cluster["sustainability_score"] == 70.0
