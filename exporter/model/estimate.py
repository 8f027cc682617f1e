"""Join the energy, carbon and cost terms into per-pod rates for one node. Pure."""

from exporter.model.carbon import embodied_grams_per_second, operational_grams
from exporter.model.cost import allocated_cost_per_second
from exporter.model.energy import dynamic_cpu_watts, idle_shares, memory_watts, shares
from exporter.model.inputs import NodeCoefficients, NodeRates, PodInputs, PodRates


def estimate_node(node: NodeCoefficients, pods: list[PodInputs], idle_attribution: str) -> NodeRates:
    """Estimate per-second rates for every pod of one node and for its unallocated part.

    Input: node coefficients (watts per vCPU, PUE, g/kWh, kg embodied, prices per hour) and
    pod usage (cores, bytes). Output per pod: watts before PUE, g CO2e/s operational and
    embodied, currency/s. CPU above the node's vCPU is scaled down so no pod is charged for
    CPU the node does not have; no share is negative or NaN.
    """
    cores = [_finite(p.cpu_cores) for p in pods]
    used = sum(cores)
    scale = node.vcpu / used if used > node.vcpu > 0 else 1.0
    idle = idle_shares(idle_attribution, node.vcpu, cores, [p.cpu_request_cores for p in pods])
    held = shares([max(p.cpu_request_cores or 0.0, c) for p, c in zip(pods, cores, strict=True)], node.vcpu)

    idle_watts = node.vcpu * node.min_watts_per_vcpu
    embodied_rate = embodied_grams_per_second(node.embodied_kg)
    grams_per_joule = operational_grams(1.0, node.pue, node.intensity_g_per_kwh)

    rates = []
    for pod, pod_cores, idle_share, held_share in zip(pods, cores, idle, held, strict=True):
        watts = (
            dynamic_cpu_watts(pod_cores * scale, node.min_watts_per_vcpu, node.max_watts_per_vcpu)
            + idle_watts * idle_share
            + memory_watts(max(pod.memory_request_bytes or 0.0, _finite(pod.memory_bytes)))
            + pod.accelerator_watts
            + pod.storage_watts
        )
        cost = allocated_cost_per_second(
            max(pod.cpu_request_cores or 0.0, pod_cores),
            max(pod.memory_request_bytes or 0.0, _finite(pod.memory_bytes)),
            node.cpu_price_per_vcpu_hour,
            node.ram_price_per_gib_hour,
        )
        rates.append(PodRates(watts, watts * grams_per_joule, embodied_rate * held_share, cost))

    free_watts = idle_watts * max(0.0, 1.0 - sum(idle))
    node_cost = allocated_cost_per_second(
        node.vcpu, node.memory_bytes, node.cpu_price_per_vcpu_hour, node.ram_price_per_gib_hour
    )
    unallocated = PodRates(
        free_watts,
        free_watts * grams_per_joule,
        embodied_rate * max(0.0, 1.0 - sum(held)),
        max(0.0, node_cost - sum(r.cost_per_second for r in rates)),
    )
    return NodeRates(rates, unallocated)


def _finite(value: float) -> float:
    """Return `value` when it is a finite non-negative number, else 0."""
    return value if 0.0 <= value < float("inf") else 0.0
