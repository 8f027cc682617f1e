"""The subquery rules read as many whole hours wherever in the hour their group evaluates.

Prometheus evaluates a group at a phase fixed by a hash, anywhere in its interval, and promtool
unit tests always evaluate on whole hours; so the rules' expressions, as generated, are run
here on a real Prometheus at a whole hour, mid-hour and in the last millisecond of the hour.
The hourly increase reads m at minute m (one sample a minute), so the readings at whole hours
are 60 x the hour.
"""

from collections.abc import Iterator

import pytest

from exporter.catalogue import POD_CO2E
from queryapi.recorded import daily_sum, hour_reading, hourly_increase, render_rules
from rules.rollups import render_rollups
from tests.fixtures.prometheus import PrometheusFactory, PrometheusProcess

T0 = 1_709_251_200  # 2024-03-01T00:00:00Z
HOURLY = hourly_increase("namespace", POD_CO2E)
BUDGET = "namespace:greenkube_pod_co2e_grams:sum_increase1d"
# An evaluation in the hour after 25 h: at the whole hour, mid-hour, in its last second.
PHASES = [0.0, 1800.0, 3599.5, 3599.999]


def _expr(groups: list[dict], record: str) -> str:
    [expr] = [rule["expr"] for group in groups for rule in group["rules"] if rule.get("record") == record]
    return expr


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusProcess]:
    lines = [f"# TYPE {HOURLY.name} gauge"]
    lines += [f'{HOURLY.name}{{namespace="shop"}} {float(m)!r} {T0 + 60 * m}' for m in range(0, 30 * 60)]
    factory = PrometheusFactory(tmp_path_factory.mktemp("ranges"))
    yield factory(openmetrics="\n".join(lines) + "\n# EOF\n")
    factory.close()


@pytest.mark.parametrize("phase", PHASES)
def test_sparse_rules_read_24_hours_and_1_hour_at_any_phase(prometheus: PrometheusProcess, phase: float) -> None:
    groups = render_rules()["groups"]
    at = T0 + 25 * 3600 + phase

    [day] = prometheus.query(_expr(groups, daily_sum(HOURLY, "before").name), at=at)
    [hour] = prometheus.query(_expr(groups, hour_reading(HOURLY, "before").name), at=at)

    # The day ending an hour before: readings at 1 h .. 24 h; the hour: the reading at 24 h.
    assert float(day["value"][1]) == 60 * sum(range(1, 25)) == 18_000
    assert float(hour["value"][1]) == 60 * 24


@pytest.mark.parametrize("phase", PHASES)
def test_daily_budget_rollup_reads_24_hours_at_any_phase(prometheus: PrometheusProcess, phase: float) -> None:
    groups = render_rollups()["groups"]

    [day] = prometheus.query(_expr(groups, BUDGET), at=T0 + 25 * 3600 + phase)

    # The last 24 whole hours: readings at 2 h .. 25 h.
    assert float(day["value"][1]) == 60 * sum(range(2, 26)) == 19_440
