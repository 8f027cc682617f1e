"""Render the cycle's snapshot as Prometheus text exposition (format 0.0.4).

The per-pod families are rendered here rather than through prometheus_client collectors:
at 100k pods that is ~900k samples; the client's per-sample formatting measured 17x slower
than a prepared label string per pod and one join per family (docs/PERFORMANCE.md). The
output is checked by `promtool check metrics` and parsed back with prometheus_client's
parser in the tests. The exporter's own metrics (build info, cycle
duration, errors, ...) do go through prometheus_client.
"""

from collections.abc import Iterable, Iterator, Sequence
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


# Rows per piece of a family (~2.5 MB of text): a 100k-pod family is never whole in memory, as
# its lines, its joined text and its bytes (~25 MB each), while the handler streams it.
CHUNK_ROWS = 10_000


def render_rows(
    metric: MetricDef, rows: Sequence[object], value: str | None, labels: str = "labels",
) -> Iterator[bytes]:
    """Render one family straight from objects, in pieces of CHUNK_ROWS rows (HELP and TYPE
    in the first): attribute `labels` holds the prepared label string, attribute `value` the
    sample value (rows whose value is None are left out); with `value` None every sample is 1
    (info metrics). One pass, no intermediate pairs: this is the exporter's hot path at 100k pods.
    """
    prefix = metric.name + "{"
    head = _head(metric)
    for part in _parts(rows):
        if value is None:
            lines = [f"{prefix}{text}}} 1\n" for text in map(attrgetter(labels), part)]
        else:
            # One C-level attrgetter call per row (map) rather than Python-level calls in the loop.
            lines = [f"{prefix}{text}}} {v:.15g}\n"
                     for text, v in map(attrgetter(labels, value), part) if v is not None]
        yield _encoded(head, lines)
        head = ""


def render_info(metric: MetricDef, rows: Sequence[object], head: str, tail: str) -> Iterator[bytes]:
    """Render an info family (every sample 1) whose label string is split in two attributes,
    `head` then `tail` (see cycle.PodState), in pieces as `render_rows`."""
    prefix = metric.name + "{"
    first = _head(metric)
    for part in _parts(rows):
        yield _encoded(first, [f"{prefix}{a}{b}}} 1\n" for a, b in map(attrgetter(head, tail), part)])
        first = ""


def _parts(rows: Sequence[object]) -> Iterator[Sequence[object]]:
    """`rows` in slices of CHUNK_ROWS; one empty slice when there are none (the family's head)."""
    for start in range(0, max(len(rows), 1), CHUNK_ROWS):
        yield rows[start:start + CHUNK_ROWS]


def _encoded(head: str, lines: list[str]) -> bytes:
    """`head` and `lines` as one UTF-8 piece; the lines are dropped before encoding."""
    if head:
        lines.insert(0, head)
    text = "".join(lines)
    lines.clear()
    return text.encode()


def render(families: Iterable[Family]) -> bytes:
    """Render families into one exposition body (UTF-8)."""
    return b"".join([render_family(m, s) for m, s in families])
