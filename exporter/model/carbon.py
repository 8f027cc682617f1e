"""Operational and embodied carbon. Pure functions.

Sources: CCF methodology (operational = energy x PUE x grid intensity; embodied amortised over
a 4-year lifespan, 35,040 hours, CCF/Teads embodied coefficients).
"""

JOULES_PER_KWH = 3.6e6
LIFESPAN_HOURS = 35_040.0  # CCF: 4 years of 8,760 hours


def operational_grams(joules: float, pue: float, intensity_g_per_kwh: float) -> float:
    """Compute operational emissions in g CO2e of `joules` of IT energy: kWh x PUE x g/kWh."""
    return joules / JOULES_PER_KWH * pue * intensity_g_per_kwh


def embodied_grams_per_second(embodied_kg: float) -> float:
    """Compute the rate in g CO2e per second at which a machine's embodied kg are amortised."""
    return embodied_kg * 1000.0 / (LIFESPAN_HOURS * 3600.0)
