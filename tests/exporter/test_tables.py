"""Tests of the built-in coefficient tables (exporter/data/) and their look-ups (exporter/tables.py)."""

import csv
import json
from pathlib import Path

import pytest

from exporter import tables
from exporter.data import derive

REPO = Path(__file__).parents[2]
DATA = REPO / "exporter" / "data"
SHARED = Path(__file__).parents[3] / "shared" / "data"
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"source data folder {SHARED} (../shared/data) is not present"
)
TABLES = (
    "instance_types.csv",
    "provider_constants.csv",
    "region_pue.csv",
    "region_grid_zones.csv",
    "grid_intensity.csv",
)


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _norm(region: str) -> str:
    return region.strip().lower().replace(" ", "")


# --- coverage -------------------------------------------------------------------------------


def test_known_regions_every_region_resolves_to_a_positive_yearly_intensity():
    regions = tables.known_regions()
    assert len(regions) > 100
    for provider, region in regions:
        zone = tables.grid_zone(provider, region)
        assert zone, (provider, region)
        found = tables.yearly_intensity(zone)
        assert found is not None, (provider, region, zone)
        value, source = found
        assert value > 0, (provider, region, zone)
        assert source.startswith(("electricitymaps-", "ember-")), (provider, region, source)


@needs_shared
def test_known_regions_ccf_region_list_is_covered_except_listed_rows():
    skipped = {(r["provider"], _norm(r["region"])) for r in _csv(DATA / "hand" / "regions_not_mapped.csv")}
    known = {(provider, _norm(region)) for provider, region in tables.known_regions()}
    providers = {"AWS": "aws", "GCP": "gcp", "Azure": "azure"}
    ccf = _csv(SHARED / "ccf-derived" / "ccf_grid_emission_factors_by_region.csv")
    wanted = {(providers[r["provider"]], _norm(r["region"])) for r in ccf if r["provider"] in providers}
    assert wanted - skipped - known == set()
    # The unmapped list names only rows that exist: the UNKNOWN averages and multi-regions.
    assert skipped <= wanted


def test_known_regions_zones_exist_in_intensity_table():
    zones = {r["zone"] for r in _csv(DATA / "grid_intensity.csv")}
    assert {r["grid_zone"] for r in _csv(DATA / "region_grid_zones.csv")} <= zones


# --- power coefficients -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "instance_type", "expected"),
    [
        # aws-instances.csv: m6gd.2xlarge runs on Graviton2; CCF gives Graviton2 the EPYC 2nd Gen values.
        ("aws", "m6gd.2xlarge", (0.47, 1.69)),
        # aws-instances.csv: m5.large runs on Xeon Platinum 8175M (Skylake); CCF Skylake 0.65/4.26.
        ("aws", "m5.large", (0.65, 4.26)),
        # gcp-instances.csv: e2 may run on Skylake, Broadwell, Haswell, EPYC 2nd Gen; CCF takes the mean:
        # min (0.65 + 0.71 + 1 + 0.47) / 4 = 0.7075, max (4.26 + 3.69 + 4.74 + 1.69) / 4 = 3.595.
        ("gcp", "e2-standard-4", (0.7075, 3.595)),
        # gcp-instances.csv: n1 includes Sandy/Ivy Bridge, so CCF takes the median of the five values:
        # min of (0.65, 0.71, 1, 3.04, 2.17) -> 1; max of (4.26, 3.69, 4.74, 8.25, 8.58) -> 4.74.
        ("gcp", "n1-standard-1", (1.0, 4.74)),
        # azure-instances.csv: D4s v3 on Haswell, Cascade Lake, Skylake, Broadwell; mean of CCF values:
        # min (1 + 0.64 + 0.65 + 0.71) / 4 = 0.75, max (4.74 + 3.97 + 4.26 + 3.69) / 4 = 4.165.
        ("azure", "Standard_D4s_v3", (0.75, 4.165)),
    ],
)
def test_power_coefficients_known_instance_uses_instance_table(provider, instance_type, expected):
    found = tables.power_coefficients(provider, instance_type)
    assert found == tables.PowerCoefficients(*expected, "instance-table")


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        # ccf_provider_constants_pue_memory_network.csv (CCF b7a049c7): MIN/MAX_WATTS_AVG or _MEDIAN.
        ("aws", (0.74, 3.5)),
        ("gcp", (0.68, 4.11)),
        ("azure", (0.74, 3.54)),
    ],
)
def test_power_coefficients_unknown_instance_uses_provider_average(provider, expected):
    found = tables.power_coefficients(provider, "no-such-type.42xlarge")
    assert found == tables.PowerCoefficients(*expected, "provider-average")


def test_power_coefficients_ice_lake_instance_uses_provider_average():
    # m6i runs on Xeon Platinum 8375C (Ice Lake); CCF publishes no Ice Lake watts.
    assert tables.power_coefficients("aws", "m6i.large") == tables.PowerCoefficients(0.74, 3.5, "provider-average")


def test_power_coefficients_azure_lower_case_type_matches():
    assert tables.power_coefficients("azure", "standard_d4s_v3") == tables.power_coefficients(
        "azure", "Standard_D4s_v3"
    )


def test_power_coefficients_onprem_returns_none():
    assert tables.power_coefficients("onprem", "m5.large") is None


# --- embodied -----------------------------------------------------------------------------------


def test_embodied_kg_known_instance_uses_ccf_total():
    # coefficients-aws-embodied.csv: m5.large total 1610.79 kg CO2e.
    assert tables.embodied_kg("aws", "m5.large") == (1610.79, "instance-table")


def test_embodied_kg_unknown_instance_uses_provider_median():
    kg, source = tables.embodied_kg("gcp", "no-such-type")
    gcp = [float(r["embodied_kg"]) for r in _csv(DATA / "instance_types.csv") if r["provider"] == "gcp"]
    assert source == "provider-average"
    assert min(gcp) <= kg <= max(gcp)


def test_embodied_kg_onprem_returns_none():
    assert tables.embodied_kg("onprem", "x") is None


# --- PUE, zones, intensity, prices --------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "region", "expected"),
    [
        # ccf_provider_constants_pue_memory_network.csv: PUE_TRAILING_TWELVE_MONTH[EUROPE_WEST1] = 1.09
        # at CCF b7a049c7 (older CCF versions said 1.08).
        ("gcp", "europe-west1", 1.09),
        ("gcp", "us-east4", 1.08),  # same file, US_EAST4
        ("gcp", "europe-west2", 1.1),  # no override: GCP PUE_AVG
        ("aws", "us-east-1", 1.135),  # AWS PUE_AVG
        ("azure", "westeurope", 1.185),  # Azure PUE_AVG
    ],
)
def test_pue_cloud_region_returns_override_or_provider_average(provider, region, expected):
    assert tables.pue(provider, region) == expected


def test_pue_onprem_returns_none():
    assert tables.pue("onprem", "dc1") is None


@pytest.mark.parametrize(
    ("provider", "region", "zone"),
    [
        ("aws", "us-east-1", "US-MIDA-PJM"),
        ("aws", "eu-west-1", "IE"),
        ("gcp", "us-central1", "US-MIDW-MISO"),
        ("gcp", "europe-west1", "BE"),
        ("azure", "westeurope", "NL"),
        ("azure", "West Europe", "NL"),
        ("azure", "CentralUS", "US-MIDW-MISO"),
    ],
)
def test_grid_zone_known_region_returns_zone(provider, region, zone):
    assert tables.grid_zone(provider, region) == zone


def test_grid_zone_unknown_region_returns_none():
    assert tables.grid_zone("aws", "moon-base-1") is None
    assert tables.grid_zone("onprem", "us-east-1") is None


@needs_shared
def test_yearly_intensity_ie_equals_electricity_maps_2024_value():
    source = json.loads((SHARED / "co2js-grid-intensity" / "electricitymaps_yearly_2024_by_zone.json").read_text())
    assert tables.yearly_intensity("IE") == (float(source["IE"]["carbonIntensity"]["value"]), "electricitymaps-2024")


def test_yearly_intensity_unknown_zone_returns_none():
    assert tables.yearly_intensity("XX-NOWHERE") is None


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        ("aws", (0.031611, 0.004237)),  # opencost-pricing-defaults/aws.json CPU, RAM
        ("azure", (0.039, 0.001917)),  # opencost-pricing-defaults/azure.json (April 2019 prices)
        ("onprem", (0.031611, 0.004237)),  # default.json
        ("alibaba", (0.031611, 0.004237)),  # no own row: default.json
    ],
)
def test_default_prices_provider_returns_opencost_values(provider, expected):
    assert tables.default_prices(provider) == expected


# --- provider detection -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider_id", "labels", "expected"),
    [
        ("aws:///us-east-1a/i-03dc0d2ac34a1bd43", {}, "aws"),
        ("gce://my-project/us-central1-a/gke-node-1", {}, "gcp"),
        ("azure:///subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm", {}, "azure"),
        ("", {"eks.amazonaws.com/nodegroup": "ng-1"}, "aws"),
        ("", {"cloud.google.com/gke-nodepool": "default-pool"}, "gcp"),
        ("", {"kubernetes.azure.com/cluster": "mc_rg"}, "azure"),
        ("kind://docker/kind/kind-control-plane", {"kubernetes.io/hostname": "kind-control-plane"}, "onprem"),
        ("", {"kubernetes.io/hostname": "minikube", "minikube.k8s.io/name": "minikube"}, "onprem"),
    ],
)
def test_provider_of_node_identity_returns_provider(provider_id, labels, expected):
    assert tables.provider_of(provider_id, labels) == expected


# --- reproducibility ----------------------------------------------------------------------------


@needs_shared
def test_derive_regenerated_tables_match_committed_bytes(tmp_path):
    derive.derive(SHARED, tmp_path)
    for name in TABLES:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name
