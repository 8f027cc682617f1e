"""The recorded series history reads, and the recording rules that make them. Pure.

rules/history.yml is `render_rules()` written out (`python -m queryapi.recorded > rules/history.yml`;
a test checks the file matches), so a recorded name is spelled once, here, from catalogue names.

Counters are recorded as `level:metric:sum_increase1h`: the increase over the last hour, summed
per level, evaluated every minute. History reads them at whole hours only, so any calendar
bucket (a whole number of hours) is the sum of the readings at the hours that end inside it.
Gauges are recorded as `level:metric:sum` every minute; a bucket is their average. Levels:
namespace (pod series by namespace), node (by node) and cluster (one series). Node and
cluster levels also record the nodes' unallocated counters, which have no namespace.

Each hourly increase also has sparse copies, in a second group evaluated every hour: at an
evaluation in the hour after a whole hour H, `level:metric:sum_increase1h_sum1h_before` is
the hourly increase read at H - 1 h as history reads it, at the minute group's evaluation
just before the hour (`..._after`: just after it), and `..._sum1d_before` / `..._sum1d_after`
the sum of those readings at the 24 whole hours ending at H - 1 h. History reads these, one
sample an hour or a day, instead of every minute of the hourly series (history.py, sparse.py).
They lag an hour so that every reading was written well before the evaluation, whatever the
two groups' phases.
"""

from dataclasses import dataclass

import yaml

from exporter.catalogue import (
    NODE_COUNTERS,
    POD_COUNTERS,
    POD_CPU_USAGE,
    POD_MEMORY_USAGE,
    UNALLOCATED_OF,
    MetricDef,
)
from queryapi import promql

GROUP_NAME = "greenkube.rules"
# One evaluation a minute, at a phase within the minute fixed by Prometheus (a hash of the
# group's name and file): history reads the two evaluations around each whole hour and
# interpolates between them (history.py), so this interval is what it assumes. Every rule is
# in one group, so all recorded series share one phase.
EVALUATION_INTERVAL = "1m"
EVALUATION_SECONDS = 60
INCREASE_RANGE_SECONDS = 3600
SPARSE_GROUP_NAME = "greenkube.sparse.rules"
SPARSE_INTERVAL = "1h"
# Sparse copies of each hourly increase -> (hours summed, how long before each step of the 1 h
# subquery the hourly increase is read): an hour, so the step at H reads the evaluation at or
# just before H - 1 h (before), or an hour less one evaluation interval, the evaluation just
# after H - 1 h (after). One hour: that hour's reading itself; one day: the day's 24.
SPARSE_SUMS: dict[str, tuple[int, int]] = {
    "sum_increase1h_sum1h_before": (3600, 3600),
    "sum_increase1h_sum1h_after": (3600, 3600 - EVALUATION_SECONDS),
    "sum_increase1h_sum1d_before": (86400, 3600),
    "sum_increase1h_sum1d_after": (86400, 3600 - EVALUATION_SECONDS),
}
LEVELS: dict[str, tuple[str, ...]] = {"namespace": ("namespace",), "node": ("node",), "cluster": ()}
USAGE_GAUGES = (POD_CPU_USAGE, POD_MEMORY_USAGE)


@dataclass(frozen=True)
class Recorded:
    """One recorded series: `level` (namespace|node|cluster), the catalogue metric it rolls up,
    and the operation (`sum_increase1h` for counters, `sum` for gauges)."""

    level: str
    source: MetricDef
    operation: str

    @property
    def name(self) -> str:
        """`level:metric:operation`."""
        # `_total` comes off once an increase is taken (prometheus/docs naming practice).
        return f"{self.level}:{self.source.name.removesuffix('_total')}:{self.operation}"

    @property
    def labels(self) -> tuple[str, ...]:
        """Labels the series keeps: its level's (none for the cluster)."""
        return LEVELS[self.level]

    @property
    def expr(self) -> str:
        """The rule's PromQL (built in queryapi/promql.py)."""
        if self.operation == "sum_increase1h":
            return promql.rule_sum_increase(self.source, self.labels, INCREASE_RANGE_SECONDS)
        if self.operation in SPARSE_SUMS:
            hourly = Recorded(self.level, self.source, "sum_increase1h").name
            return promql.rule_sparse_sum(hourly, self.labels, *SPARSE_SUMS[self.operation])
        return promql.rule_sum(self.source, self.labels)


def hourly_increase(level: str, counter: MetricDef) -> Recorded:
    """The recorded hourly increase of `counter` at `level`; ValueError when none is recorded."""
    recorded = Recorded(level, counter, "sum_increase1h")
    if recorded not in RECORDED:
        raise ValueError(f"{counter.name} has no hourly increase recorded at level {level!r}")
    return recorded


def usage_sum(level: str, gauge: MetricDef) -> Recorded:
    """The recorded per-minute sum of a usage gauge at `level`; ValueError when none is recorded."""
    recorded = Recorded(level, gauge, "sum")
    if recorded not in RECORDED:
        raise ValueError(f"{gauge.name} has no sum recorded at level {level!r}")
    return recorded


def daily_sum(hourly: Recorded, phase: str) -> Recorded:
    """The daily sum of the recorded hourly increase `hourly` for `phase` ("before" or
    "after" each whole hour)."""
    return _sparse(hourly, f"sum_increase1h_sum1d_{phase}")


def hour_reading(hourly: Recorded, phase: str) -> Recorded:
    """The sparse copy (one sample an hour) of the recorded hourly increase `hourly`'s reading
    at each whole hour, for `phase` ("before" or "after" the hour)."""
    return _sparse(hourly, f"sum_increase1h_sum1h_{phase}")


def _sparse(hourly: Recorded, operation: str) -> Recorded:
    recorded = Recorded(hourly.level, hourly.source, operation)
    if recorded not in SPARSE:
        raise ValueError(f"{hourly.name} has no {operation} recorded")
    return recorded


def unallocated_twin(counter: MetricDef) -> MetricDef:
    """The node counter holding what no pod of `counter` was given (catalogue UNALLOCATED_OF)."""
    return UNALLOCATED_OF[counter.name]


def _all_recorded() -> tuple[Recorded, ...]:
    pods = [Recorded(level, counter, "sum_increase1h") for counter in POD_COUNTERS for level in LEVELS]
    nodes = [Recorded(level, counter, "sum_increase1h") for counter in NODE_COUNTERS for level in ("node", "cluster")]
    usage = [Recorded(level, gauge, "sum") for gauge in USAGE_GAUGES for level in LEVELS]
    return (*pods, *nodes, *usage)


RECORDED = _all_recorded()
SPARSE = tuple(Recorded(hourly.level, hourly.source, operation)
               for hourly in RECORDED if hourly.operation == "sum_increase1h" for operation in SPARSE_SUMS)


def render_rules() -> dict:
    """The rule file's content: the minute group (RECORDED, in order) and the hourly group of
    sparse copies and daily sums (SPARSE)."""
    def rules(recorded: tuple[Recorded, ...]) -> list[dict[str, str]]:
        return [{"record": one.name, "expr": one.expr} for one in recorded]

    return {"groups": [{"name": GROUP_NAME, "interval": EVALUATION_INTERVAL, "rules": rules(RECORDED)},
                       {"name": SPARSE_GROUP_NAME, "interval": SPARSE_INTERVAL, "rules": rules(SPARSE)}]}


HEADER = (
    "# Generated by `python -m queryapi.recorded > rules/history.yml`; edit queryapi/recorded.py instead.\n"
    "# History roll-ups the query API reads (docs/rules.md): hourly increases and usage sums per\n"
    "# namespace, node and cluster, evaluated every minute, and sparse copies of the hourly\n"
    "# increases (each hour's reading, and daily sums), evaluated every hour.\n"
)


def render_rules_yaml() -> str:
    """rules/history.yml as text: the header comment, then the rules in block style."""
    return HEADER + yaml.safe_dump(render_rules(), sort_keys=False, width=120)


if __name__ == "__main__":
    print(render_rules_yaml(), end="")
