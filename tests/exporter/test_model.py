"""The estimation model with numbers a reader can check by hand."""

import math

import pytest

from exporter.model.carbon import embodied_grams_per_second, operational_grams
from exporter.model.cost import allocated_cost_per_second
from exporter.model.energy import gpu_power_watts, idle_shares, memory_watts, node_power_watts, storage_power_watts
from exporter.model.estimate import estimate_node
from exporter.model.inputs import NodeCoefficients, PodInputs

GIB = 1024**3


def _node(**changes) -> NodeCoefficients:
    values = dict(
        vcpu=4.0, memory_bytes=16 * GIB, min_watts_per_vcpu=0.74, max_watts_per_vcpu=3.5, power_source="test",
        pue=1.135, intensity_g_per_kwh=400.0, intensity_source="test", grid_zone="Z", embodied_kg=0.0,
        embodied_source="test", cpu_price_per_vcpu_hour=0.031611, ram_price_per_gib_hour=0.004237,
        price_source="test",
    )
    values.update(changes)
    return NodeCoefficients(**values)


def test_node_power_half_busy_four_vcpu_gives_hand_value():
    # 4 x (0.74 + 0.5 x (3.5 - 0.74)) = 4 x 2.12 = 8.48 W
    assert node_power_watts(4, 0.74, 3.5, 0.5) == pytest.approx(8.48)


def test_estimate_one_hour_half_busy_node_gives_hand_joules_and_grams():
    # One pod uses 2 of 4 vCPU (u = 50%) and requests all 4, so it carries all idle power:
    # P = 8.48 W (above); E = 8.48 W x 3600 s = 30,528 J = 0.00848 kWh;
    # CO2e = 0.00848 kWh x PUE 1.135 x 400 g/kWh = 3.84992 g.
    rates = estimate_node(_node(), [PodInputs(cpu_cores=2.0, memory_bytes=0.0, cpu_request_cores=4.0)], "request")
    pod = rates.pod(0)
    assert pod.watts * 3600 == pytest.approx(30_528.0)
    assert pod.co2e_grams_per_second * 3600 == pytest.approx(3.84992)
    assert rates.unallocated.watts == 0.0


def test_estimate_unrequested_idle_stays_on_node():
    # Pod requests 1 of 4 vCPU: it takes 1/4 of idle (4 x 0.74 = 2.96 W -> 0.74 W) plus dynamic
    # 0.5 core x 2.76 W = 1.38 W; the node keeps 2.22 W unallocated.
    rates = estimate_node(_node(), [PodInputs(0.5, 0.0, cpu_request_cores=1.0)], "request")
    assert rates.pod(0).watts == pytest.approx(0.74 + 1.38)
    assert rates.unallocated.watts == pytest.approx(2.22)


def test_estimate_memory_uses_larger_of_request_and_working_set():
    # 2 GB working set, 1 GB request -> 2 GB x 0.392 W/GB = 0.784 W; no CPU, mode none.
    rates = estimate_node(_node(), [PodInputs(0.0, 2e9, 0.0, 1e9)], "none")
    assert rates.pod(0).watts == pytest.approx(0.784)


def test_estimate_cpu_above_capacity_is_scaled_to_node():
    # 6 cores measured on a 4-vCPU node: dynamic is capped at 4 x 2.76 = 11.04 W, split 1:2.
    rates = estimate_node(_node(), [PodInputs(2.0, 0.0, 0.0), PodInputs(4.0, 0.0, 0.0)], "none")
    assert rates.pod(0).watts + rates.pod(1).watts == pytest.approx(11.04)
    assert rates.pod(1).watts == pytest.approx(2 * rates.pod(0).watts)


def test_estimate_nan_and_negative_usage_give_no_negative_or_nan_share():
    pods = [PodInputs(math.nan, math.nan, None), PodInputs(-1.0, -5.0, None), PodInputs(1.0, 0.0, None)]
    rates = estimate_node(_node(), pods, "request")
    for rate in [*(rates.pod(i) for i in range(len(pods))), rates.unallocated]:
        for value in (rate.watts, rate.co2e_grams_per_second, rate.embodied_grams_per_second, rate.cost_per_second):
            assert value >= 0.0 and math.isfinite(value)
    # Requests unknown -> idle falls back to usage: the only busy pod carries all 2.96 W of idle.
    assert rates.pod(2).watts == pytest.approx(2.96 + 2.76)


def test_idle_shares_modes_split_as_documented():
    assert idle_shares("request", 4, [1.0, 1.0], [1.0, 3.0]) == [0.25, 0.75]
    assert idle_shares("usage", 4, [1.0, 3.0], [0.0, 0.0]) == [0.25, 0.75]
    assert idle_shares("even", 4, [1.0, 3.0], [0.0, 0.0]) == [0.5, 0.5]
    assert idle_shares("none", 4, [1.0, 3.0], [0.0, 0.0]) == [0.0, 0.0]
    # Requests cannot exceed the node: 6 requested of 4 -> shares of 6, summing to 1.
    assert sum(idle_shares("request", 4, [0.0, 0.0], [2.0, 4.0])) == pytest.approx(1.0)


def test_embodied_rate_amortises_over_four_years():
    # 1,000 kg over 35,040 h: 1e6 g / (35,040 x 3600 s) = 0.0079274 g/s
    assert embodied_grams_per_second(1000.0) == pytest.approx(1e6 / 126_144_000)


def test_estimate_embodied_shared_by_held_cpu():
    # Node 4 vCPU, 1,000 kg; pod holds max(request 1, usage 0.5) = 1 vCPU -> 1/4 of the node's rate.
    rates = estimate_node(_node(embodied_kg=1000.0), [PodInputs(0.5, 0.0, 1.0, 0.0)], "request")
    assert rates.pod(0).embodied_grams_per_second == pytest.approx(embodied_grams_per_second(1000.0) / 4)
    assert rates.unallocated.embodied_grams_per_second == pytest.approx(embodied_grams_per_second(1000.0) * 3 / 4)


def test_cost_one_hour_one_vcpu_one_gib_is_sum_of_prices():
    # 1 vCPU x $0.031611 + 1 GiB x $0.004237 = $0.035848 per hour
    assert allocated_cost_per_second(1.0, GIB, 0.031611, 0.004237) * 3600 == pytest.approx(0.035848)


def test_estimate_cost_node_total_splits_between_pods_and_idle():
    # Node: 4 x 0.031611 + 16 x 0.004237 = 0.194236 $/h; pod holds 1 vCPU and 1 GiB = 0.035848 $/h.
    rates = estimate_node(_node(), [PodInputs(0.2, 0.5 * GIB, 1.0, GIB)], "request")
    assert rates.pod(0).cost_per_second * 3600 == pytest.approx(0.035848)
    assert rates.unallocated.cost_per_second * 3600 == pytest.approx(0.194236 - 0.035848)


def test_operational_grams_one_watt_hour():
    # 1 W for 3600 s = 3600 J = 0.001 kWh; x PUE 1.0 x 360 g/kWh = 0.36 g.
    assert operational_grams(3600.0, 1.0, 360.0) == pytest.approx(0.36)


def test_memory_gpu_storage_terms_have_hand_values():
    assert memory_watts(1e9) == pytest.approx(0.392)
    # T4 idle 8 W, max 71 W at 50%: 8 + 0.5 x 63 = 39.5 W per GPU (CCF)
    assert gpu_power_watts(2, 8.0, 71.0) == pytest.approx(79.0)
    # 1 TB SSD: 1.2 W (CCF 1.2 Wh/TBh)
    assert storage_power_watts(1e12, "ssd") == pytest.approx(1.2)


def test_estimate_accelerator_and_storage_watts_add_to_pod():
    rates = estimate_node(_node(), [PodInputs(0.0, 0.0, 0.0, 0.0, accelerator_watts=39.5, storage_watts=1.2)], "none")
    assert rates.pod(0).watts == pytest.approx(40.7)
