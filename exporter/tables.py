"""Look-ups in the built-in coefficient tables of exporter/data/ (see its README for sources).

Pure: the only I/O is reading the package's own CSV files, once each, on first use.
"""

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

CLOUD_PROVIDERS = ("aws", "gcp", "azure")
ONPREM = "onprem"
INSTANCE_TABLE = "instance-table"
PROVIDER_AVERAGE = "provider-average"

_PROVIDER_ID_PREFIXES = (("aws://", "aws"), ("gce://", "gcp"), ("azure://", "azure"))
_LABEL_PREFIXES = (
    ("eks.amazonaws.com/", "aws"),
    ("cloud.google.com/gke-", "gcp"),
    ("kubernetes.azure.com/", "azure"),
)


@dataclass(frozen=True, slots=True)
class PowerCoefficients:
    """CPU power of one node type in watts per vCPU at idle and at full load, with its source."""

    min_watts_per_vcpu: float
    max_watts_per_vcpu: float
    source: str  # "instance-table" or "provider-average"


def provider_of(provider_id: str, labels: dict[str, str]) -> str:
    """Name the cloud a node runs in: 'aws', 'gcp', 'azure' or 'onprem'.

    The node's spec.providerID prefix (aws://, gce://, azure://) decides; without one, the
    well-known labels the managed services set (eks.amazonaws.com/*, cloud.google.com/gke-*,
    kubernetes.azure.com/*) do; anything else is on-premises (kind, minikube, bare metal).
    """
    prefix = (provider_id or "").strip().lower()
    for scheme, provider in _PROVIDER_ID_PREFIXES:
        if prefix.startswith(scheme):
            return provider
    for key in labels or {}:
        for label_prefix, provider in _LABEL_PREFIXES:
            if key.startswith(label_prefix):
                return provider
    return ONPREM


def power_coefficients(provider: str, instance_type: str) -> PowerCoefficients | None:
    """Return min/max watts per vCPU for an instance type (CCF), or None for on-prem/unknown clouds.

    A type missing from the table, or whose microarchitecture CCF does not cover, gets the
    provider average, with source 'provider-average'.
    """
    provider = provider.strip().lower()
    if provider not in CLOUD_PROVIDERS:
        return None
    constants = _provider_constants()[provider]
    row = _instances().get((provider, _key(instance_type)))
    if row is not None:
        return PowerCoefficients(
            float(row["min_watts_per_vcpu"]), float(row["max_watts_per_vcpu"]), row["power_source"]
        )
    return PowerCoefficients(
        float(constants["min_watts_per_vcpu"]), float(constants["max_watts_per_vcpu"]), PROVIDER_AVERAGE
    )


def embodied_kg(provider: str, instance_type: str, vcpu: float) -> tuple[float, str] | None:
    """Return (embodied kg CO2e of one instance, source), or None for on-prem/unknown clouds.

    The kg are the instance's share of its host platform's total (CCF: platform total x instance
    vCPUs / platform vCPUs), not yet amortised over time. Source is 'instance-table' (that value
    for a type of the table; `vcpu` is then ignored) or 'provider-average' (the median kg per vCPU
    of that provider's table rows times `vcpu`, for types the table lacks).
    """
    provider = provider.strip().lower()
    if provider not in CLOUD_PROVIDERS:
        return None
    constants = _provider_constants()[provider]
    row = _instances().get((provider, _key(instance_type)))
    if row is not None and row["embodied_kg"]:
        return float(row["embodied_kg"]), INSTANCE_TABLE
    return float(constants["embodied_kg_per_vcpu_median"]) * vcpu, PROVIDER_AVERAGE


def pue(provider: str, region: str) -> float | None:
    """Return the PUE of a cloud region (regional override, else provider average), None on-prem."""
    provider = provider.strip().lower()
    if provider not in CLOUD_PROVIDERS:
        return None
    constants = _provider_constants()[provider]
    override = _region_pue().get((provider, _region_key(region)))
    return override if override is not None else float(constants["pue"])


def grid_zone(provider: str, region: str) -> str | None:
    """Return the Electricity Maps zone id a cloud region draws power from, or None if unmapped."""
    row = _regions().get((provider.strip().lower(), _region_key(region)))
    return row["grid_zone"] if row is not None else None


def yearly_intensity(zone: str) -> tuple[float, str] | None:
    """Return (yearly average g CO2e per kWh, source) for a grid zone, or None if the table lacks it.

    Source names the data set and year, e.g. 'electricitymaps-2024' or 'ember-2023'.
    """
    row = _intensities().get(zone.strip().upper())
    return (float(row["g_co2e_per_kwh"]), row["source"]) if row is not None else None


def default_prices(provider: str) -> tuple[float, float]:
    """Return (price per vCPU-hour, price per GiB-hour) from OpenCost's defaults for `provider`.

    Providers without their own file (on-prem included) get OpenCost's default.json prices.
    """
    constants = _provider_constants()
    row = constants.get(provider.strip().lower(), constants["default"])
    return float(row["cpu_price_per_vcpu_hour"]), float(row["ram_price_per_gib_hour"])


def known_regions() -> list[tuple[str, str]]:
    """Return every (provider, region) the region-to-grid-zone table maps, in table order."""
    return [(row["provider"], row["region"]) for row in _read("region_grid_zones.csv")]


def _key(instance_type: str) -> str:
    """Instance type key: case-insensitive (Azure labels vary: Standard_D4s_v3, standard_d4s_v3)."""
    return instance_type.strip().lower()


def _region_key(region: str) -> str:
    """Region key: lower case without spaces, so Azure 'West Europe' matches 'westeurope'."""
    return region.strip().lower().replace(" ", "")


@cache
def _read(name: str) -> tuple[dict[str, str], ...]:
    """Rows of one CSV file shipped in exporter/data/."""
    text = files("exporter.data").joinpath(name).read_text(encoding="utf-8")
    return tuple(csv.DictReader(io.StringIO(text)))


@cache
def _instances() -> dict[tuple[str, str], dict[str, str]]:
    """instance_types.csv by (provider, lower-cased instance type)."""
    return {(row["provider"], _key(row["instance_type"])): row for row in _read("instance_types.csv")}


@cache
def _provider_constants() -> dict[str, dict[str, str]]:
    """provider_constants.csv by provider (aws, gcp, azure, default)."""
    return {row["provider"]: row for row in _read("provider_constants.csv")}


@cache
def _region_pue() -> dict[tuple[str, str], float]:
    """region_pue.csv by (provider, region)."""
    return {(row["provider"], _region_key(row["region"])): float(row["pue"]) for row in _read("region_pue.csv")}


@cache
def _regions() -> dict[tuple[str, str], dict[str, str]]:
    """region_grid_zones.csv by (provider, region)."""
    return {(row["provider"], _region_key(row["region"])): row for row in _read("region_grid_zones.csv")}


@cache
def _intensities() -> dict[str, dict[str, str]]:
    """grid_intensity.csv by zone id."""
    return {row["zone"].upper(): row for row in _read("grid_intensity.csv")}
