"""Choose each node's coefficients from overrides, tables and defaults, naming the source."""

from exporter import tables
from exporter.config import ExporterSettings
from exporter.model.inputs import NodeCoefficients
from exporter.sources.intensity import IntensitySource
from exporter.sources.kubernetes import NodeFacts

ONPREM = "onprem"


def resolve_node(
    node: NodeFacts,
    settings: ExporterSettings,
    intensity: IntensitySource,
    opencost_prices: tuple[float, float] | None,
) -> tuple[NodeCoefficients, dict[str, str]]:
    """Return the node's coefficients and its info labels (provider, grid zone, sources)."""
    provider = tables.provider_of(node.provider_id, node.labels)
    override = settings.node_overrides.get(node.name)

    power = tables.power_coefficients(provider, node.instance_type)
    if power is not None:
        min_w, max_w, power_source = power.min_watts_per_vcpu, power.max_watts_per_vcpu, power.source
    else:
        min_w, max_w, power_source = settings.onprem_min_watts_per_vcpu, settings.onprem_max_watts_per_vcpu, "default"
    # An override gives both or neither (NodeOverride checks it): never half a pair with a table's half.
    if override and override.min_watts_per_vcpu is not None and override.max_watts_per_vcpu is not None:
        min_w, max_w, power_source = override.min_watts_per_vcpu, override.max_watts_per_vcpu, "configured"

    pue = (override.pue if override else None) or tables.pue(provider, node.region) or settings.onprem_pue

    embodied = tables.embodied_kg(provider, node.instance_type, node.vcpu)
    embodied_kg, embodied_source = embodied if embodied is not None else (settings.onprem_embodied_kg, "default")
    if override and override.embodied_kg is not None:
        embodied_kg, embodied_source = override.embodied_kg, "configured"

    zone = grid_zone_of(node, settings)
    g_per_kwh, intensity_source = intensity.intensity(zone)

    cpu_price, ram_price, price_source = _prices(provider, settings, opencost_prices)
    coefficients = NodeCoefficients(
        vcpu=node.vcpu,
        memory_bytes=node.memory_bytes,
        min_watts_per_vcpu=min_w,
        max_watts_per_vcpu=max_w,
        power_source=power_source,
        pue=pue,
        intensity_g_per_kwh=g_per_kwh,
        intensity_source=intensity_source,
        grid_zone=zone,
        embodied_kg=embodied_kg,
        embodied_source=embodied_source,
        cpu_price_per_vcpu_hour=cpu_price,
        ram_price_per_gib_hour=ram_price,
        price_source=price_source,
    )
    info = {
        "node": node.name, "provider": provider, "instance_type": node.instance_type, "region": node.region,
        "zone": node.zone, "grid_zone": zone, "arch": node.arch, "power_source": power_source,
        "intensity_source": intensity_source, "embodied_source": embodied_source, "price_source": price_source,
    }
    return coefficients, info


def grid_zone_of(node: NodeFacts, settings: ExporterSettings) -> str:
    """The node's grid zone: per-node override, else region table, else the on-prem zone; "" if none."""
    override = settings.node_overrides.get(node.name)
    if override and override.grid_zone:
        return override.grid_zone
    provider = tables.provider_of(node.provider_id, node.labels)
    if provider == ONPREM:
        return settings.onprem_grid_zone or ""
    return tables.grid_zone(provider, node.region) or ""


def _prices(
    provider: str, settings: ExporterSettings, opencost: tuple[float, float] | None
) -> tuple[float, float, str]:
    """Prices per vCPU-hour and GiB-hour, each from: the configured price, else the node's
    OpenCost series, else the provider table. An explicit setting wins over what is discovered;
    the source names the first that gave either price."""
    discovered, source = opencost, "opencost"
    if discovered is None:
        discovered, source = tables.default_prices(provider), ("table" if provider != ONPREM else "default")
    cpu = settings.cpu_price_per_vcpu_hour
    ram = settings.ram_price_per_gib_hour
    if cpu is not None or ram is not None:
        source = "configured"
    return (cpu if cpu is not None else discovered[0]), (ram if ram is not None else discovered[1]), source
