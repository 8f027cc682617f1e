"""Figures per calendar bucket: what /api/v1/timeseries and the report read.

Which series a bucket reads depends on the labels the answer needs, the aggregate's labels
plus the filters' (a namespace filter needs `namespace`):

    none                -> cluster:<metric>:...    recorded (pods + nodes' unallocated)
    namespace only      -> namespace:<metric>:...  recorded (pods)
    node only           -> node:<metric>:...       recorded (pods + the node's unallocated)
    anything else (pod) -> the raw pod series      (pods)

so a long namespace or cluster history never reads a pod series.

Counters, recorded: the bucket is the sum of the hourly increases ending at each of its whole
hours H. Hourly buckets are read many at a time, by range queries stepping through whole hours
(`read_hourly`, batches of HOURS_PER_QUERY); longer buckets by subqueries the engine adds up
(`bucket_readings`): their whole days from the daily sums, one sample a day (sparse.py), and
the hours before those days from the hourly increases. Rules run once a minute at a phase
Prometheus fixes (p seconds past each minute), so no evaluation falls on H itself: each hour
is read at the evaluations just before and just after H, and the two sums are weighted by
where H lies between them (linear interpolation, exact while power is steady for the minute
around H; without it a bucket edge would move by up to a minute). The phase is read once per
request from a recorded sample's timestamp.
Counters, raw: increase() over the bucket. Gauges (cpu, memory), recorded: the time-weighted
average over the bucket (minutes without pods count 0); raw (pod level): each pod's average
over its own samples in the bucket. Power: the energy of the bucket over its length (W).
"""

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from exporter.catalogue import (
    POD_CO2E,
    POD_COST,
    POD_CPU_USAGE,
    POD_EMBODIED_CO2E,
    POD_ENERGY,
    POD_MEMORY_USAGE,
    MetricDef,
)
from queryapi import promql
from queryapi.buckets import Bucket
from queryapi.engine import QueryEngine
from queryapi.gather import Key, gather_all, index
from queryapi.hourly import Part, read_runs
from queryapi.params import MetricTimeseriesParams
from queryapi.recorded import (
    EVALUATION_SECONDS,
    Recorded,
    daily_sum,
    hour_reading,
    hourly_increase,
    unallocated_twin,
    usage_sum,
)
from queryapi.results import Point, Series, Timeseries
from queryapi.sparse import Days, Reading, hourly_reading, read_days, read_single_days

HOUR_SECONDS = 3600
# Instant lookups of the rule group's phase when the window's end has no sample.
PHASE_PROBES = 64
POD_KEY = ("namespace", "pod", "node")
AGGREGATE_LABELS: dict[str, tuple[str, ...]] = {
    "cluster": (), "namespace": ("namespace",), "node": ("node",), "pod": POD_KEY,
}
# API metric -> (catalogue series it is computed from, unit; None: the currency)
METRICS: dict[str, tuple[MetricDef, str | None]] = {
    "energy": (POD_ENERGY, "joules"), "carbon": (POD_CO2E, "grams"),
    "embodied_carbon": (POD_EMBODIED_CO2E, "grams"), "cost": (POD_COST, None),
    "power": (POD_ENERGY, "watts"), "cpu": (POD_CPU_USAGE, "cores"), "memory": (POD_MEMORY_USAGE, "bytes"),
}


def recorded_level(by: Sequence[str], matchers: Mapping[str, str]) -> str | None:
    """The recorded level that holds every label the answer needs, or None (read raw series)."""
    needed = set(by) | set(matchers)
    if not needed:
        return "cluster"
    if needed == {"namespace"}:
        return "namespace"
    if needed == {"node"}:
        return "node"
    return None


def recorded_hourly(level: str, counter: MetricDef) -> list[Recorded]:
    """Recorded hourly increases a counter's bucket adds at `level` (plus unallocated at node
    and cluster level: the nodes' unallocated counters have no namespace)."""
    hourly = [hourly_increase(level, counter)]
    if level != "namespace":
        hourly.append(hourly_increase(level, unallocated_twin(counter)))
    return hourly


def reading_hours(bucket: Bucket) -> list[int]:
    """Unix times (s) of the whole hours whose recorded increases a counter's bucket adds, in
    order: the `n` hours in (end - n h, end], `n` its length in hours (rounded, see below)."""
    end = int(bucket.end.timestamp())
    return [end - k * HOUR_SECONDS for k in range(_hours(bucket) - 1, -1, -1)]


def reads_hourly(source: MetricDef, by: Sequence[str], matchers: Mapping[str, str], group_by: str) -> bool:
    """Whether `read_hourly` reads `source` (hourly buckets of a recorded counter)."""
    # TODO(history): raw pod counters in hourly buckets could be read the same way (a range query
    # of increase(<counter>[3600s]) per counter) — today aggregate=pod costs a query per bucket.
    return group_by == "hourly" and source.kind == "counter" and recorded_level(by, matchers) is not None


def bucket_readings(source: MetricDef, by: Sequence[str], matchers: Mapping[str, str], bucket: Bucket,
                    after_weight: float) -> list[Reading | Days]:
    """The queries giving `source` over `bucket` per `by` group. `after_weight` (0..1) is the
    weight of the evaluation just after each whole hour (`phase_weight`)."""
    level = recorded_level(by, matchers)
    if source.kind == "gauge":
        if level is None:
            # The range leaves out its first second, the sample closing the previous bucket.
            return [Reading(promql.average_by(source, by, max(1, bucket.seconds - 1), matchers), bucket.end)]
        # One reading a minute: their sum over the bucket's minutes is the time-weighted
        # average, a group without pods counting 0 for the minutes it had none.
        name = usage_sum(level, source).name
        query = promql.recorded_bucket_readings(name, by, matchers, bucket.seconds)
        return [Reading(query, bucket.end, EVALUATION_SECONDS / bucket.seconds)]
    if level is None:
        return [Reading(promql.increase_by(source, by, bucket.seconds, matchers), bucket.end)]

    hourly = recorded_hourly(level, source)
    names = [recorded.name for recorded in hourly]
    hours = _hours(bucket)
    end = int(bucket.end.timestamp())
    # The last whole days come from the daily sums when the bucket ends on a whole UTC hour
    # (not in a zone with a half-hour offset); the hours before them, hourly (sparse.py).
    days = hours // 24 if end % HOUR_SECONDS == 0 else 0
    rest = hours - 24 * days
    readings: list[Reading | Days] = []
    for delay, weight, phase in ((0, 1.0 - after_weight, "before"), (EVALUATION_SECONDS, after_weight, "after")):
        if weight <= 0:
            continue
        if rest:
            rest_end = bucket.end - timedelta(days=days, seconds=-delay)
            readings.append(hourly_reading(names, by, matchers, rest, rest_end, weight))
        if days:
            readings += [Days(daily_sum(one, phase).name, one.name, delay, end, days, weight) for one in hourly]
    return readings


def _hours(bucket: Bucket) -> int:
    # A bucket is whole hours, except the DST day of a zone whose clocks move by 30 minutes
    # (Australia/Lord_Howe): that day is read as the nearest whole number of hours.
    return max(1, round(bucket.seconds / HOUR_SECONDS))


def phase_weight(sample_time: float | None) -> float:
    """Weight of the evaluation after a whole minute, given the unix time (s) of any sample of
    the rule group: p = phase past the minute; the evaluation before the minute is (60 - p) s
    earlier, the one after p s later, so the one after weighs (60 - p) / 60 (0 when p = 0)."""
    if sample_time is None:
        return 0.0
    phase = sample_time % EVALUATION_SECONDS
    return ((EVALUATION_SECONDS - phase) % EVALUATION_SECONDS) / EVALUATION_SECONDS


async def read_phase_weight(engine: QueryEngine, source: MetricDef, by: Sequence[str],
                            matchers: Mapping[str, str], window: tuple[datetime, datetime]) -> float:
    """`phase_weight` of the recorded series a request reads (0 when it reads none or no sample
    is found): a sample at the window's end, else one at any of PHASE_PROBES whole hours spread
    through the window (where history reads; a series never there has no reading to weigh)."""
    level = recorded_level(by, matchers)
    if source.kind != "counter" or level is None:
        return 0.0
    query = promql.sample_time(hourly_increase(level, source).name)
    start, end = window
    samples = await engine.query(query, end + timedelta(seconds=EVALUATION_SECONDS))
    if not samples and end > start:
        # Instant lookups, not one scan of the window: a subquery of timestamp() over a year of
        # a one-a-minute series took Prometheus 2.42 over 30 s for a single series.
        answers = await gather_all(engine.query(query, at) for at in _probe_times(start, end))
        samples = next((answer for answer in answers if answer), [])
    return phase_weight(samples[0][1] if samples else None)


def _probe_times(start: datetime, end: datetime) -> list[datetime]:
    """At most PHASE_PROBES + 1 times a minute after whole UTC hours, evenly through [start, end]."""
    first = -(-int(start.timestamp()) // HOUR_SECONDS) * HOUR_SECONDS
    hours = max(0, int(end.timestamp()) - first) // HOUR_SECONDS
    step = -(-hours // PHASE_PROBES) or 1
    return [_utc(first + hour * HOUR_SECONDS + EVALUATION_SECONDS) for hour in range(0, hours + 1, step)]


async def read_buckets(engine: QueryEngine, source: MetricDef, by: Sequence[str], matchers: Mapping[str, str],
                       buckets: Sequence[Bucket], after_weight: float) -> list[dict[Key, float]]:
    """`source` over each of `buckets` per `by` group (unit of the series: J, g, currency,
    cores, bytes). One-day readings of the daily sums (daily buckets) are read together, a
    range query per series and phase (sparse.read_single_days)."""
    single: dict[tuple[str, int], list[tuple[int, Days]]] = {}
    rest: list[tuple[int, Reading | Days]] = []
    for position, bucket in enumerate(buckets):
        for reading in bucket_readings(source, by, matchers, bucket, after_weight):
            if isinstance(reading, Days) and reading.count == 1:
                single.setdefault((reading.name, reading.delay), []).append((position, reading))
            else:
                rest.append((position, reading))

    async def one(position: int, reading: Reading | Days) -> list[tuple[int, dict[Key, float]]]:
        return [(position, await _read(engine, reading, by, matchers))]

    async def together(group: list[tuple[int, Days]]) -> list[tuple[int, dict[Key, float]]]:
        answers = await read_single_days(engine, [days for _, days in group], by, matchers)
        return [(position, answer) for (position, _), answer in zip(group, answers, strict=True)]

    results: list[dict[Key, float]] = [{} for _ in buckets]
    for placed in await gather_all([*(one(*item) for item in rest), *(together(group) for group in single.values())]):
        for position, answer in placed:
            totals = results[position]
            for key, value in answer.items():
                totals[key] = totals.get(key, 0.0) + value
    return results


async def _read(engine: QueryEngine, reading: Reading | Days, by: Sequence[str],
                matchers: Mapping[str, str]) -> dict[Key, float]:
    """One reading's weighted values per group."""
    if isinstance(reading, Days):
        return await read_days(engine, reading, by, matchers)
    samples = await engine.query(reading.query, reading.at)
    return {key: reading.weight * value for key, value in index(samples, by).items()}


async def read_hourly(engine: QueryEngine, sources: Sequence[MetricDef], by: Sequence[str],
                      matchers: Mapping[str, str], buckets: Sequence[Bucket],
                      after_weights: Sequence[float]) -> list[dict[Key, Sequence[float]]]:
    """Recorded counters `sources` over each of `buckets` per `by` group, read by range queries
    stepping through the buckets' whole hours (hourly.read_runs: HOURS_PER_QUERY a query, one
    per recorded name and evaluation read, from the sparse copies where they are all there;
    both evaluations around each hour weighted as in `bucket_readings`; `after_weights`: one
    per source). Per bucket: group -> one value per source (0.0 where a source has none); a
    group is there when any source has a finite value in the bucket. The sums
    `bucket_readings` has the engine make, added here instead."""
    level = recorded_level(by, matchers)
    if level is None or any(source.kind != "counter" for source in sources):
        raise ValueError("read_hourly reads recorded counters only")
    hours = sorted({hour for bucket in buckets for hour in reading_hours(bucket)})
    # (phase, delay of the dense reading after each hour, weight of each source's reading)
    phases = [("before", 0, [1.0 - weight for weight in after_weights])]
    if any(after_weights):
        phases.append(("after", EVALUATION_SECONDS, list(after_weights)))
    parts = [Part(weights[column], column, hour_reading(recorded, phase).name, recorded.name, delay)
             for phase, delay, weights in phases for column, source in enumerate(sources)
             for recorded in recorded_hourly(level, source) if weights[column]]
    per_hour, finite = await read_runs(engine, parts, hours, by, matchers, len(sources))
    return [_bucket_cells([per_hour.get(hour, {}) for hour in reading_hours(bucket)], len(sources), finite)
            for bucket in buckets]


def _bucket_cells(hours: list[dict[Key, Sequence[float]]], width: int, finite: bool) -> dict[Key, Sequence[float]]:
    """One bucket's groups from its hours' (usually one); non-finite sums left out unless
    `finite` (every value read was finite)."""
    if len(hours) == 1:
        cells = hours[0]
    else:
        cells = {}
        for groups in hours:
            for key, values in groups.items():
                total = cells.get(key)
                cells[key] = values if total is None else [a + b for a, b in zip(total, values, strict=True)]
    if finite:
        return cells
    for key, values in list(cells.items()):
        if not math.isfinite(sum(values)):  # NaN or Inf from the engine: left out, as `index` does
            if all(not math.isfinite(value) for value in values):
                del cells[key]
            else:
                cells[key] = [value if math.isfinite(value) else 0.0 for value in values]
    return cells


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


async def read_timeseries(engine: QueryEngine, params: MetricTimeseriesParams, metric: str,
                          currency: str) -> Timeseries:
    """One series per group of `params.aggregate` (one for the cluster), one point per bucket
    (its start, UTC); a group without data in a bucket gets 0 there. Units: METRICS."""
    source, unit = METRICS[metric]
    by = AGGREGATE_LABELS[params.aggregate]
    matchers = filter_matchers(params)
    buckets = params.buckets
    weight = await read_phase_weight(engine, source, by, matchers, params.window) if buckets else 0.0
    if reads_hourly(source, by, matchers, params.group_by):
        cells = await read_hourly(engine, [source], by, matchers, buckets, [weight])
        answers = [{key: values[0] for key, values in groups.items()} for groups in cells]
    else:
        answers = await read_buckets(engine, source, by, matchers, buckets, weight)
    if metric == "power":
        answers = [{key: joules / bucket.seconds for key, joules in values.items()}
                   for values, bucket in zip(answers, buckets, strict=True)]

    keys = sorted(set().union(*answers)) if by else [()]
    series = [
        Series(labels=dict(zip(by, key, strict=True)),
               points=[Point(timestamp=bucket.start, value=values.get(key, 0.0))
                       for bucket, values in zip(buckets, answers, strict=True)])
        for key in keys
    ]
    start, end = params.window
    return Timeseries(metric=metric, unit=unit or currency, group_by=params.group_by, aggregate=params.aggregate,
                      tz=params.tz, from_=start, to=end, series=series)


def filter_matchers(params: BaseModel) -> dict[str, str]:
    """Exact label matchers of the namespace, node and pod filters `params` has and were given."""
    given = {name: getattr(params, name, None) for name in ("namespace", "node", "pod")}
    return {name: value for name, value in given.items() if value is not None}
