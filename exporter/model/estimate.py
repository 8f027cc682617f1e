"""Join the energy, carbon and cost terms into per-pod rates for one node. Pure."""

from exporter.model.carbon import embodied_grams_per_second, operational_grams
from exporter.model.cost import allocated_cost_per_second
from exporter.model.energy import dynamic_cpu_watts, idle_shares, memory_watts, shares
from exporter.model.inputs import NodeCoefficients, NodeRates, PodRates, PodUsage


def estimate_node(node: NodeCoefficients, pods: list[PodUsage], idle_attribution: str) -> NodeRates:
    """Estimate per-second rates for every pod of one node and for its unallocated part.

    Input: node coefficients (watts per vCPU, PUE, g/kWh, kg embodied, prices per hour) and
    pod usage (cores, bytes). Output per pod: watts before PUE, g CO2e/s operational and
    embodied, currency/s. CPU above the node's vCPU is scaled down so no pod is charged for
    CPU the node does not have; no share is negative or NaN.
    """
    cores = [_finite(p.cpu_cores) for p in pods]
    memory = [max(p.memory_request_bytes or 0.0, _finite(p.memory_bytes)) for p in pods]  # bytes held
    held_cores = [max(p.cpu_request_cores or 0.0, c) for p, c in zip(pods, cores, strict=True)]
    used = sum(cores)
    scale = node.vcpu / used if used > node.vcpu > 0 else 1.0
    idle = idle_shares(idle_attribution, node.vcpu, cores, [p.cpu_request_cores for p in pods])
    held = shares(held_cores, node.vcpu)

    # Every term is linear in its input, so the per-node factors are the model functions at one
    # unit; the per-pod work is then plain multiplication in list comprehensions (it runs for
    # 100k pods per cycle in large clusters).
    min_w, max_w = node.min_watts_per_vcpu, node.max_watts_per_vcpu
    watts_per_core = dynamic_cpu_watts(1.0, min_w, max_w) * scale
    watts_per_byte = memory_watts(1.0)
    idle_watts = node.vcpu * min_w
    grams_per_joule = operational_grams(1.0, node.pue, node.intensity_g_per_kwh)
    embodied_rate = embodied_grams_per_second(node.embodied_kg)
    price_per_core = allocated_cost_per_second(1.0, 0.0, node.cpu_price_per_vcpu_hour, node.ram_price_per_gib_hour)
    price_per_byte = allocated_cost_per_second(0.0, 1.0, node.cpu_price_per_vcpu_hour, node.ram_price_per_gib_hour)

    watts = [c * watts_per_core + idle_watts * i + m * watts_per_byte + p.accelerator_watts + p.storage_watts
             for p, c, m, i in zip(pods, cores, memory, idle, strict=True)]
    cost = [c * price_per_core + m * price_per_byte for c, m in zip(held_cores, memory, strict=True)]
    rates = NodeRates(
        watts=watts,
        co2e_grams_per_second=[w * grams_per_joule for w in watts],
        embodied_grams_per_second=[embodied_rate * h for h in held],
        cost_per_second=cost,
        unallocated=PodRates(0.0, 0.0, 0.0, 0.0),
    )

    free_watts = idle_watts * max(0.0, 1.0 - sum(idle))
    node_cost = allocated_cost_per_second(
        node.vcpu, node.memory_bytes, node.cpu_price_per_vcpu_hour, node.ram_price_per_gib_hour
    )
    rates.unallocated = PodRates(
        free_watts,
        free_watts * grams_per_joule,
        embodied_rate * max(0.0, 1.0 - sum(held)),
        max(0.0, node_cost - sum(cost)),
    )
    return rates


def _finite(value: float) -> float:
    """Return `value` when it is a finite non-negative number, else 0."""
    return value if 0.0 <= value < float("inf") else 0.0
