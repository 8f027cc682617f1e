"""PromQL pieces the dashboards share, built on recorded names (rules/), never retyped.

Long ranges read recorded series only. A total over the dashboard's range (`range_total`) is
the history's hourly increases (`level:metric:sum_increase1h`, rules/history.yml) read at the
whole clock hours that end inside the range, corrected at both ends with the per-minute
`sum_rate5m` readings: plus the current clock hour so far, minus the part of the first hour
that falls before the range. Each correction reads at most one hour of minute readings, so a
1-year total reads 8,760 hourly readings per series instead of 525,600 minute readings
(docs/dashboards.md). Pod-level panels read the pod series, as the query API does.
"""

from exporter.catalogue import UNALLOCATED_OF, MetricDef
from queryapi.recorded import LEVELS, hourly_increase
from rules.rollups import rate_name

SECONDS_PER_HOUR = 3600
MINUTE_SECONDS = 60
JOULES_PER_KWH = 3_600_000
# The dashboard's range in Unix seconds (Grafana's `${__from:date:seconds}` and `${__to:date:seconds}`);
# an instant query is evaluated at the range's end.
RANGE_FROM = "${__from:date:seconds}"
RANGE_TO = "${__to:date:seconds}"


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


def _whole_hour(unix_seconds: str) -> str:
    """The whole clock hour at or before a time given in Unix seconds."""
    return f"({unix_seconds} - {unix_seconds} % {SECONDS_PER_HOUR})"


def _after(series: str, unix_seconds: str) -> str:
    """`series` only at evaluation times after `unix_seconds` (inside a subquery: per step)."""
    return f"({series} and on () (vector(time()) > {unix_seconds}))"


def _sum_of(series: list[str]) -> str:
    return series[0] if len(series) == 1 else f"({' + '.join(series)})"


def range_total(level: str, counters: tuple[MetricDef, ...], matchers: str = "") -> str:
    """Per `level` labels, the sum of `counters` over the dashboard's range (`$__range`, ending at
    the evaluation time), from recorded series only.

    Three parts, kept apart by a `part` label so a part with no data (a namespace gone before
    the range ended, no whole hour inside a short range) does not drop the others, then summed:
    the hourly increases read at the whole hours inside the range, the minute readings since
    the last whole hour, and minus the minute readings between the first hour's start and the
    range's start. Exact to the minute when the range ends now or in the past.
    """
    hourly = _sum_of([selector(hourly_increase(level, counter).name, matchers) for counter in counters])
    per_second = _sum_of([rate(level, counter, matchers) for counter in counters])
    hours = f"sum_over_time({_after(hourly, RANGE_FROM)}[$__range:1h])"
    since_hour = f"sum_over_time({_after(per_second, _whole_hour(RANGE_TO))}[1h:1m]) * {MINUTE_SECONDS}"
    before_range = (f"sum_over_time({_after(per_second, _whole_hour(RANGE_FROM))}[1h:1m] offset $__range) "
                    f"* {MINUTE_SECONDS}")
    parts = "\n  or ".join(f'label_replace({expr}, "part", "{name}", "", "")' for name, expr in (
        ("hours", hours), ("since last hour", since_hour), ("before range", f"-{before_range}")))
    by = f" by ({', '.join(LEVELS[level])})" if LEVELS[level] else ""
    return f"sum{by} (\n  {parts}\n)"


def per_hour(expr: str) -> str:
    """A per-second rate shown per hour."""
    return f"{expr} * {SECONDS_PER_HOUR}"
