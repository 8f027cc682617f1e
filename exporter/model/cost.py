"""Cost under the OpenCost allocation model. Pure functions.

Source: OpenCost specification (opencost.io/docs/specification): a workload is charged
max(request, usage) of each resource times its hourly price.
"""

GIB = 1024.0**3


def allocated_cost_per_second(
    cpu_cores: float, memory_bytes: float, cpu_price_per_vcpu_hour: float, ram_price_per_gib_hour: float
) -> float:
    """Compute cost per second of holding `cpu_cores` and `memory_bytes` at hourly prices."""
    hourly = max(cpu_cores, 0.0) * cpu_price_per_vcpu_hour + max(memory_bytes, 0.0) / GIB * ram_price_per_gib_hour
    return hourly / 3600.0
