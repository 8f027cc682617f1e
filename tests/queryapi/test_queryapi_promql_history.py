"""Exact PromQL of the list, history, recommendation and rule builders. Pure."""

from datetime import UTC, datetime, timedelta

import pytest

from exporter.catalogue import (
    GRID_INTENSITY,
    POD_CO2E,
    POD_COST,
    POD_CPU_USAGE,
    POD_ENERGY,
    RECOMMENDATION_INFO,
    SUSTAINABILITY_SCORE,
)
from queryapi import promql
from queryapi.history import (
    PHASE_PROBES,
    _probe_times,
    bucket_readings,
    phase_weight,
    reading_hours,
    reads_hourly,
    recorded_level,
)
from queryapi.params import BucketParams
from queryapi.sparse import Days

NS = {"namespace": "shop"}


def test_increase_by_namespace_filtered() -> None:
    assert promql.increase_by(POD_CO2E, ("namespace",), 86400, NS) == (
        'sum by (namespace) (increase(greenkube_pod_co2e_grams_total{namespace="shop"}[86400s]))'
    )


def test_increase_by_no_groups_single_sum() -> None:
    assert promql.increase_by(POD_COST, (), 3600) == "sum(increase(greenkube_pod_cost_total[3600s]))"


def test_node_increase_pods_or_unallocated() -> None:
    assert promql.node_increase(POD_COST, 3600) == (
        "sum by (node) (\n"
        "  increase(greenkube_pod_cost_total[3600s])\n"
        "  or increase(greenkube_node_unallocated_cost_total[3600s])\n"
        ")"
    )


def test_node_power_rate_of_pods_or_unallocated() -> None:
    assert promql.node_power(300, {"node": "n1"}) == (
        "sum by (node) (\n"
        '  rate(greenkube_pod_energy_joules_total{node="n1"}[300s])\n'
        '  or rate(greenkube_node_unallocated_energy_joules_total{node="n1"}[300s])\n'
        ")"
    )


def test_power_by_pod_key() -> None:
    assert promql.power_by(("namespace", "pod", "node"), 300) == (
        "sum by (namespace, pod, node) (rate(greenkube_pod_energy_joules_total[300s]))"
    )


def test_average_by_gauge() -> None:
    assert promql.average_by(POD_CPU_USAGE, ("node",), 300) == (
        "sum by (node) (avg_over_time(greenkube_pod_cpu_usage_cores[300s]))"
    )


def test_count_by_nodes_per_namespace() -> None:
    assert promql.count_by(("namespace",), ("namespace", "node"), 3600, NS) == (
        "count by (namespace) (\n"
        '  count by (namespace, node) (last_over_time(greenkube_pod_energy_joules_total{namespace="shop"}[3600s]))\n'
        ")"
    )


@pytest.mark.parametrize(
    ("metric", "query"),
    [
        (SUSTAINABILITY_SCORE, 'last_over_time(greenkube_sustainability_score{namespace="shop"}[600s])'),
        (GRID_INTENSITY, 'last_over_time(greenkube_grid_intensity_grams_per_kilowatt_hour{namespace="shop"}[600s])'),
    ],
)
def test_latest_last_value_in_window(metric, query: str) -> None:
    assert promql.latest(metric, 600, NS) == query


def test_recorded_bucket_sum_two_names_shifted() -> None:
    assert promql.recorded_bucket_sum(["node:a:sum_increase1h", "node:b:sum_increase1h"], ("node",),
                                      {"node": "n1"}, 86400, 1800) == (
        "sum_over_time((\n"
        '  sum by (node) ({__name__=~"node:a:sum_increase1h|node:b:sum_increase1h", node="n1"} offset 1800s)\n'
        ")[86399s:1h])"
    )


def test_recorded_bucket_sum_one_name_summed_per_series_then_group() -> None:
    assert promql.recorded_bucket_sum(["namespace:a:sum_increase1h"], ("namespace",), NS, 7200, 0) == (
        'sum by (namespace) (sum_over_time((namespace:a:sum_increase1h{namespace="shop"})[7199s:1h]))'
    )


def test_recorded_hours_names_kept_apart() -> None:
    assert promql.recorded_hours(["node:a:sum_increase1h", "node:b:sum_increase1h"], {"node": "n1"}) == (
        '{__name__=~"node:a:sum_increase1h|node:b:sum_increase1h", node="n1"}'
    )
    assert promql.recorded_hours(["namespace:a:sum_increase1h"], None) == "namespace:a:sum_increase1h"


def test_reading_hours_whole_hours_ending_in_bucket() -> None:
    day = _bucket(**{"from": "2024-03-01", "to": "2024-03-02"})
    kolkata = _bucket("Asia/Kolkata", **{"from": "2024-03-01T18:30:00Z", "to": "2024-03-02T18:30:00Z"})

    assert reading_hours(day) == list(range(1709254800, 1709337601, 3600))
    assert len(reading_hours(kolkata)) == 24
    assert reading_hours(kolkata)[-1] == 1709404200  # 2024-03-02T18:30:00Z


@pytest.mark.parametrize(
    ("group_by", "by", "matchers", "hourly"),
    [
        ("hourly", ("namespace",), {}, True),
        ("hourly", (), {}, True),
        ("hourly", ("namespace", "pod", "node"), {}, False),
        ("daily", ("namespace",), {}, False),
    ],
)
def test_reads_hourly_recorded_counters_in_hourly_buckets(group_by, by, matchers, hourly: bool) -> None:
    assert reads_hourly(POD_ENERGY, by, matchers, group_by) is hourly
    assert reads_hourly(POD_CPU_USAGE, by, matchers, group_by) is False


@pytest.mark.parametrize(("seconds", "offset"), [(1800, 0), (5400, 0), (3600, 3600), (3600, -1)])
def test_recorded_bucket_sum_not_whole_hours_raises(seconds: int, offset: int) -> None:
    with pytest.raises(ValueError, match="hour"):
        promql.recorded_bucket_sum(["cluster:a:b"], (), None, seconds, offset)


def test_recorded_bucket_readings_sum_of_minutes() -> None:
    assert promql.recorded_bucket_readings("namespace:greenkube_pod_cpu_usage_cores:sum", ("namespace",), NS,
                                           3600) == (
        'sum by (namespace) (sum_over_time(namespace:greenkube_pod_cpu_usage_cores:sum{namespace="shop"}[3599s]))'
    )


def test_sample_time_latest() -> None:
    assert promql.sample_time("cluster:x:y") == "max(timestamp(cluster:x:y))"


def test_seen_timestamp_last() -> None:
    assert promql.seen_timestamp(RECOMMENDATION_INFO, 86400, 60, first=False) == (
        "max_over_time(timestamp(greenkube_recommendation_info)[86400s:60s])"
    )


def test_names_selector_rejects_bad_names() -> None:
    with pytest.raises(ValueError, match="metric name"):
        promql.names_selector(['a"} or vector(1) #'])
    with pytest.raises(ValueError, match="at least one"):
        promql.names_selector([])


def test_rule_expressions() -> None:
    assert promql.rule_sum_increase(POD_ENERGY, ("namespace",), 3600) == (
        "sum by (namespace) (increase(greenkube_pod_energy_joules_total[3600s]))"
    )
    assert promql.rule_sum(POD_CPU_USAGE, ()) == "sum(greenkube_pod_cpu_usage_cores)"


@pytest.mark.parametrize(
    ("by", "matchers", "level"),
    [
        ((), {}, "cluster"),
        ((), {"namespace": "a"}, "namespace"),
        (("namespace",), {}, "namespace"),
        (("node",), {"node": "n"}, "node"),
        ((), {"node": "n"}, "node"),
        (("node",), {"namespace": "a"}, None),
        (("namespace",), {"pod": "p"}, None),
        (("namespace", "pod", "node"), {}, None),
    ],
)
def test_recorded_level_from_labels_needed(by, matchers, level) -> None:
    assert recorded_level(by, matchers) == level


@pytest.mark.parametrize(("sample_time", "weight"), [(None, 0.0), (1704153600.0, 0.0), (1704153622.0, 38 / 60),
                                                     (1704153659.5, 0.5 / 60)])
def test_phase_weight_from_sample_time(sample_time, weight: float) -> None:
    assert phase_weight(sample_time) == pytest.approx(weight)


def _bucket(tz: str = "UTC", **window: str):
    params = BucketParams.model_validate({"group_by": "daily", "tz": tz, **window})
    return params.buckets[0]


def test_bucket_readings_namespace_day_from_daily_sums_both_phases() -> None:
    bucket = _bucket(**{"from": "2024-03-01", "to": "2024-03-02"})

    readings = bucket_readings(POD_ENERGY, ("namespace",), {}, bucket, 0.25)

    end = 1_709_337_600  # 2024-03-02T00:00:00Z
    assert readings == [
        Days("namespace:greenkube_pod_energy_joules:sum_increase1h_sum1d_before",
             "namespace:greenkube_pod_energy_joules:sum_increase1h", 0, end, 1, 0.75),
        Days("namespace:greenkube_pod_energy_joules:sum_increase1h_sum1d_after",
             "namespace:greenkube_pod_energy_joules:sum_increase1h", 60, end, 1, 0.25),
    ]


def test_bucket_readings_new_york_spring_forward_day_hourly_two_evaluations() -> None:
    # 2024-03-10 in New York is 23 hours: no whole day, read from the hourly increases.
    bucket = _bucket("America/New_York", **{"from": "2024-03-10T05:00:00Z", "to": "2024-03-11T04:00:00Z"})

    readings = bucket_readings(POD_ENERGY, ("namespace",), {}, bucket, 0.25)

    assert [(r.at.isoformat(), r.weight) for r in readings] == [("2024-03-11T04:00:00+00:00", 0.75),
                                                                ("2024-03-11T05:00:00+00:00", 0.25)]
    assert readings[1].query == (
        "sum by (namespace) (sum_over_time((namespace:greenkube_pod_energy_joules:sum_increase1h offset 3540s)"
        "[82799s:1h]))"
    )


def test_bucket_readings_new_york_march_hours_before_thirty_days() -> None:
    # March 2024 in New York is 743 hours (the 10th has 23). Its last 720 hours, 30 spans of 24
    # hours ending at 2024-04-01T04:00Z (local midnight or not: a daily sum is any 24 whole
    # UTC hours), come from the daily sums; the first 23 hours, ending 2024-03-02T04:00Z, hourly.
    params = BucketParams.model_validate({"group_by": "monthly", "tz": "America/New_York",
                                          "from": "2024-03-01T05:00:00Z", "to": "2024-04-01T04:00:00Z"})
    [bucket] = params.buckets

    readings = bucket_readings(POD_CO2E, (), {}, bucket, 0.0)

    [hourly, pods, unallocated] = readings
    assert hourly.at.isoformat() == "2024-03-02T04:00:00+00:00" and hourly.weight == 1.0
    assert "[82799s:1h]" in hourly.query
    assert "cluster:greenkube_node_unallocated_co2e_grams:sum_increase1h" in hourly.query
    end = 1_711_944_000  # 2024-04-01T04:00:00Z
    assert pods == Days("cluster:greenkube_pod_co2e_grams:sum_increase1h_sum1d_before",
                        "cluster:greenkube_pod_co2e_grams:sum_increase1h", 0, end, 30, 1.0)
    assert unallocated == Days("cluster:greenkube_node_unallocated_co2e_grams:sum_increase1h_sum1d_before",
                               "cluster:greenkube_node_unallocated_co2e_grams:sum_increase1h", 0, end, 30, 1.0)


def test_days_read_at_the_last_millisecond_of_the_second_hour_after_each_day() -> None:
    days = Days("cluster:a:b", "cluster:a:c", 0, 1_709_337_600, 3)

    assert [days.read_ms(day) for day in range(3)] == [
        (1_709_337_600 - 2 * 86400 + 7200) * 1000 - 1,
        (1_709_337_600 - 86400 + 7200) * 1000 - 1,
        (1_709_337_600 + 7200) * 1000 - 1,
    ]


def test_recorded_days_sum_values_or_count_of_days_found() -> None:
    assert promql.recorded_days_sum("namespace:a:b_sum1d_before", ("namespace",), NS, 31, 79_200_001) == (
        "sum by (namespace) (sum_over_time(last_over_time(namespace:a:b_sum1d_before{namespace=\"shop\"}[3600s]"
        " offset 79200001ms)[2678399s:1d])) or label_replace(count_over_time(count(last_over_time("
        "namespace:a:b_sum1d_before[3600s] offset 79200001ms))[2678399s:1d]), \"greenkube_days\", \"present\","
        " \"\", \"\")"
    )


def test_recorded_days_sum_cluster_no_offset() -> None:
    assert promql.recorded_days_sum("cluster:a:b", (), None, 1, 0) == (
        "sum(sum_over_time(last_over_time(cluster:a:b[3600s])[86399s:1d])) or label_replace("
        "count_over_time(count(last_over_time(cluster:a:b[3600s]))[86399s:1d]), \"greenkube_days\", \"present\","
        " \"\", \"\")"
    )


@pytest.mark.parametrize(("days", "offset"), [(0, 0), (1, -1), (1, 1.5), (1, True)])
def test_recorded_days_sum_bad_days_or_offset_raises(days: int, offset: object) -> None:
    with pytest.raises(ValueError):
        promql.recorded_days_sum("cluster:a:b", (), None, days, offset)  # type: ignore[arg-type]


def test_rule_sparse_sum_24_hours_an_hour_back() -> None:
    assert promql.rule_sparse_sum("namespace:a:sum_increase1h", ("namespace",), 86400, 3600) == (
        "sum by (namespace) (sum_over_time((namespace:a:sum_increase1h offset 3600s)[86399999ms:1h]))"
    )


def test_bucket_readings_kolkata_day_shifted_half_hour() -> None:
    bucket = _bucket("Asia/Kolkata", **{"from": "2024-03-01T18:30:00Z", "to": "2024-03-02T18:30:00Z"})

    [reading] = bucket_readings(POD_ENERGY, (), {}, bucket, 0.0)

    assert reading.at.isoformat() == "2024-03-02T19:00:00+00:00"
    assert " offset 1800s)" in reading.query


def test_bucket_readings_pod_level_raw_increase() -> None:
    bucket = _bucket(**{"from": "2024-03-01", "to": "2024-03-02"})

    [reading] = bucket_readings(POD_ENERGY, ("namespace", "pod", "node"), NS, bucket, 0.5)

    assert reading.query == (
        'sum by (namespace, pod, node) (increase(greenkube_pod_energy_joules_total{namespace="shop"}[86400s]))'
    )
    assert (reading.at.isoformat(), reading.weight) == ("2024-03-02T00:00:00+00:00", 1.0)


def test_probe_times_a_year_spread_after_whole_hours() -> None:
    start, end = datetime(2023, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)

    probes = _probe_times(start, end)

    assert len(probes) <= PHASE_PROBES + 1
    assert probes[0] == start + timedelta(seconds=60) and probes[-1] > end - timedelta(days=6)
    assert all(probe.timestamp() % 3600 == 60 and start < probe <= end + timedelta(seconds=60) for probe in probes)
    gaps = {b - a for a, b in zip(probes, probes[1:], strict=False)}
    assert gaps == {timedelta(hours=137)}  # 8,760 hours / 64, rounded up


def test_probe_times_short_window_every_hour_half_hour_start() -> None:
    start = datetime(2024, 3, 1, 18, 30, tzinfo=UTC)

    probes = _probe_times(start, start + timedelta(hours=2))

    assert [p.isoformat() for p in probes] == ["2024-03-01T19:01:00+00:00", "2024-03-01T20:01:00+00:00"]
