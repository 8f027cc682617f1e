"""Long buckets read their whole days from the daily sums, and the hourly increases for the rest,
against a real Prometheus holding hand-written recorded series.

The daily sums here are deliberately not the sums of the hourly series, so each answer shows
which series a day was read from. The hourly increase of namespace shop reads 10 g at every
minute (so 240 g a day from the hourly series), sampled at 30 s past each minute: history
weighs the evaluations before and after each hour 1/2 each. The daily sums, written at the
hourly group's evaluation an hour and a half after each day ends (phase 30 min):

    day (UTC)     before   after
    2024-03-01    1000     3000      -> 1/2 x 1000 + 1/2 x 3000 = 2000
    2024-03-02    -        -         -> missing: 1/2 x 240 + 1/2 x 240 = 240
    2024-03-03    1000     3000      -> 2000
    2024-03-04    1000     -         -> 1/2 x 1000 + 1/2 x 240 (after, read hourly) = 620

and, for each hour of 2024-03-01 only, sparse copies of that hour's readings, 100 before and
300 after (so an hourly bucket read from them is 1/2 x 100 + 1/2 x 300 = 200, not 10).
"""

from collections.abc import Iterator

import pytest

from exporter.catalogue import POD_CO2E
from queryapi.recorded import daily_sum, hour_reading, hourly_increase
from tests.fixtures.prometheus import PrometheusFactory, PrometheusProcess
from tests.queryapi.scenario import DAY, HOUR, MINUTE, at

HOURLY = hourly_increase("namespace", POD_CO2E)
START = at("2024-03-01T00:00")
DAILY = {
    "before": {START + DAY: 1000.0, START + 3 * DAY: 1000.0, START + 4 * DAY: 1000.0},
    "after": {START + DAY: 3000.0, START + 3 * DAY: 3000.0},
}
EXPECTED_DAYS = [2000.0, 240.0, 2000.0, 620.0]
HOUR_COPIES = {"before": 100.0, "after": 300.0}


def _openmetrics() -> str:
    lines = [f"# TYPE {HOURLY.name} gauge"]
    lines += [f'{HOURLY.name}{{namespace="shop"}} 10.0 {t}'
              for t in range(START - 2 * HOUR + 30, START + 4 * DAY + 3 * HOUR, MINUTE)]
    for phase, days in DAILY.items():
        name = daily_sum(HOURLY, phase).name
        lines.append(f"# TYPE {name} gauge")
        lines += [f'{name}{{namespace="shop"}} {value!r} {end + HOUR + 30 * MINUTE}' for end, value in days.items()]
    for phase, value in HOUR_COPIES.items():
        name = hour_reading(HOURLY, phase).name
        lines.append(f"# TYPE {name} gauge")
        lines += [f'{name}{{namespace="shop"}} {value!r} {hour + HOUR + 30 * MINUTE}'
                  for hour in range(START + HOUR, START + DAY + HOUR, HOUR)]
    return "\n".join(lines) + "\n# EOF\n"


@pytest.fixture(scope="module")
def daily_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusProcess]:
    factory = PrometheusFactory(tmp_path_factory.mktemp("daily"))
    yield factory(openmetrics=_openmetrics())
    factory.close()


async def _values(client, **params: str) -> list[float]:
    response = await client.get("/api/v1/timeseries/carbon", params={"aggregate": "namespace", **params})
    assert response.status == 200, await response.text()
    [series] = (await response.json())["series"]
    return [point["value"] for point in series["points"]]


async def test_daily_buckets_read_daily_sums_and_missing_days_hourly(daily_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=daily_prometheus.url)

    values = await _values(client, **{"from": "2024-03-01", "to": "2024-03-05", "group_by": "daily"})

    assert values == pytest.approx(EXPECTED_DAYS, rel=1e-12)


async def test_monthly_bucket_days_found_in_one_range_query_rest_hourly(daily_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=daily_prometheus.url)

    whole = await _values(client, **{"from": "2024-03-01", "to": "2024-03-05", "group_by": "monthly"})
    # 90 hours: the days ending 03-03, 03-04 and 03-05 from the sums, the 18 hours before hourly.
    cut = await _values(client, **{"from": "2024-03-01T06:00:00Z", "to": "2024-03-05", "group_by": "monthly"})

    assert whole == pytest.approx([sum(EXPECTED_DAYS)], rel=1e-12)
    assert cut == pytest.approx([18 * 10.0 + sum(EXPECTED_DAYS[1:])], rel=1e-12)


async def test_half_hour_zone_reads_hourly_only(daily_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=daily_prometheus.url)

    # Kolkata's midnights are not whole UTC hours: its days are 24 readings at half past.
    values = await _values(client, **{"from": "2024-03-01T18:30:00Z", "to": "2024-03-04T18:30:00Z",
                                      "group_by": "daily", "tz": "Asia/Kolkata"})

    assert values == pytest.approx([240.0, 240.0, 240.0], rel=1e-12)


async def test_report_summary_reads_the_same_days(daily_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=daily_prometheus.url)

    response = await client.get("/api/v1/report/summary", params={
        "from": "2024-03-01", "to": "2024-03-05", "group_by": "weekly", "aggregate": "namespace"})

    assert response.status == 200, await response.text()
    body = await response.json()
    # 2024-03-01 is a Friday: the ISO week of the 1st to the 3rd, then the 4th.
    assert body["row_count"] == 2
    assert body["total_operational_co2e_grams"] == pytest.approx(sum(EXPECTED_DAYS), rel=1e-12)


async def test_phase_found_inside_the_window_when_its_end_has_no_sample(daily_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=daily_prometheus.url)

    # The data ends on 2024-03-05 at 03:00: nothing at the window's end, so the phase (30 s, the
    # weights 1/2) comes from a lookup inside the window; with weight 0 the 4th day would be 1000.
    values = await _values(client, **{"from": "2024-03-01", "to": "2024-03-08", "group_by": "daily"})

    assert values[:4] == pytest.approx(EXPECTED_DAYS, rel=1e-12)
    assert values[5:] == [0.0, 0.0]


async def test_hourly_buckets_read_the_sparse_copies_where_a_run_has_them_all(daily_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=daily_prometheus.url)

    copied = await _values(client, **{"from": "2024-03-01", "to": "2024-03-02", "group_by": "hourly"})
    # 48 hours are one range query (HOURS_PER_QUERY): the second day has no copies, so the run
    # is read from the hourly increases, 10 g an hour.
    mixed = await _values(client, **{"from": "2024-03-01", "to": "2024-03-03", "group_by": "hourly"})

    assert copied == pytest.approx([200.0] * 24, rel=1e-12)
    assert mixed == pytest.approx([10.0] * 48, rel=1e-12)


async def test_half_hour_zone_hourly_buckets_read_the_hourly_increases(daily_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=daily_prometheus.url)

    # Kolkata's hours end at half past a UTC hour: a copy of a whole UTC hour (200 here) is never
    # one of their readings, so these hours of 2024-03-01 read the hourly series, 10 each.
    values = await _values(client, **{"from": "2024-03-01T00:30:00Z", "to": "2024-03-01T04:30:00Z",
                                      "group_by": "hourly", "tz": "Asia/Kolkata"})

    assert values == pytest.approx([10.0] * 4, rel=1e-12)
