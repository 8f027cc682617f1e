"""PromQL pieces the dashboards share, built on recorded names (rules/), never retyped.

Long ranges read recorded series only: a total over the dashboard's range is the sum of the
per-second `sum_rate5m` readings, one per rule evaluation, times the evaluation interval in
seconds (a Riemann sum that needs no alignment and counts a new namespace from its first
minute). Pod-level panels read the pod series, as the query API does.
"""

import re

from exporter.catalogue import UNALLOCATED_OF, MetricDef
from rules.options import DEFAULT_OPTIONS
from rules.rollups import rate_name

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(duration: str) -> int:
    """Seconds of a simple Prometheus duration such as `1m` or `30s`."""
    match = re.fullmatch(r"(\d+)([smhd])", duration)
    if match is None:
        raise ValueError(f"not a simple duration: {duration!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


EVALUATION_SECONDS = seconds(DEFAULT_OPTIONS.interval)
SECONDS_PER_HOUR = 3600
JOULES_PER_KWH = 3_600_000


def selector(name: str, matchers: str = "") -> str:
    """`name{matchers}`; `matchers` is written by the dashboard (variables), never by a user."""
    return f"{name}{{{matchers}}}" if matchers else name


def rate(level: str, counter: MetricDef, matchers: str = "") -> str:
    """The recorded per-second rate of a counter at `level` (W for joules)."""
    return selector(rate_name(level, counter), matchers)


def total_rate(level: str, counter: MetricDef, matchers: str = "") -> str:
    """Pods plus the nodes' unallocated remainder, at node or cluster level (per second)."""
    unallocated = UNALLOCATED_OF[counter.name]
    return f"({rate(level, counter, matchers)} + {rate(level, unallocated, matchers)})"


def over_range(series: str) -> str:
    """The total over the dashboard's range of a recorded per-second rate (`$__range`)."""
    return f"sum_over_time({series}[$__range]) * {EVALUATION_SECONDS}"


def per_hour(expr: str) -> str:
    """A per-second rate shown per hour."""
    return f"{expr} * {SECONDS_PER_HOUR}"
