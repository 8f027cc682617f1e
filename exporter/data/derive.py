"""Regenerate the coefficient tables in this folder from the public source files.

Usage: ``python -m exporter.data.derive SOURCE_DIR [OUT_DIR]`` where SOURCE_DIR is the folder
described by its SOURCES.md (ccf-coefficients/, ccf-derived/, co2js-grid-intensity/,
opencost-pricing-defaults/). OUT_DIR defaults to this folder. Hand-entered facts (CPU model to
microarchitecture, cloud region to grid zone) come from ``hand/*.csv`` next to this file.
The exporter never imports this module: it only reads the CSVs it writes. See README.md.
"""

import csv
import json
import re
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

HAND = Path(__file__).parent / "hand"
PROVIDERS = {"AWS": "aws", "GCP": "gcp", "Azure": "azure"}
# CCF takes the median instead of the mean when these outliers are among the candidates.
MEDIAN_TRIGGERS = {"Sandy Bridge", "Ivy Bridge"}
# Managed-service rows of aws-instances.csv: never Kubernetes nodes.
AWS_SERVICE_TYPE = re.compile(r"^(cache|db)\.|\.elasticsearch$")
# Azure families whose "Platform vCPUs" figure is below their own largest size; their platform
# memory and GPUs are those of that size (Mv2: 208 given, M416ms v2 has 416 vCPUs and the platform's
# 11400 GB; NCas_T4_v3: 24 given, NC64as T4 v3 has 64 vCPUs, 448 GB and 4 GPUs). For them the
# platform is taken to be the family's largest size. See README.md.
AZURE_PLATFORM_IS_LARGEST_SIZE = {"Mv2-series", "NCas_T4_v3 Series"}


def derive(src: Path, out: Path) -> dict[str, int]:
    """Write every table from `src` into `out`; return the number of data rows per file."""
    consts = _ccf_provider_constants(src)
    instances = _instance_rows(src, consts)
    regions = _region_rows(src)
    prices = {p: _opencost_prices(src, p) for p in ("aws", "gcp", "azure", "default")}
    tables = {
        "instance_types.csv": (
            ["provider", "instance_type", "vcpu", "memory_gib", "microarchitecture",
             "min_watts_per_vcpu", "max_watts_per_vcpu", "power_source", "embodied_kg"],
            instances,
        ),
        "provider_constants.csv": (
            ["provider", "min_watts_per_vcpu", "max_watts_per_vcpu", "watts_basis", "pue",
             "embodied_kg_per_vcpu_median", "cpu_price_per_vcpu_hour", "ram_price_per_gib_hour"],
            _provider_rows(consts, instances, prices),
        ),
        "region_pue.csv": (["provider", "region", "pue"], _region_pue_rows(src)),
        "region_grid_zones.csv": (["provider", "region", "grid_zone", "country_iso3", "location"], regions),
        "grid_intensity.csv": (["zone", "g_co2e_per_kwh", "source"], _intensity_rows(src, regions)),
    }
    out.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in tables.items():
        with (out / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
    return {name: len(rows) for name, (_, rows) in tables.items()}


def _read_csv(path: Path) -> list[dict[str, str]]:
    """Read a CSV file with a header row into dicts."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _num(text: str) -> float:
    """Parse a number that may use a decimal comma (aws-instances.csv does)."""
    return float(text.strip().replace(",", "."))


def _fmt(value: float | None, places: int = 4) -> str:
    """Format a number with at most `places` decimals and no trailing zeros; None is empty."""
    if value is None:
        return ""
    return f"{value:.{places}f}".rstrip("0").rstrip(".")


def _ccf_provider_constants(src: Path) -> dict[str, dict[str, float | str]]:
    """Per provider: average (or median) min/max watts per vCPU and average PUE from CCF."""
    consts: dict[str, dict[str, float | str]] = {}
    for row in _read_csv(src / "ccf-derived" / "ccf_provider_constants_pue_memory_network.csv"):
        provider = PROVIDERS.get(row["provider"])
        if provider is None:
            continue
        entry = consts.setdefault(provider, {})
        name, value = row["constant"], float(row["value"])
        if name in ("MIN_WATTS_AVG", "MIN_WATTS_MEDIAN"):
            entry["min"], entry["basis"] = value, name.rsplit("_", 1)[1].lower()
        elif name in ("MAX_WATTS_AVG", "MAX_WATTS_MEDIAN"):
            entry["max"] = value
        elif name == "PUE_AVG":
            entry["pue"] = value
    return consts


def _power(provider: str, microarchs: list[str], ccf: dict) -> tuple[float, float, str]:
    """Min/max watts per vCPU for an instance that may run on any of `microarchs` (CCF method).

    CCF averages the candidates' values, or takes their median when Sandy Bridge or Ivy Bridge
    is among them; with no candidate known to CCF the provider average applies.
    """
    unknown = [m for m in microarchs if m not in ccf["processors"]]
    if unknown:
        raise ValueError(f"microarchitectures {unknown} missing from hand/ccf_processors.csv")
    names = [ccf["processors"][m] for m in microarchs]
    known = [(n, ccf["watts"][(provider, n)]) for n in names if (provider, n) in ccf["watts"]]
    if not known:
        return ccf["consts"][provider]["min"], ccf["consts"][provider]["max"], "provider-average"
    pick = statistics.median if MEDIAN_TRIGGERS & {n for n, _ in known} else statistics.mean
    return pick(w[0] for _, w in known), pick(w[1] for _, w in known), "instance-table"


def _processor_watts(src: Path) -> dict[tuple[str, str], tuple[float, float]]:
    """(provider, CCF processor name) -> (min, max) watts per vCPU, CPUs only."""
    rows = _read_csv(src / "ccf-derived" / "ccf_processor_min_max_watts.csv")
    return {
        (PROVIDERS[r["provider"]], r["processor"]): (float(r["min_watts_per_vcpu_or_gpu"]),
                                                     float(r["max_watts_per_vcpu_or_gpu"]))
        for r in rows
        if r["kind"] == "CPU" and r["provider"] in PROVIDERS
    }


def _resource_share(row: str, held_vcpu: float, platform_text: str) -> float:
    """CCF resource share of one source row: vCPUs the instance holds / vCPUs of its platform.

    Fails, naming the row, when the platform count is missing, zero or below the instance's.
    """
    try:
        platform = _num(platform_text)
    except ValueError:
        raise ValueError(f"{row}: platform vCPUs {platform_text!r} is not a number") from None
    if not platform > 0 or platform < held_vcpu:
        raise ValueError(f"{row}: platform vCPUs {platform_text!r} is missing, zero or below the "
                         f"instance's {_fmt(held_vcpu)} vCPUs")
    return held_vcpu / platform


@dataclass
class _Instance:
    """One instance type while it is being assembled from several source rows."""

    vcpu: float
    memory_gib: float
    embodied_kg: list[float]  # per source row: the platform's total x the instance's resource share
    microarchs: list[str] = field(default_factory=list)


def _instance_rows(src: Path, consts: dict) -> list[list[str]]:
    """One row per instance type of the three providers, sorted by provider and type."""
    processors = {r["microarchitecture"]: r["ccf_processor"] for r in _read_csv(HAND / "ccf_processors.csv")}
    power = {"consts": consts, "watts": _processor_watts(src), "processors": processors}
    ccf = src / "ccf-coefficients"
    found = {**_aws_instances(ccf), **_gcp_instances(ccf), **_azure_instances(ccf)}
    if len({(p, n.lower()) for p, n in found}) != len(found):
        raise ValueError("two instance types differ only by case; the exporter looks them up case-insensitively")
    rows = []
    for (provider, name), item in sorted(found.items(), key=lambda pair: (pair[0][0], pair[0][1].lower())):
        microarchs = list(dict.fromkeys(item.microarchs))  # de-duplicate, keep source order
        low, high, source = _power(provider, microarchs, power)
        embodied = _fmt(statistics.mean(item.embodied_kg), 2) if item.embodied_kg else ""
        rows.append([provider, name, _fmt(item.vcpu), _fmt(item.memory_gib), "/".join(microarchs),
                     _fmt(low), _fmt(high), source, embodied])
    return rows


def _aws_instances(ccf: Path) -> dict[tuple[str, str], _Instance]:
    """EC2 types from aws-instances.csv; the CPU model maps to a microarchitecture by hand table."""
    cpus = {r["cpu_name"]: r["microarchitecture"] for r in _read_csv(HAND / "aws_cpus.csv")}
    embodied = {r["type"]: float(r["total"]) for r in _read_csv(ccf / "coefficients-aws-embodied.csv")}
    found = {}
    for r in _read_csv(ccf / "aws-instances.csv"):
        name, cpu = r["Instance type"], r["Platform CPU Name"]
        if AWS_SERVICE_TYPE.search(name):
            continue
        if cpu not in cpus:
            raise ValueError(f"CPU {cpu!r} of {name} missing from hand/aws_cpus.csv")
        vcpu = _num(r["Instance vCPU"])
        share = _resource_share(f"aws-instances.csv {name}", vcpu, r["Platform Total Number of vCPU"])
        kg = [embodied[name] * share] if name in embodied else []
        found[("aws", name)] = _Instance(vcpu, _num(r["Instance Memory (in GB)"]), kg, [cpus[cpu]])
    return found


def _gcp_instances(ccf: Path) -> dict[tuple[str, str], _Instance]:
    """Machine types from gcp-instances.csv (one source row per possible microarchitecture)."""
    embodied = {r["type"]: float(r["total_mean"]) for r in _read_csv(ccf / "coefficients-gcp-embodied-mean.csv")}
    found: dict[tuple[str, str], _Instance] = {}
    for r in _read_csv(ccf / "gcp-instances.csv"):
        name, vcpu = r["Machine type"], _num(r["Instance vCPUs"])
        item = found.setdefault(("gcp", name), _Instance(vcpu, _num(r["Instance Memory"]), []))
        share = _resource_share(f"gcp-instances.csv {name} ({r['Microarchitecture']})", vcpu,
                                r["Platform vCPUs (highest vCPU possible)"])
        if name in embodied:
            item.embodied_kg.append(embodied[name] * share)
        item.microarchs.append(r["Microarchitecture"])
    return found


def _azure_instances(ccf: Path) -> dict[tuple[str, str], _Instance]:
    """VM sizes from azure-instances.csv (one source row per possible microarchitecture)."""
    embodied = {(r["type"], r["microarchitecture"]): float(r["total"])
                for r in _read_csv(ccf / "coefficients-azure-embodied.csv")}
    rows = _read_csv(ccf / "azure-instances.csv")
    platforms = _azure_platform_fixes(rows)
    found: dict[tuple[str, str], _Instance] = {}
    for r in rows:
        name, microarch = r["Virtual Machine"], r["Microarchitecture"]
        item = found.setdefault(
            ("azure", _azure_api_name(name)),
            _Instance(_azure_vcpu(name, r["Instance vCPUs"]), _num(r["Instance Memory"]), []),
        )
        held = _azure_held_vcpu(name, r["Instance vCPUs"])
        platform = platforms.get(r["Series"], r["Platform vCPUs (highest vCPU possible)"])
        share = _resource_share(f"azure-instances.csv {name} ({microarch})", held, platform)
        if (name, microarch) in embodied:
            item.embodied_kg.append(embodied[(name, microarch)] * share)
        item.microarchs.append(microarch)
    return found


def _azure_platform_fixes(rows: list[dict[str, str]]) -> dict[str, str]:
    """Platform vCPUs of each AZURE_PLATFORM_IS_LARGEST_SIZE family: its largest size's vCPUs.

    Fails if a listed family is missing or its source figure is no longer below that size.
    """
    fixes = {}
    for family in sorted(AZURE_PLATFORM_IS_LARGEST_SIZE):
        members = [r for r in rows if r["Series"] == family]
        if not members:
            raise ValueError(f"azure-instances.csv has no family {family!r} (AZURE_PLATFORM_IS_LARGEST_SIZE)")
        largest = max(_azure_held_vcpu(r["Virtual Machine"], r["Instance vCPUs"]) for r in members)
        if all(_num(r["Platform vCPUs (highest vCPU possible)"]) >= largest for r in members):
            raise ValueError(f"azure-instances.csv family {family!r} no longer needs its platform vCPU fix")
        fixes[family] = _fmt(largest)
    return fixes


def _azure_api_name(source_name: str) -> str:
    """'D4s v3' -> 'Standard_D4s_v3' (the node label value); drops the source's footnote mark ' 1'."""
    return "Standard_" + re.sub(r"\s+1$", "", source_name.strip()).replace(" ", "_")


def _azure_vcpu(source_name: str, text: str) -> float:
    """vCPUs of an Azure size; constrained sizes ('E16-4s v3') take the active count from the name.

    azure-instances.csv gives those sizes the active/total ratio (0.25) instead of a vCPU count.
    """
    match = re.match(r"^[A-Za-z]+\d+-(\d+)", source_name)
    return float(match.group(1)) if match else _num(text)


def _azure_held_vcpu(source_name: str, text: str) -> float:
    """vCPUs of hardware an Azure size holds; a constrained size holds its full size's vCPUs.

    That count is active / ratio ('E16-4s v3': 4 / 0.25 = 16). The number before the dash is a
    size, not always a vCPU count ('DS11-1 v2' holds 2 vCPUs, 'Gs4-4' 16), so it is not used.
    """
    if not re.match(r"^[A-Za-z]+\d+-\d+", source_name):
        return _num(text)
    active = _azure_vcpu(source_name, text)
    held = active / _num(text)
    if abs(held - round(held)) > 1e-6:
        raise ValueError(f"azure-instances.csv {source_name}: {_fmt(active)} / {text} is not a whole vCPU count")
    return float(round(held))


def _provider_rows(consts: dict, instances: list[list[str]], prices: dict) -> list[list[str]]:
    """Provider fallbacks: CCF watts and PUE, median embodied kg per vCPU of the table, OpenCost prices."""
    rows = []
    for provider in ("aws", "gcp", "azure"):
        c = consts[provider]
        per_vcpu = [float(r[8]) / float(r[2]) for r in instances if r[0] == provider and r[8]]
        rows.append([provider, _fmt(c["min"]), _fmt(c["max"]), c["basis"], _fmt(c["pue"]),
                     _fmt(statistics.median(per_vcpu)), *prices[provider]])
    rows.append(["default", "", "", "", "", "", *prices["default"]])
    return rows


def _opencost_prices(src: Path, provider: str) -> list[str]:
    """CPU per vCPU-hour and RAM per GiB-hour from an OpenCost pricing config file."""
    data = json.loads((src / "opencost-pricing-defaults" / f"{provider}.json").read_text(encoding="utf-8"))
    return [_fmt(float(data["CPU"]), 6), _fmt(float(data["RAM"]), 6)]


def _ccf_regions(src: Path) -> list[dict[str, str]]:
    """Rows of ccf_grid_emission_factors_by_region.csv for AWS, GCP and Azure."""
    rows = _read_csv(src / "ccf-derived" / "ccf_grid_emission_factors_by_region.csv")
    return [r for r in rows if r["provider"] in PROVIDERS]


def _region_pue_rows(src: Path) -> list[list[str]]:
    """GCP per-region trailing-twelve-month PUE from CCF, keyed by region name."""
    key_to_region = {(PROVIDERS[r["provider"]], r["ccf_region_key"]): r["region"] for r in _ccf_regions(src)}
    rows = []
    for r in _read_csv(src / "ccf-derived" / "ccf_provider_constants_pue_memory_network.csv"):
        match = re.fullmatch(r"PUE_TRAILING_TWELVE_MONTH\[(\w+)\]", r["constant"])
        if match and r["provider"] in PROVIDERS:
            provider = PROVIDERS[r["provider"]]
            rows.append([provider, key_to_region[(provider, match.group(1))], _fmt(float(r["value"]))])
    return sorted(rows)


def _norm(region: str) -> str:
    """Region key used for matching: lower case, no spaces."""
    return region.strip().lower().replace(" ", "")


def _region_rows(src: Path) -> list[list[str]]:
    """Hand-mapped regions, checked to cover every CCF region except the listed unmapped ones."""
    hand = _read_csv(HAND / "region_locations.csv")
    mapped = {(r["provider"], _norm(r["region"])) for r in hand}
    if len(mapped) != len(hand):
        raise ValueError("duplicate region in hand/region_locations.csv")
    skipped = {(r["provider"], _norm(r["region"])) for r in _read_csv(HAND / "regions_not_mapped.csv")}
    if mapped & skipped:
        raise ValueError(f"regions both mapped and not mapped: {sorted(mapped & skipped)}")
    missing = {(PROVIDERS[r["provider"]], _norm(r["region"])) for r in _ccf_regions(src)} - mapped - skipped
    if missing:
        raise ValueError(f"CCF regions without a grid zone: {sorted(missing)}")
    return [[r["provider"], _norm(r["region"]), r["grid_zone"], r["country_iso3"], r["location"]] for r in hand]


def _intensity_rows(src: Path, regions: list[list[str]]) -> list[list[str]]:
    """Yearly g/kWh for every EM 2024 zone and every zone a region lands in, with its source."""
    grid = src / "co2js-grid-intensity"
    em = {year: json.loads((grid / f"electricitymaps_yearly_{year}_by_zone.json").read_text(encoding="utf-8"))
          for year in (2024, 2023)}
    ember = json.loads((grid / "ember_average_intensities_by_country.json").read_text(encoding="utf-8"))
    country_of_zone = {zone: country for _, _, zone, country, _ in regions}
    rows = []
    for zone in sorted(set(em[2024]) | set(country_of_zone)):
        value, source = None, ""
        for year in (2024, 2023):
            found = em[year].get(zone, {}).get("carbonIntensity", {}).get("value")
            if isinstance(found, int | float) and found > 0:
                value, source = float(found), f"electricitymaps-{year}"
                break
        entry = ember.get(country_of_zone.get(zone, ""))
        if value is None and entry and entry["emissions_intensity_gco2_per_kwh"] > 0:
            value, source = float(entry["emissions_intensity_gco2_per_kwh"]), f"ember-{entry['year']}"
        if value is None:
            if zone in country_of_zone:
                raise ValueError(f"zone {zone} of a mapped region has no yearly intensity")
            continue
        rows.append([zone, _fmt(value, 2), source])
    return rows


def main(argv: list[str]) -> int:
    """Command line entry: derive SOURCE_DIR [OUT_DIR]; prints the row count of each table."""
    if not 1 <= len(argv) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[1]) if len(argv) == 2 else Path(__file__).parent
    for name, count in derive(Path(argv[0]), out).items():
        print(f"{name}: {count} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
