"""Plain value types the estimation model reads. Pure: no I/O, no settings."""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class NodeCoefficients:
    """Everything the model needs to know about one node, each value with its source.

    Watts are per vCPU, PUE is a ratio >= 1, intensity is g CO2e per kWh, embodied is the
    node's total embodied kg CO2e, prices are per vCPU-hour and per GiB-hour.
    """

    vcpu: float
    memory_bytes: float
    min_watts_per_vcpu: float
    max_watts_per_vcpu: float
    power_source: str
    pue: float
    intensity_g_per_kwh: float
    intensity_source: str
    grid_zone: str
    embodied_kg: float
    embodied_source: str
    cpu_price_per_vcpu_hour: float
    ram_price_per_gib_hour: float
    price_source: str


class PodUsage(Protocol):
    """What the model reads of a pod (PodInputs, or any object with these attributes)."""

    cpu_cores: float
    memory_bytes: float
    cpu_request_cores: float | None
    memory_request_bytes: float | None
    accelerator_watts: float
    storage_watts: float


@dataclass(slots=True)
class PodInputs:
    """Measured usage and requests of one pod. Requests are None when unknown."""

    cpu_cores: float
    memory_bytes: float
    cpu_request_cores: float | None = None
    memory_request_bytes: float | None = None
    # Extra power drawn by the pod's GPUs and volumes in watts, from gpu_power_watts() and
    # storage_power_watts(); 0 until a source feeds them.
    accelerator_watts: float = 0.0
    storage_watts: float = 0.0


@dataclass(slots=True)
class PodRates:
    """Per-second rates for one pod: watts (IT power, before PUE), g/s, currency/s."""

    watts: float
    co2e_grams_per_second: float
    embodied_grams_per_second: float
    cost_per_second: float


@dataclass(slots=True)
class NodeRates:
    """Per-pod rates of one node as parallel lists in input order, plus what no pod is attributed.

    Lists rather than one object per pod: at 100k pods per cycle that is measurably cheaper.
    """

    watts: list[float]
    co2e_grams_per_second: list[float]
    embodied_grams_per_second: list[float]
    cost_per_second: list[float]
    unallocated: PodRates

    def pod(self, index: int) -> PodRates:
        """The rates of the pod at `index` of the input."""
        return PodRates(self.watts[index], self.co2e_grams_per_second[index],
                        self.embodied_grams_per_second[index], self.cost_per_second[index])
