"""Fixtures of the query API tests: a fresh app per test, and the big history's Prometheus."""

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import yaml
from aiohttp.test_utils import TestClient

from queryapi.app import make_app
from queryapi.config import ApiSettings
from tests.fixtures.history import write_openmetrics_days
from tests.fixtures.prometheus import PrometheusFactory, PrometheusProcess, free_port
from tests.queryapi import scenario

ClientFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def api_client(aiohttp_client) -> ClientFactory:
    """`await api_client(prometheus_url=..., **settings)`: a test client on a fresh app.

    Without `prometheus_url` the engine is a loopback port nothing listens on.
    """

    async def make(**settings: object) -> TestClient:
        settings.setdefault("prometheus_url", f"http://127.0.0.1:{free_port()}")
        return await aiohttp_client(make_app(ApiSettings(**settings)))

    return make


RULES = Path(__file__).parents[2] / "rules" / "history.yml"


def counter_rules(directory: Path) -> Path:
    """rules/history.yml cut to its minute group's counter rules (the big history has no usage
    gauges, and each rule costs backfill time); the rules kept are the file's own, unchanged."""
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    group = document["groups"][0]
    document["groups"] = [{**group, "rules": [rule for rule in group["rules"]
                                              if rule["record"].endswith(":sum_increase1h")]}]
    path = directory / "history-counters.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def sparse_rules(directory: Path) -> Path:
    """rules/history.yml cut to its hourly group: the sparse copies of the hourly increases
    (each hour's readings, and daily sums)."""
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    document["groups"] = document["groups"][1:]
    path = directory / "history-sparse.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


# The spans the sparse copies are backfilled over (evaluations every hour from..to): an hour H
# (a day of 24 whole hours ending at H) has its copy when H + 1 h is in one. Left out on
# purpose, so that history reads those from the hourly increases and the tests prove both
# paths: the first three days (the rules installed after the cluster began) and 38 hours
# mid-history (Prometheus down; not on a day boundary of either test zone).
SPARSE_SPANS = (
    (scenario.START + 3 * scenario.DAY, scenario.START + 17 * scenario.DAY),
    (scenario.START + 18 * scenario.DAY + 15 * scenario.HOUR, scenario.LAST + 2 * scenario.HOUR),
)


@pytest.fixture(scope="package")
def history_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusProcess]:
    """A Prometheus holding tests/queryapi/scenario.py's 41 days, raw and recorded, built once
    for the package (about 30 s on 2 cores): one OpenMetrics file per day backfilled two at a
    time, then `promtool tsdb create-blocks-from rules` with the counter rules of
    rules/history.yml over the whole history, then with its sparse copies over SPARSE_SPANS,
    each followed by a restart with the new blocks."""
    root = tmp_path_factory.mktemp("history-prometheus")
    factory = PrometheusFactory(root)
    prom = factory(start=False)
    prom.backfill_openmetrics_files(write_openmetrics_days(scenario.HISTORY, root))
    prom.start()
    prom.backfill_rules(counter_rules(root), scenario.FIRST - scenario.HOUR, scenario.LAST + scenario.HOUR)
    for start, end in SPARSE_SPANS:
        prom.backfill_rules(sparse_rules(root), start, end)
    yield prom
    factory.close()
