"""Render the cycle's snapshot as Prometheus text exposition (format 0.0.4).

The per-pod families are rendered here rather than through prometheus_client collectors:
at 100k pods that is ~900k samples, and the client's per-sample formatting takes several
seconds where a prepared label string per pod and one join take well under one (see
docs/PERFORMANCE.md). The output is checked by `promtool check metrics` and parsed back with
prometheus_client's parser in the tests. The exporter's own metrics (build info, cycle
duration, errors, ...) do go through prometheus_client.
"""

from collections.abc import Iterable

from exporter.catalogue import MetricDef

Family = tuple[MetricDef, list[tuple[str, float]]]


def escape(value: str) -> str:
    """Escape a label value: backslash, double quote and newline."""
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def label_string(names: Iterable[str], values: Iterable[str]) -> str:
    """Build `a="x",b="y"` with escaped values."""
    return ",".join(f'{n}="{escape(v)}"' for n, v in zip(names, values, strict=True))


def render_family(metric: MetricDef, samples: list[tuple[str, float]]) -> str:
    """Render one family; counters keep their `_total` name as the catalogue gives it."""
    head = f"# HELP {metric.name} {metric.help}\n# TYPE {metric.name} {metric.kind}\n"
    name = metric.name
    body = "".join([f"{name}{{{labels}}} {value!r}\n" if labels else f"{name} {value!r}\n"
                    for labels, value in samples])
    return head + body


def render(families: Iterable[Family]) -> bytes:
    """Render families into one exposition body (UTF-8)."""
    return "".join([render_family(m, s) for m, s in families]).encode()
