"""Each node's coefficients and the source it names: tables, overrides, prices in their order.

Expected values are the published figures, written out here (not read back from the tables):
CCF Skylake 0.65/4.26 W per vCPU, CCF AWS PUE 1.135, Electricity Maps 2024 yearly Ireland
352 g/kWh, CCF m5.xlarge embodied 67.12 kg (its share of the platform), OpenCost aws.json
prices $0.031611 per vCPU-hour and $0.004237 per GiB-hour, CCF AWS averages 0.74/3.5 W.
"""

from dataclasses import replace

import pytest

from exporter.coefficients import resolve_node
from exporter.config import ExporterSettings
from exporter.sources.intensity import IntensitySource
from exporter.sources.kubernetes import NodeFacts

AWS_NODE = NodeFacts(
    name="ip-10-0-1-7.eu-west-1.compute.internal",
    labels={"node.kubernetes.io/instance-type": "m5.xlarge", "topology.kubernetes.io/region": "eu-west-1"},
    provider_id="aws:///eu-west-1a/i-0123456789abcdef0", instance_type="m5.xlarge", region="eu-west-1",
    zone="eu-west-1a", arch="amd64", vcpu=4.0, memory_bytes=16 * 1024**3,
)
OPENCOST = (0.05, 0.006)


def _resolve(node: NodeFacts = AWS_NODE, opencost: tuple[float, float] | None = None, **settings):
    config = ExporterSettings(**settings)
    intensity = IntensitySource(config.electricity_maps_url, None, 900, config.default_intensity_g_per_kwh)
    return resolve_node(node, config, intensity, opencost)


def test_resolve_node_known_aws_type_takes_published_coefficients():
    coefficients, info = _resolve()

    assert (coefficients.min_watts_per_vcpu, coefficients.max_watts_per_vcpu) == (0.65, 4.26)
    assert coefficients.pue == 1.135
    assert (coefficients.grid_zone, coefficients.intensity_g_per_kwh) == ("IE", 352.0)
    assert coefficients.embodied_kg == pytest.approx(67.12)
    assert (coefficients.cpu_price_per_vcpu_hour, coefficients.ram_price_per_gib_hour) == (0.031611, 0.004237)
    assert info["provider"] == "aws"
    assert (info["power_source"], info["intensity_source"], info["price_source"]) == (
        "instance-table", "table", "table")


def test_resolve_node_unknown_type_falls_back_to_provider_average():
    coefficients, info = _resolve(replace(AWS_NODE, instance_type="x99.mega"))

    assert (coefficients.min_watts_per_vcpu, coefficients.max_watts_per_vcpu) == (0.74, 3.5)
    assert info["power_source"] != "instance-table"


def test_resolve_node_opencost_series_beat_the_table():
    coefficients, info = _resolve(opencost=OPENCOST)

    assert (coefficients.cpu_price_per_vcpu_hour, coefficients.ram_price_per_gib_hour) == OPENCOST
    assert info["price_source"] == "opencost"


def test_resolve_node_configured_price_beats_opencost():
    coefficients, info = _resolve(opencost=OPENCOST, cpu_price_per_vcpu_hour=0.02, ram_price_per_gib_hour=0.001)

    assert (coefficients.cpu_price_per_vcpu_hour, coefficients.ram_price_per_gib_hour) == (0.02, 0.001)
    assert info["price_source"] == "configured"


@pytest.mark.parametrize(("opencost", "ram"), [(OPENCOST, 0.006), (None, 0.004237)])
def test_resolve_node_one_configured_price_keeps_the_other_discovered(opencost, ram):
    coefficients, info = _resolve(opencost=opencost, cpu_price_per_vcpu_hour=0.02)

    assert (coefficients.cpu_price_per_vcpu_hour, coefficients.ram_price_per_gib_hour) == (0.02, ram)
    assert info["price_source"] == "configured"


def test_resolve_node_onprem_takes_default_prices_and_settings():
    node = replace(AWS_NODE, name="rack1-node7", labels={}, provider_id="", instance_type="", region="", zone="")

    coefficients, info = _resolve(node, onprem_min_watts_per_vcpu=1.2, onprem_max_watts_per_vcpu=5.0,
                                  default_intensity_g_per_kwh=400.0)

    assert (coefficients.min_watts_per_vcpu, coefficients.max_watts_per_vcpu, coefficients.pue) == (1.2, 5.0, 1.58)
    assert (coefficients.intensity_g_per_kwh, info["intensity_source"]) == (400.0, "default")
    assert (coefficients.cpu_price_per_vcpu_hour, info["price_source"]) == (0.031611, "default")


def test_resolve_node_override_wins_and_is_named_configured():
    overrides = {AWS_NODE.name: {"min_watts_per_vcpu": 1.0, "max_watts_per_vcpu": 3.0, "pue": 1.4,
                                 "grid_zone": "BE", "embodied_kg": 500}}

    coefficients, info = _resolve(node_overrides=overrides)

    assert (coefficients.min_watts_per_vcpu, coefficients.max_watts_per_vcpu) == (1.0, 3.0)
    assert (coefficients.pue, coefficients.grid_zone, coefficients.intensity_g_per_kwh) == (1.4, "BE", 153.0)
    assert coefficients.embodied_kg == 500
    assert (info["power_source"], info["embodied_source"]) == ("configured", "configured")


def test_resolve_node_override_without_power_keeps_the_table_pair():
    coefficients, info = _resolve(node_overrides={AWS_NODE.name: {"pue": 1.4}})

    assert (coefficients.min_watts_per_vcpu, coefficients.max_watts_per_vcpu) == (0.65, 4.26)
    assert info["power_source"] == "instance-table"
