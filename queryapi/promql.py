"""PromQL the query API runs. Pure: validated values in, query strings out.

Every label value goes through `escape_label_value`, so no request text can close a string
or add an operator. Metric names come from the catalogue only. Durations are whole seconds.

Cluster totals add the node "unallocated" counters to the pod counters (catalogue
`UNALLOCATED_OF`): what no pod holds still used energy and cost money. Each half of a sum
ends in `or vector(0)` so that a missing half counts as 0 instead of emptying the result.
"""

import re
import textwrap
from collections.abc import Mapping

from exporter.catalogue import NODE_UNALLOCATED_ENERGY, POD_ENERGY, UNALLOCATED_OF, MetricDef

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
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
