"""Render the cycle's snapshot as Prometheus text exposition (format 0.0.4).

The per-pod families are rendered here rather than through prometheus_client collectors:
at 100k pods that is ~900k samples; the client's per-sample formatting measured 17x slower
than a prepared label string per pod and one join per family (docs/PERFORMANCE.md). The
output is checked by `promtool check metrics` and parsed back with prometheus_client's
parser in the tests. The exporter's own metrics (build info, cycle
duration, errors, ...) do go through prometheus_client.
"""

from collections.abc import Iterable, Sequence
from operator import attrgetter

from exporter.catalogue import MetricDef

Family = tuple[MetricDef, list[tuple[str, float]]]

# Values print with 15 significant digits (`:.15g`, literal in the f-strings below for speed):
# every double with up to 15 digits prints exactly, and a counter at 1e9 J still shows
# millijoules. It is twice as fast as repr's shortest round-trip search, which was half of
# the render time at 100k pods.


def escape(value: str) -> str:
    """Escape a label value: backslash, double quote and newline."""
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def label_string(names: Iterable[str], values: Iterable[str]) -> str:
    """Build `a="x",b="y"` with escaped values."""
    return ",".join(f'{n}="{escape(v)}"' for n, v in zip(names, values, strict=True))


def _head(metric: MetricDef) -> str:
    return f"# HELP {metric.name} {metric.help}\n# TYPE {metric.name} {metric.kind}\n"


def render_family(metric: MetricDef, samples: list[tuple[str, float]]) -> bytes:
    """Render one family from (label string, value) pairs; counters keep their `_total` name."""
    name = metric.name
    body = "".join([f"{name}{{{labels}}} {value:.15g}\n" if labels else f"{name} {value:.15g}\n"
                    for labels, value in samples])
    return (_head(metric) + body).encode()


def render_rows(metric: MetricDef, rows: Sequence[object], value: str | None, labels: str = "labels") -> bytes:
    """Render one family straight from objects: attribute `labels` holds the prepared label
    string, attribute `value` the sample value (rows whose value is None are left out); with
    `value` None every sample is 1 (info metrics). One pass, no intermediate pairs: this is
    the exporter's hot path at 100k pods.
    """
    prefix = metric.name + "{"
    if value is None:
        lines = [f"{prefix}{text}}} 1\n" for text in map(attrgetter(labels), rows)]
    else:
        # One C-level attrgetter call per row (map) rather than Python-level calls in the loop.
        lines = [f"{prefix}{text}}} {v:.15g}\n" for text, v in map(attrgetter(labels, value), rows) if v is not None]
    return _encoded(metric, lines)


def render_info(metric: MetricDef, rows: Sequence[object], head: str, tail: str) -> bytes:
    """Render an info family (every sample 1) whose label string is split in two attributes,
    `head` then `tail` (see cycle.PodState)."""
    prefix = metric.name + "{"
    return _encoded(metric, [f"{prefix}{a}{b}}} 1\n" for a, b in map(attrgetter(head, tail), rows)])


def _encoded(metric: MetricDef, lines: list[str]) -> bytes:
    """HELP, TYPE and `lines` as one UTF-8 body. The lines are dropped before encoding: at 100k
    pods a family is ~25 MB, and the lines, the joined text and the bytes are each that much."""
    lines.insert(0, _head(metric))
    text = "".join(lines)
    lines.clear()
    return text.encode()


def render(families: Iterable[Family]) -> bytes:
    """Render families into one exposition body (UTF-8)."""
    return b"".join([render_family(m, s) for m, s in families])
