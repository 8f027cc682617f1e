"""PromQL the query API runs. Pure: validated values in, query strings out.

Every label value goes through `escape_label_value`, so no request text can close a string
or add an operator. Metric names come from the catalogue only. Durations are whole seconds
(offsets that place a read on a millisecond: whole milliseconds).

Cluster totals add the node "unallocated" counters to the pod counters (catalogue
`UNALLOCATED_OF`): what no pod holds still used energy and cost money. Each half of a sum
ends in `or vector(0)` so that a missing half counts as 0 instead of emptying the result.

Families (docs/api.md says which endpoint runs which):
- snapshot over a window, run at `to`: `increase_by`, `node_increase`, `power_by`,
  `average_by`, `count_by`, `latest`;
- calendar buckets (history): `recorded_bucket_sum`, `recorded_days_sum` and
  `recorded_days_each` (whole days of a bucket, from the daily sums), `recorded_copies` (hourly
  buckets, from the hourly copies) and `recorded_hours` (their fallback; range queries),
  `recorded_bucket_readings` on the series of rules/history.yml, and `increase_by` /
  `average_by` on raw pod series;
- recommendations: plain selectors and `seen_timestamp`;
- recording rules themselves: `rule_sum_increase`, `rule_sparse_sum`, `rule_sum`.
"""

import re
import textwrap
from collections.abc import Mapping, Sequence

from exporter.catalogue import BUILD_INFO, NODE_PUE, NODE_UNALLOCATED_ENERGY, POD_ENERGY, UNALLOCATED_OF, MetricDef

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
HOUR_SECONDS = 3600
DAY_SECONDS = 86400
# Label of the day count `recorded_days_sum` answers with besides the sums.
DAYS_LABEL = "greenkube_days"
# Characters a PromQL double-quoted string cannot hold as they are (the lexer rejects a raw
# newline; quote and backslash would end or escape the string).
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_label_value(value: str) -> str:
    """Escape `value` for use between double quotes in a PromQL label matcher.

    Backslash, double quote, newline, carriage return and tab get their Go escapes; any other
    control character becomes `\\xHH`. Everything else (including non-ASCII) stays as it is.
    """
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return "".join(out)


def selector(metric: str, matchers: Mapping[str, str] | None = None) -> str:
    """A vector selector with exact-match (`=`) label matchers, values escaped, names checked."""
    if not matchers:
        return metric
    parts = []
    for name, value in matchers.items():
        if not _LABEL_NAME.match(name):
            raise ValueError(f"not a valid label name: {name!r}")
        parts.append(f'{name}="{escape_label_value(value)}"')
    return f"{metric}{{{', '.join(parts)}}}"


def exporter_series(job_regex: str) -> str:
    """Series selector of the exporter's own families, for /federate (build info left out: the
    API serves its own, and one family may appear once in an exposition)."""
    return (f'{{__name__=~"greenkube_.+",__name__!="{BUILD_INFO.name}",'
            f'job=~"{escape_label_value(job_regex)}"}}')


def format_duration(seconds: int) -> str:
    """A PromQL range duration in whole seconds, e.g. 3600 -> `3600s`."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1:
        raise ValueError(f"a range needs a whole number of seconds >= 1, got {seconds!r}")
    return f"{seconds}s"


def cluster_increase(counter: MetricDef, window_seconds: int) -> str:
    """Cluster total of a pod counter plus its node-unallocated twin over the window ending at
    the query time (unit of the counter: joules, grams or currency)."""
    unallocated = _unallocated_of(counter)
    window = format_duration(window_seconds)
    return _clean(f"""
        (sum(increase({counter.name}[{window}])) or vector(0))
        + (sum(increase({unallocated.name}[{window}])) or vector(0))
    """)


def cluster_power(rate_window_seconds: int) -> str:
    """Cluster power in watts at the query time: rate() of pod plus unallocated energy (J/s)."""
    window = format_duration(rate_window_seconds)
    return _clean(f"""
        (sum(rate({POD_ENERGY.name}[{window}])) or vector(0))
        + (sum(rate({NODE_UNALLOCATED_ENERGY.name}[{window}])) or vector(0))
    """)


def count_pods(window_seconds: int) -> str:
    """Number of distinct (namespace, pod) pairs with an energy series in the window."""
    window = format_duration(window_seconds)
    return _clean(f"""
        count(
          count by (namespace, pod) (last_over_time({POD_ENERGY.name}[{window}]))
        )
    """)


def count_namespaces(window_seconds: int) -> str:
    """Number of distinct namespaces with a pod energy series in the window."""
    window = format_duration(window_seconds)
    return _clean(f"""
        count(
          count by (namespace) (last_over_time({POD_ENERGY.name}[{window}]))
        )
    """)


def count_nodes(window_seconds: int) -> str:
    """Number of distinct nodes with pod or unallocated energy in the window (a node with no
    pods still counts through its unallocated energy)."""
    window = format_duration(window_seconds)
    return _clean(f"""
        count(
          count by (node) (
            last_over_time({POD_ENERGY.name}[{window}])
            or last_over_time({NODE_UNALLOCATED_ENERGY.name}[{window}])
          )
        )
    """)


def _unallocated_of(counter: MetricDef) -> MetricDef:
    if counter.name not in UNALLOCATED_OF:
        raise ValueError(f"{counter.name} is not a pod counter with an unallocated twin")
    return UNALLOCATED_OF[counter.name]


def _clean(query: str) -> str:
    """Drop the block's indentation and outer blank lines; label values hold no raw newline."""
    return textwrap.dedent(query).strip()


# --- Per-group figures over a window (snapshot lists), run at `to` ----------------------------


def increase_by(counter: MetricDef, by: Sequence[str], window_seconds: int,
                matchers: Mapping[str, str] | None = None) -> str:
    """Increase of a counter over the window ending at the query time, summed per `by` group
    (no `by`: one sum). Unit of the counter (joules, grams, currency)."""
    window = format_duration(window_seconds)
    return _sum_by(by, f"increase({selector(counter.name, matchers)}[{window}])")


def node_increase(counter: MetricDef, window_seconds: int, matchers: Mapping[str, str] | None = None) -> str:
    """Increase per node of a pod counter plus the node's unallocated twin: all the node used.

    The halves never share a label set (pod series carry `namespace` and `pod`), so `or` keeps
    both and `sum by (node)` adds them; a node without pods keeps its unallocated part.
    """
    return _pods_or_unallocated("increase", counter, window_seconds, matchers)


def node_power(rate_window_seconds: int, matchers: Mapping[str, str] | None = None) -> str:
    """Power in watts per node at the query time: rate() of pod plus unallocated energy (J/s)."""
    return _pods_or_unallocated("rate", POD_ENERGY, rate_window_seconds, matchers)


def power_by(by: Sequence[str], rate_window_seconds: int, matchers: Mapping[str, str] | None = None) -> str:
    """Power in watts of the pods at the query time, rate() of energy (J/s), per `by` group."""
    window = format_duration(rate_window_seconds)
    return _sum_by(by, f"rate({selector(POD_ENERGY.name, matchers)}[{window}])")


def average_by(gauge: MetricDef, by: Sequence[str], window_seconds: int,
               matchers: Mapping[str, str] | None = None) -> str:
    """Average of a gauge over the window (over the samples each series has), summed per group."""
    window = format_duration(window_seconds)
    return _sum_by(by, f"avg_over_time({selector(gauge.name, matchers)}[{window}])")


def count_by(outer: Sequence[str], inner: Sequence[str], window_seconds: int,
             matchers: Mapping[str, str] | None = None) -> str:
    """Number of distinct `inner` label combinations with pod energy data in the window, per
    `outer` group (pods per namespace: outer namespace, inner namespace and pod)."""
    window = format_duration(window_seconds)
    return _clean(f"""
        count by ({_labels(outer)}) (
          count by ({_labels(inner)}) (last_over_time({selector(POD_ENERGY.name, matchers)}[{window}]))
        )
    """)


def node_pue(window_seconds: int) -> str:
    """Each node's PUE, the last in the window (one value per node)."""
    return f"max by (node) (last_over_time({NODE_PUE.name}[{format_duration(window_seconds)}]))"


def latest(metric: MetricDef, window_seconds: int, matchers: Mapping[str, str] | None = None) -> str:
    """Last value in the window of every series of `metric` (facts, capacities, scores)."""
    return f"last_over_time({selector(metric.name, matchers)}[{format_duration(window_seconds)}])"


# --- Calendar buckets (history) ---------------------------------------------------------------


def recorded_bucket_sum(names: Sequence[str], by: Sequence[str], matchers: Mapping[str, str] | None,
                        bucket_seconds: int, offset_seconds: int) -> str:
    """Total of one bucket from hourly-increase recorded series; run at a whole UTC hour `t`.

    The subquery reads the recorded series at every whole hour in (t - bucket, t], each shifted
    back by `offset_seconds` so that the readings fall on the bucket's own hour grid (zones with
    a half-hour offset). Each reading is the increase of the hour before it, so their sum is the
    bucket's increase. One name (namespace level) is summed per series, then per group: the
    engine adds nothing at each hour. Several names (pods plus unallocated) are summed per group
    at each hour first, since summed per series they would lose the name that keeps them apart.
    """
    if bucket_seconds < HOUR_SECONDS or bucket_seconds % HOUR_SECONDS:
        raise ValueError(f"a bucket is a whole number of hours, got {bucket_seconds!r} s")
    if not 0 <= offset_seconds < HOUR_SECONDS:
        raise ValueError(f"the offset is under an hour, got {offset_seconds!r} s")
    shift = f" offset {format_duration(offset_seconds)}" if offset_seconds else ""
    steps = f"[{format_duration(bucket_seconds - 1)}:1h]"
    if len(names) == 1:
        return _sum_by(by, f"sum_over_time(({names_selector(names, matchers)}{shift}){steps})")
    inner = _sum_by(by, names_selector(names, matchers) + shift)
    return _clean(f"""
        sum_over_time((
          {inner}
        ){steps})
    """)


def recorded_days_sum(name: str, by: Sequence[str], matchers: Mapping[str, str] | None, days: int,
                      offset_ms: int) -> str:
    """Sum over `days` days of the daily-sum recorded series `name`, with the count of the days
    whose sample is there. Run at a UTC midnight `t`: the subquery steps on t, t - 1 d, ... (its
    range is a second short of `days` days, so the steps are the same whether the engine's
    ranges are closed at their start, as in Prometheus 2, or open, as in 3), and each step takes
    the latest sample in the hour up to `offset_ms` before it. The answer is the per-group sum
    (series labelled `by`), and one series labelled DAYS_LABEL="present" whose value is how
    many of the steps found a sample of `name`, whatever the group (none: no day was found).
    """
    if days < 1:
        raise ValueError(f"at least one day is read, got {days!r}")
    steps = f"[{format_duration(days * DAY_SECONDS - 1)}:1d]"
    values = _sum_by(by, f"sum_over_time({_latest_in_hour(name, matchers, offset_ms)}{steps})")
    present = f"count_over_time(count({_latest_in_hour(name, None, offset_ms)}){steps})"
    return f"{values} or {_days_label(present)}"


def recorded_days_each(name: str, by: Sequence[str], matchers: Mapping[str, str] | None, offset_ms: int) -> str:
    """The daily-sum recorded series `name` per group, each the latest sample in the hour up to
    `offset_ms` before the query time, and a series labelled DAYS_LABEL="present" where any
    group has one: a range query stepping a day gives each day found and its values."""
    values = _sum_by(by, _latest_in_hour(name, matchers, offset_ms))
    return f"{values} or {_days_label(f'count({_latest_in_hour(name, None, offset_ms)})')}"


def recorded_copies(name: str, matchers: Mapping[str, str] | None, offset_ms: int) -> str:
    """The sparse-copy recorded series `name`, each series' latest sample in the hour up to
    `offset_ms` before the query time (a range query stepping an hour reads each hour's copy)."""
    return _latest_in_hour(name, matchers, offset_ms)


def _latest_in_hour(name: str, matchers: Mapping[str, str] | None, offset_ms: int) -> str:
    return f"last_over_time({names_selector([name], matchers)}[{format_duration(HOUR_SECONDS)}]{_offset_ms(offset_ms)})"


def _days_label(expr: str) -> str:
    return f'label_replace({expr}, "{DAYS_LABEL}", "present", "", "")'


def recorded_hours(names: Sequence[str], matchers: Mapping[str, str] | None) -> str:
    """The hourly-increase recorded series themselves, each name kept: a range query stepping
    through whole hours reads each hour's increase (the reader adds them per bucket and group)."""
    return names_selector(names, matchers)


def sample_time(name: str) -> str:
    """Unix time (s) of the latest sample of the recorded series `name` at the query time: it
    tells the phase of the rule group within its interval."""
    return f"max(timestamp({names_selector([name])}))"


def recorded_bucket_readings(name: str, by: Sequence[str], matchers: Mapping[str, str] | None,
                             bucket_seconds: int) -> str:
    """Sum over one bucket of a recorded per-minute gauge sum, run at the bucket's end: divided
    by the bucket's minutes, the time-weighted average. The range leaves out its first second,
    the reading that closes the previous bucket."""
    window = format_duration(max(1, bucket_seconds - 1))
    return _sum_by(by, f"sum_over_time({names_selector([name], matchers)}[{window}])")


# --- Recommendations --------------------------------------------------------------------------


def seen_timestamp(metric: MetricDef, window_seconds: int, step_seconds: int, first: bool,
                   matchers: Mapping[str, str] | None = None) -> str:
    """Unix time (s) of the first or last sample of each series in the window, looked up every
    `step_seconds`: a first sighting is at most one step late, a last one is exact."""
    function = "min_over_time" if first else "max_over_time"
    window, step = format_duration(window_seconds), format_duration(step_seconds)
    return f"{function}(timestamp({selector(metric.name, matchers)})[{window}:{step}])"


# --- Recording rules (rules/history.yml) ------------------------------------------------------


def rule_sum_increase(counter: MetricDef, by: Sequence[str], range_seconds: int) -> str:
    """Expression of a recording rule: the counter's increase over the range, summed per group."""
    return increase_by(counter, by, range_seconds)


def rule_sparse_sum(hourly: str, by: Sequence[str], range_seconds: int, offset_seconds: int) -> str:
    """Expression of a recording rule: the recorded hourly increase `hourly` read at each whole
    hour of the range `offset_seconds` earlier, summed per group. The range is a millisecond
    short (timestamps are whole milliseconds), so it holds as many whole hours as it has hours
    wherever in the hour the group evaluates, on a whole hour included (a range closed at its
    start, Prometheus 2, would take one more) and in its last second (a range a whole second
    short would take one fewer)."""
    steps = f"[{range_seconds * 1000 - 1}ms:1h]"
    shifted = f"{names_selector([hourly])} offset {format_duration(offset_seconds)}"
    return _sum_by(by, f"sum_over_time(({shifted}){steps})")


def rule_sum(gauge: MetricDef, by: Sequence[str]) -> str:
    """Expression of a recording rule: the gauge summed per group at evaluation time."""
    return _sum_by(by, gauge.name)


# --- Helpers ----------------------------------------------------------------------------------


def names_selector(names: Sequence[str], matchers: Mapping[str, str] | None = None) -> str:
    """A selector of one metric name, or of several through a `__name__` alternation (which
    Prometheus anchors, so it matches those exact names only)."""
    if not names:
        raise ValueError("at least one metric name is needed")
    for name in names:
        if not _METRIC_NAME.match(name):
            raise ValueError(f"not a valid metric name: {name!r}")
    if len(names) == 1:
        return selector(names[0], matchers)
    # Checked names hold only [a-zA-Z0-9_:]: nothing to escape, no regex metacharacter.
    alternation = f'__name__=~"{"|".join(names)}"'
    rest = selector("", matchers)[1:-1] if matchers else ""
    return f"{{{alternation}, {rest}}}" if rest else f"{{{alternation}}}"


def _offset_ms(milliseconds: int) -> str:
    if isinstance(milliseconds, bool) or not isinstance(milliseconds, int) or milliseconds < 0:
        raise ValueError(f"an offset is a whole number of milliseconds >= 0, got {milliseconds!r}")
    return f" offset {milliseconds}ms" if milliseconds else ""


def _pods_or_unallocated(function: str, counter: MetricDef, window_seconds: int,
                         matchers: Mapping[str, str] | None) -> str:
    window = format_duration(window_seconds)
    unallocated = _unallocated_of(counter)
    return _clean(f"""
        sum by (node) (
          {function}({selector(counter.name, matchers)}[{window}])
          or {function}({selector(unallocated.name, matchers)}[{window}])
        )
    """)


def _sum_by(by: Sequence[str], expr: str) -> str:
    return f"sum by ({_labels(by)}) ({expr})" if by else f"sum({expr})"


def _labels(names: Sequence[str]) -> str:
    for name in names:
        if not _LABEL_NAME.match(name):
            raise ValueError(f"not a valid label name: {name!r}")
    return ", ".join(names)
