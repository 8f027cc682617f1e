"""Hourly buckets of recorded counters, read by range queries stepping through whole hours.

A run of up to HOURS_PER_QUERY consecutive whole hours is one range query per recorded name
and evaluation read (`Part`): of the name's sparse copy where every hour's copy is there, else
of the hourly increase itself (sparse.read_hours). The answers are added per group and hour,
weighted, into one tuple of values per group and hour, a column per source (`read_runs`).
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from queryapi.engine import QueryEngine
from queryapi.gather import Key, gather_all
from queryapi.sparse import read_hours

HOUR_SECONDS = 3600
# Whole hours one range query reads (and the report's batch of hourly buckets): ~20k points a
# query for 417 namespaces. The engine pays a fixed cost per series and query besides its cost
# per point: on the 1M-row export 48 hours took ~25% less engine CPU than 24
# (docs/PERFORMANCE.md); with report.HOURLY_LOOKAHEAD 2 the export holds no more rows.
HOURS_PER_QUERY = 48


@dataclass(frozen=True)
class Part:
    """One recorded name and evaluation read of a run: its answer, times `weight`, goes in
    `column`; `sparse` is the name's sparse copy for the phase, `hourly` the name, `delay` how
    long after each hour the hourly increase is read for the phase."""

    weight: float
    column: int
    sparse: str
    hourly: str
    delay: int


async def read_runs(engine: QueryEngine, parts: Sequence[Part], hours: list[int], by: Sequence[str],
                    matchers: Mapping[str, str], width: int) -> tuple[dict[int, dict[Key, Sequence[float]]], bool]:
    """Per whole hour of `hours` (sorted unix s), per group, `width` weighted values; and False
    when a value read was not finite."""
    runs = _runs(hours)
    answers = await gather_all(read_hours(engine, part.sparse, part.hourly, part.delay, run, by, matchers)
                               for run in runs for part in parts)
    per_hour: dict[int, dict[Key, Sequence[float]]] = {}
    finite = True
    for number, run in enumerate(runs):
        read = answers[number * len(parts):(number + 1) * len(parts)]
        finite &= _add_run(per_hour, run, [(shift, part.weight, part.column, series)
                                           for part, (shift, series) in zip(parts, read, strict=True)], by, width)
    return per_hour, finite


def _add_run(per_hour: dict[int, dict[Key, Sequence[float]]], run: list[int], parts: list, by: Sequence[str],
             width: int) -> bool:
    """Put the weighted readings of one run of hours into `per_hour`, as one tuple of `width`
    values per group and hour the group has a reading at; False when a value is not finite.
    `parts`: (time shift of each point after its hour, weight, column, answer) per answer.
    Columnar: one list per group and source over the run's hours."""
    count, first = len(run), run[0]
    key_of = _make_key_of(by)
    table: dict[Key, list[list[float] | None]] = {}
    everywhere: set[Key] = set()  # groups with a reading at every hour of the run
    somewhere: dict[Key, set[int]] = {}  # the others: positions of their readings
    for shift, weight, column, answer in parts:
        for labels, points in answer:
            key = key_of(labels)
            columns = table.get(key)
            if columns is None:
                columns = table[key] = [None] * width
            earlier = columns[column]
            if len(points) == count:  # one point per step, in order: added in one pass
                everywhere.add(key)
                columns[column] = ([weight * point.value for point in points] if earlier is None
                                  else [a + weight * point.value for a, point in zip(earlier, points, strict=True)])
                continue
            values = columns[column] = [0.0] * count if earlier is None else earlier
            seen = somewhere.setdefault(key, set())
            for point in points:
                position = (point.time - shift - first) // HOUR_SECONDS
                values[position] += weight * point.value
                seen.add(position)
    finite = True
    zeros = [0.0] * count
    keys, cells = [], []  # groups read at every hour, and per group one tuple per hour
    for key, columns in table.items():
        filled = [zeros if values is None else values for values in columns]
        finite = finite and all(math.isfinite(sum(values)) for values in filled)
        if key in everywhere:
            keys.append(key)
            cells.append(zip(*filled, strict=True))
        else:
            at = list(zip(*filled, strict=True))
            for position in sorted(somewhere[key]):
                per_hour.setdefault(run[position], {})[key] = at[position]
    for hour, at_hour in zip(run, zip(*cells, strict=True) if cells else [()] * count, strict=True):
        groups = per_hour.setdefault(hour, {})
        groups.update(zip(keys, at_hour, strict=True))
    return finite


def _make_key_of(by: Sequence[str]) -> Callable[[Mapping[str, str]], Key]:
    """labels -> the tuple of their `by` values ("" for a missing label); one label, the
    common case, without a generator per series."""
    if len(by) == 1:
        name = by[0]
        return lambda labels: (labels.get(name, ""),)
    return lambda labels: tuple([labels.get(name, "") for name in by])


def _runs(hours: list[int]) -> list[list[int]]:
    """Sorted whole hours cut into runs one hour apart, at most HOURS_PER_QUERY long."""
    runs: list[list[int]] = []
    for hour in hours:
        if runs and hour - runs[-1][-1] == HOUR_SECONDS and len(runs[-1]) < HOURS_PER_QUERY:
            runs[-1].append(hour)
        else:
            runs.append([hour])
    return runs
