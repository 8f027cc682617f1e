"""Tests of the built-in coefficient tables (exporter/data/) and their look-ups (exporter/tables.py)."""

import csv
import json
from pathlib import Path

import pytest

from exporter import tables
from exporter.data import derive
from tests.fixtures.tools import SHARED_DATA, require_shared_data

REPO = Path(__file__).parents[2]
DATA = REPO / "exporter" / "data"
SHARED = SHARED_DATA


@pytest.fixture
def _shared_data() -> None:
    require_shared_data()


needs_shared = pytest.mark.usefixtures("_shared_data")
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


@pytest.mark.parametrize(
    ("provider", "instance_type", "expected"),
    [
        # CCF resource share: platform total (coefficients-*-embodied*.csv) x instance vCPUs / platform
        # vCPUs (*-instances.csv), rounded to 2 decimals by derive.py (binary float: a value printed as
        # x.xx5 may sit just below it and round down).
        # a1.medium: total 1022.21 kg, 1 of 16 platform vCPUs: 1022.21 x 1/16 = 63.888125 -> 63.89.
        ("aws", "a1.medium", 63.89),
        # m5.large: total 1610.79 kg, 2 of 96 vCPUs: 1610.79 x 2/96 = 33.558125 -> 33.56.
        ("aws", "m5.large", 33.56),
        # m6gd.2xlarge: total 1533.12 kg, 8 of 64 vCPUs: 1533.12 x 8/64 = 191.64.
        ("aws", "m6gd.2xlarge", 191.64),
        # n1-standard-4: total_mean 1677.48 kg (coefficients-gcp-embodied-mean.csv), 4 of 96 vCPUs on all
        # five microarchitecture rows: 1677.48 x 4/96 = 69.895 (float 69.89499...) -> 69.89.
        ("gcp", "n1-standard-4", 69.89),
        # D4s v3: total 1483.12 kg on each of its 4 rows, 4 of 64 vCPUs: 1483.12 x 4/64 = 92.695 -> 92.69.
        ("azure", "Standard_D4s_v3", 92.69),
        # E16-4s v3 (constrained: 4 active vCPUs) holds the full 16 vCPUs; its source row names a 16-vCPU
        # platform of its own (total 1305.46 kg), so the share is 16/16 and the kg are the whole total.
        ("azure", "Standard_E16-4s_v3", 1305.46),
        # DS11-1 v2: 1 active of 2 held vCPUs (1 / 0.5; "11" is a size, not a vCPU count), platform 2.
        ("azure", "Standard_DS11-1_v2", 1150.0),
        # Mv2 family: the source gives 208 platform vCPUs, below M416's 416, so derive.py takes the
        # largest size (416): M208ms v2 = 16951.23 x 208/416 = 8475.615 (float just below) -> 8475.61.
        ("azure", "Standard_M208ms_v2", 8475.61),
        ("azure", "Standard_M416ms_v2", 16951.23),
        # NCas_T4_v3: source platform 24 < NC64as' 64 vCPUs, so 64: NC4as = 2349.62 x 4/64 = 146.85125.
        ("azure", "Standard_NC4as_T4_v3", 146.85),
    ],
)
def test_embodied_kg_known_instance_uses_resource_share_of_platform_total(provider, instance_type, expected):
    assert tables.embodied_kg(provider, instance_type, 99.0) == (expected, "instance-table")


@pytest.mark.parametrize(
    ("provider", "per_vcpu"),
    [
        # provider_constants.csv embodied_kg_per_vcpu_median: median over the provider's rows of
        # embodied_kg / vcpu. aws: m6gd family, 1533.12 / 64 = 23.955; gcp: n2-highmem family,
        # 148.56 / 8 = 18.57; azure: M128 sizes, 6529.97 / 128 = 51.015390625 -> 51.0154.
        ("aws", 23.955),
        ("gcp", 18.57),
        ("azure", 51.0154),
    ],
)
def test_embodied_kg_unknown_instance_uses_provider_median_per_vcpu(provider, per_vcpu):
    # An unknown 8-vCPU type: 8 x median, e.g. gcp 8 x 18.57 = 148.56.
    kg, source = tables.embodied_kg(provider, "no-such-type", 8.0)
    assert source == "provider-average"
    assert kg == pytest.approx(8 * per_vcpu)


def test_embodied_kg_provider_median_per_vcpu_matches_table_rows():
    rows = _csv(DATA / "instance_types.csv")
    constants = {r["provider"]: r for r in _csv(DATA / "provider_constants.csv")}
    for provider in ("aws", "gcp", "azure"):
        per_vcpu = sorted(float(r["embodied_kg"]) / float(r["vcpu"]) for r in rows if r["provider"] == provider)
        middle = len(per_vcpu) // 2
        median = per_vcpu[middle] if len(per_vcpu) % 2 else (per_vcpu[middle - 1] + per_vcpu[middle]) / 2
        assert float(constants[provider]["embodied_kg_per_vcpu_median"]) == pytest.approx(median, abs=5e-5)


def test_embodied_kg_unknown_instance_scales_with_vcpu():
    small, _ = tables.embodied_kg("gcp", "no-such-type", 2.0)
    large, _ = tables.embodied_kg("gcp", "no-such-type", 8.0)
    assert large == pytest.approx(4 * small)


def test_embodied_kg_azure_lower_case_type_matches():
    assert tables.embodied_kg("azure", "standard_d4s_v3", 4.0) == tables.embodied_kg("azure", "Standard_D4s_v3", 4.0)


def test_embodied_kg_onprem_returns_none():
    assert tables.embodied_kg("onprem", "x", 4.0) is None


@needs_shared
def test_derive_m5_large_embodied_equals_source_total_times_vcpu_share():
    aws = {r["Instance type"]: r for r in _csv(SHARED / "ccf-coefficients" / "aws-instances.csv")}
    total = {r["type"]: float(r["total"]) for r in _csv(SHARED / "ccf-coefficients" / "coefficients-aws-embodied.csv")}
    row = aws["m5.large"]
    share = float(row["Instance vCPU"]) / float(row["Platform Total Number of vCPU"])
    assert tables.embodied_kg("aws", "m5.large", 2.0) == (round(total["m5.large"] * share, 2), "instance-table")


def test_derive_platform_below_instance_vcpu_raises_naming_row():
    with pytest.raises(ValueError, match=r"x\.large.*platform vCPUs '2'"):
        derive._resource_share("aws-instances.csv x.large", 4.0, "2")
    with pytest.raises(ValueError, match="missing, zero"):
        derive._resource_share("gcp-instances.csv y-standard-1 (Skylake)", 1.0, "0")
    with pytest.raises(ValueError, match="not a number"):
        derive._resource_share("azure-instances.csv Z1 v2 (Unknown)", 1.0, "")


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
