"""Power of nodes and pods in watts (Cloud Carbon Footprint method). Pure functions.

Sources: Cloud Carbon Footprint methodology (cloudcarbonfootprint.org/docs/methodology),
coefficients in exporter/data/ (see its README).
"""

# CCF MEMORY_COEFFICIENT: 0.000392 kWh per GB-hour = 0.392 W per GB (GB = 1e9 bytes).
MEMORY_WATTS_PER_GB = 0.392
# CCF SSDCOEFFICIENT / HDDCOEFFICIENT: watt-hours per terabyte-hour = watts per TB (1e12 bytes).
STORAGE_WATTS_PER_TB = {"ssd": 1.2, "hdd": 0.65}

IDLE_ATTRIBUTIONS = ("request", "usage", "even", "none")


def node_power_watts(vcpu: float, min_watts: float, max_watts: float, utilisation: float) -> float:
    """Compute power of a node in watts: vCPU x (Wmin + u x (Wmax - Wmin)), u in [0, 1].

    Wmax below Wmin (the settings refuse it) counts as Wmax = Wmin: power never falls with load.
    """
    u = min(max(utilisation, 0.0), 1.0)
    return vcpu * (min_watts + u * max(max_watts - min_watts, 0.0))


def dynamic_cpu_watts(cores: float, min_watts: float, max_watts: float) -> float:
    """Compute the power in watts that `cores` of busy CPU add above idle; never negative."""
    return max(cores, 0.0) * max(max_watts - min_watts, 0.0)


def memory_watts(memory_bytes: float) -> float:
    """Compute memory power in watts for `memory_bytes` at 0.392 W/GB."""
    return max(memory_bytes, 0.0) / 1e9 * MEMORY_WATTS_PER_GB


def gpu_power_watts(count: int, idle_watts: float, max_watts: float, utilisation: float = 0.5) -> float:
    """Compute GPU power in watts: count x (idle + u x (max - idle)); u defaults to 50% (CCF)."""
    u = min(max(utilisation, 0.0), 1.0)
    return count * (idle_watts + u * (max_watts - idle_watts))


def storage_power_watts(size_bytes: float, kind: str = "ssd") -> float:
    """Compute storage power in watts for a volume of `size_bytes` (ssd 1.2 W/TB, hdd 0.65 W/TB)."""
    return max(size_bytes, 0.0) / 1e12 * STORAGE_WATTS_PER_TB[kind]


def shares(weights: list[float], capacity: float) -> list[float]:
    """Split one node among pods by `weights` out of `capacity`; result sums to at most 1.

    A weight above its fair part of a full node is scaled down so the shares never pass 1;
    what the weights leave free stays with the node. Negative or NaN weights count as 0.
    """
    clean = [w if w > 0.0 else 0.0 for w in weights]  # NaN > 0 is False
    total = sum(clean)
    denominator = max(total, capacity)
    if denominator <= 0.0:
        return [0.0] * len(clean)
    return [w / denominator for w in clean]


def idle_shares(
    mode: str, vcpu: float, cpu_cores: list[float], cpu_requests: list[float | None]
) -> list[float]:
    """Compute each pod's share (0..1) of the node's idle power.

    `request`: by CPU request out of node vCPU (falls back to `usage` when any request is
    unknown); `usage`: by CPU used out of all CPU used; `even`: equal parts; `none`: all
    idle stays on the node.
    """
    count = len(cpu_cores)
    if mode == "none" or count == 0:
        return [0.0] * count
    if mode == "even":
        return [1.0 / count] * count
    if mode == "request" and all(r is not None for r in cpu_requests):
        return shares([r for r in cpu_requests], vcpu)  # type: ignore[misc]
    return shares(cpu_cores, 0.0)
