"""PromQL builder: exact query strings and escaping of hostile label values. Pure."""

import pytest

from exporter.catalogue import POD_CO2E, POD_COST, POD_CPU_USAGE, POD_EMBODIED_CO2E, POD_ENERGY
from queryapi import promql
from queryapi.cluster import energy_and_grid_energy


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("default", "default"),
        ('a"b', 'a\\"b'),
        ("a\\b", "a\\\\b"),
        ("line1\nline2", "line1\\nline2"),
        ('"}', '\\"}'),
        ('x"} or vector(1)', 'x\\"} or vector(1)'),
        ('\\"} or vector(1) #', '\\\\\\"} or vector(1) #'),
        ("tab\there\r", "tab\\there\\r"),
        ("bell\x07del\x7f", "bell\\x07del\\x7f"),
        ("café ☕", "café ☕"),
    ],
)
def test_escape_label_value_hostile_value_escaped(value: str, escaped: str) -> None:
    assert promql.escape_label_value(value) == escaped


def test_selector_hostile_values_stay_inside_quotes() -> None:
    query = promql.selector(POD_ENERGY.name, {"namespace": 'x"} or vector(1) #', "pod": "a\\\nb"})

    assert query == (
        'greenkube_pod_energy_joules_total{namespace="x\\"} or vector(1) #", pod="a\\\\\\nb"}'
    )


def test_selector_no_matchers_is_bare_metric() -> None:
    assert promql.selector(POD_ENERGY.name) == "greenkube_pod_energy_joules_total"


@pytest.mark.parametrize("name", ["", "1abc", 'namespace="x"', "a-b", "a b"])
def test_selector_invalid_label_name_raises(name: str) -> None:
    with pytest.raises(ValueError, match="not a valid label name"):
        promql.selector(POD_ENERGY.name, {name: "x"})


@pytest.mark.parametrize("seconds", [0, -5, 1.5, "60", True])
def test_format_duration_not_positive_whole_seconds_raises(seconds: object) -> None:
    with pytest.raises(ValueError, match="whole number of seconds"):
        promql.format_duration(seconds)  # type: ignore[arg-type]


def test_cluster_increase_energy_adds_unallocated_counter() -> None:
    assert promql.cluster_increase(POD_ENERGY, 86400) == (
        "(sum(increase(greenkube_pod_energy_joules_total[86400s])) or vector(0))\n"
        "+ (sum(increase(greenkube_node_unallocated_energy_joules_total[86400s])) or vector(0))"
    )


@pytest.mark.parametrize(
    ("counter", "unallocated"),
    [
        (POD_CO2E, "greenkube_node_unallocated_co2e_grams_total"),
        (POD_EMBODIED_CO2E, "greenkube_node_unallocated_embodied_co2e_grams_total"),
        (POD_COST, "greenkube_node_unallocated_cost_total"),
    ],
)
def test_cluster_increase_each_counter_pairs_its_twin(counter, unallocated: str) -> None:
    assert promql.cluster_increase(counter, 3600) == (
        f"(sum(increase({counter.name}[3600s])) or vector(0))\n"
        f"+ (sum(increase({unallocated}[3600s])) or vector(0))"
    )


def test_cluster_increase_gauge_raises() -> None:
    with pytest.raises(ValueError, match="not a pod counter"):
        promql.cluster_increase(POD_CPU_USAGE, 3600)


def test_cluster_power_rate_of_pod_and_unallocated_energy() -> None:
    assert promql.cluster_power(300) == (
        "(sum(rate(greenkube_pod_energy_joules_total[300s])) or vector(0))\n"
        "+ (sum(rate(greenkube_node_unallocated_energy_joules_total[300s])) or vector(0))"
    )


def test_count_pods_distinct_namespace_pod_pairs() -> None:
    assert promql.count_pods(3600) == (
        "count(\n"
        "  count by (namespace, pod) (last_over_time(greenkube_pod_energy_joules_total[3600s]))\n"
        ")"
    )


def test_count_namespaces_distinct_namespaces() -> None:
    assert promql.count_namespaces(3600) == (
        "count(\n"
        "  count by (namespace) (last_over_time(greenkube_pod_energy_joules_total[3600s]))\n"
        ")"
    )


def test_count_nodes_pods_or_unallocated_energy() -> None:
    assert promql.count_nodes(7200) == (
        "count(\n"
        "  count by (node) (\n"
        "    last_over_time(greenkube_pod_energy_joules_total[7200s])\n"
        "    or last_over_time(greenkube_node_unallocated_energy_joules_total[7200s])\n"
        "  )\n"
        ")"
    )



def test_node_pue_last_per_node_exactly() -> None:
    assert promql.node_pue(3600) == "max by (node) (last_over_time(greenkube_node_pue_ratio[3600s]))"


def test_energy_and_grid_energy_weights_each_node_by_its_pue() -> None:
    # 100 J on a node at PUE 1.5 and 50 J on one at 1.2; 10 J on a node with no PUE known.
    total, grid = energy_and_grid_energy({("a",): 100.0, ("b",): 50.0, ("c",): 10.0}, {("a",): 1.5, ("b",): 1.2})

    assert (total, grid) == (160.0, 100.0 * 1.5 + 50.0 * 1.2)
