"""GET /api/v1/timeseries?metric=cpu|memory: averages per bucket from recorded usage sums.

History (2024-03-01 UTC, one sample a minute), recorded with the usage rules of
rules/history.yml by `promtool tsdb create-blocks-from rules`:

    data/db-0   node-a  1 core,    2 GiB   00:00-06:00
    shop/web-0  node-a  0.5 core,  1 GiB   00:00-06:00
    shop/web-1  node-b  0.25 core, 0.5 GiB 01:30-06:00

The recorded sum is read once a minute, so the hour 01:00-02:00 averages 30 readings without
web-1 and 30 with it, whatever the group's phase: exact, up to float rounding. A group with no
pods for part of a bucket counts 0 for that part (node-b before 01:30).
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from exporter.catalogue import POD_CPU_USAGE, POD_MEMORY_USAGE
from tests.fixtures.history import GaugeSeries, render_openmetrics
from tests.fixtures.prometheus import PrometheusFactory, PrometheusProcess
from tests.queryapi.conftest import RULES

T0 = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())
HOUR, GIB = 3600, 2**30
PODS = [("data", "db-0", "node-a", 1.0, 2 * GIB, 0), ("shop", "web-0", "node-a", 0.5, GIB, 0),
        ("shop", "web-1", "node-b", 0.25, GIB / 2, 90 * 60)]
WINDOW = {"from": "2024-03-01T00:00:00Z", "to": "2024-03-01T03:00:00Z", "group_by": "hourly"}


def _usage_rules(directory: Path) -> Path:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    for group in document["groups"]:
        group["rules"] = [rule for rule in group["rules"] if rule["record"].endswith(":sum")]
    path = directory / "usage.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def usage_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusProcess]:
    root = tmp_path_factory.mktemp("usage")
    factory = PrometheusFactory(root)
    series = []
    for namespace, pod, node, cores, memory, start in PODS:
        labels = {"namespace": namespace, "pod": pod, "node": node}
        series += [GaugeSeries(POD_CPU_USAGE, labels, cores, T0 + start, T0 + 6 * HOUR, 60),
                   GaugeSeries(POD_MEMORY_USAGE, labels, memory, T0 + start, T0 + 6 * HOUR, 60)]
    prom = factory(openmetrics=render_openmetrics(series))
    prom.backfill_rules(_usage_rules(root), T0 - HOUR, T0 + 6 * HOUR)
    yield prom
    factory.close()


async def _series(client, **params: str) -> dict:
    response = await client.get("/api/v1/timeseries", params={**WINDOW, **params})
    assert response.status == 200
    body = await response.json()
    return {tuple(s["labels"].values()): [p["value"] for p in s["points"]] for s in body["series"]}


async def test_timeseries_cpu_namespace_averages_per_hour(usage_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=usage_prometheus.url)

    series = await _series(client, metric="cpu", aggregate="namespace")

    assert series == {("data",): pytest.approx([1.0, 1.0, 1.0]), ("shop",): pytest.approx([0.5, 0.625, 0.75])}


async def test_timeseries_memory_cluster_and_node(usage_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=usage_prometheus.url)

    cluster = await _series(client, metric="memory")
    nodes = await _series(client, metric="memory", aggregate="node")

    assert cluster == {(): pytest.approx([3 * GIB, 3.25 * GIB, 3.5 * GIB])}
    assert nodes == {("node-a",): pytest.approx([3 * GIB] * 3), ("node-b",): pytest.approx([0, GIB / 4, GIB / 2])}


async def test_timeseries_cpu_pod_average_while_present(usage_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=usage_prometheus.url)

    series = await _series(client, metric="cpu", aggregate="pod", namespace="shop")

    # Raw pod series: a pod's average over its own samples in the bucket.
    assert series == {("shop", "web-0", "node-a"): pytest.approx([0.5] * 3),
                      ("shop", "web-1", "node-b"): pytest.approx([0.0, 0.25, 0.25])}
