"""Exact PromQL of the list, history, recommendation and rule builders. Pure."""

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
from queryapi.history import bucket_readings, phase_weight, reading_hours, reads_hourly, recorded_level
from queryapi.params import BucketParams

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


def test_sample_time_latest_and_in_window() -> None:
    assert promql.sample_time("cluster:x:y") == "max(timestamp(cluster:x:y))"
    assert promql.sample_time_in("cluster:x:y", 7200) == "max_over_time((max(timestamp(cluster:x:y)))[7200s:5m])"


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


def test_bucket_readings_namespace_day_two_evaluations() -> None:
    bucket = _bucket(**{"from": "2024-03-01", "to": "2024-03-02"})

    readings = bucket_readings(POD_ENERGY, ("namespace",), {}, bucket, 0.25)

    assert [(r.at.isoformat(), r.weight) for r in readings] == [("2024-03-02T00:00:00+00:00", 0.75),
                                                                ("2024-03-02T01:00:00+00:00", 0.25)]
    assert readings[1].query == (
        "sum by (namespace) (sum_over_time((namespace:greenkube_pod_energy_joules:sum_increase1h offset 3540s)"
        "[86399s:1h]))"
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
