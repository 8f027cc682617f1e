"""Last line of defence: coefficients with idle above full load never give negative power.

The settings refuse min > max (tests/exporter/test_config.py); these check the model alone.
"""

from exporter.model.energy import dynamic_cpu_watts, node_power_watts
from exporter.model.estimate import estimate_node
from exporter.model.inputs import NodeCoefficients, PodInputs


def test_dynamic_cpu_watts_max_below_min_is_zero():
    assert dynamic_cpu_watts(2.0, 3.0, 1.0) == 0.0


def test_node_power_max_below_min_stays_at_idle():
    # 4 vCPU x 3 W idle, whatever the load: power never falls below idle as the CPU gets busy.
    assert node_power_watts(4, 3.0, 1.0, 1.0) == 12.0


def test_estimate_node_max_below_min_no_negative_watts():
    node = NodeCoefficients(
        vcpu=4.0, memory_bytes=0.0, min_watts_per_vcpu=3.0, max_watts_per_vcpu=1.0, power_source="test",
        pue=1.0, intensity_g_per_kwh=400.0, intensity_source="test", grid_zone="Z", embodied_kg=0.0,
        embodied_source="test", cpu_price_per_vcpu_hour=0.0, ram_price_per_gib_hour=0.0, price_source="test",
    )

    rates = estimate_node(node, [PodInputs(cpu_cores=4.0, memory_bytes=0.0, cpu_request_cores=4.0)], "request")

    assert rates.pod(0).watts == 12.0  # idle only: 4 x 3 W
    assert rates.pod(0).co2e_grams_per_second >= 0.0
