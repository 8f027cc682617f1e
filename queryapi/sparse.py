"""Reads of the sparse copies of rules/history.yml (one sample an hour or a day), with the
hourly increases for whatever they lack.

Days. A counter's bucket of n whole hours ending at a whole UTC hour E adds the hourly
increases at the hours in (E - n h, E] (history.py). Its last k = n // 24 days, those ending at
E, E - 24 h, ..., are each one sample of a daily sum (queryapi/recorded.py): the sum of the 24
readings before (or after) the whole hours of the day ending at E_j, written by the hourly
group at its evaluation in [E_j + 1 h, E_j + 2 h). One query per series and phase reads them
all (`promql.recorded_days_sum`: a subquery stepping a day, each step taking the latest sample
of the hour up to E_j + 2 h - 1 ms) and counts the days it found; the first n - 24 k hours stay
on the hourly read (`read_days`; daily buckets: `read_single_days`, a range query per run of
days). The engine reads a sample a day instead of one a minute. A day without its sample (the
rules were installed later, Prometheus was down at that hour, or the day ended less than about
two hours ago) is read from the hourly increases instead: when the count is short, a range
query stepping through the same instants gives each day found, with its values, in one answer
(so a day written meanwhile is never read twice or missed), and the other days are read as a
bucket without days would be. The result is the same either way, up to float rounding.

Hours. Hourly buckets read each hour's copy the same way, by range queries stepping an hour
(`read_hours`); a run with any copy missing is read from the hourly increase itself.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from queryapi import promql
from queryapi.engine import QueryEngine, RangeSeries
from queryapi.gather import Key, gather_all, index

HOUR_SECONDS = 3600
DAY_SECONDS = 86400
# A copy of an hour or day ending at E is written in the hour [E + 1 h, E + 2 h) (recorded.py):
# it is read at the last millisecond of that hour (timestamps are whole milliseconds), as the
# latest sample in the hour up to _BEFORE_MS before E + _READ_AFTER_END (whole seconds, on which
# range queries step).
_READ_AFTER_END = 2 * HOUR_SECONDS
_BEFORE_MS = 1
# Days one range query reads (Prometheus answers at most 11,000 points per series).
MAX_DAYS_PER_QUERY = 1000


@dataclass(frozen=True)
class Reading:
    """One query of a bucket, run at `at`, whose answer counts `weight` times."""

    query: str
    at: datetime
    weight: float = 1.0


@dataclass(frozen=True)
class Days:
    """`count` whole days ending at `end` (unix s, a whole UTC hour) of the daily sum `name`,
    counting `weight` times; `hourly` is the hourly increase it sums and `delay` (s) how long
    after each whole hour that phase reads it (0 before, the rules' interval after)."""

    name: str
    hourly: str
    delay: int
    end: int
    count: int
    weight: float = 1.0

    def day_end(self, day: int) -> int:
        """Unix time (s) day `day` (0: the first) ends at."""
        return self.end - (self.count - 1 - day) * DAY_SECONDS

    def read_ms(self, day: int) -> int:
        """Unix time (ms) day `day` is read at."""
        return (self.day_end(day) + _READ_AFTER_END) * 1000 - _BEFORE_MS


def hourly_reading(names: Sequence[str], by: Sequence[str], matchers: Mapping[str, str], hours: int,
                   reading: datetime, weight: float) -> Reading:
    """The `hours` hourly increases `names` ending at `reading` (less any phase delay), read by
    one subquery whose steps are the whole UTC hours (`promql.recorded_bucket_sum`)."""
    # Subquery steps fall on whole UTC hours: run at the first one at or after the reading
    # time and shift the readings back onto it (zones with a half-hour offset, the +60 s read).
    offset = -int(reading.timestamp()) % HOUR_SECONDS
    query = promql.recorded_bucket_sum(names, by, matchers, hours * HOUR_SECONDS, offset)
    return Reading(query, reading + timedelta(seconds=offset), weight)


async def read_days(engine: QueryEngine, days: Days, by: Sequence[str],
                    matchers: Mapping[str, str]) -> dict[Key, float]:
    """The days' sum per `by` group, times their weight; days without a sample read hourly."""
    last_ms = days.read_ms(days.count - 1)
    at_ms = -(-last_ms // (DAY_SECONDS * 1000)) * DAY_SECONDS * 1000  # subquery steps: UTC midnights
    query = promql.recorded_days_sum(days.name, by, matchers, days.count, at_ms - last_ms)
    answer = await engine.query(query, datetime.fromtimestamp(at_ms / 1000, UTC))
    found = sum(value for labels, value in answer if promql.DAYS_LABEL in labels)
    if found >= days.count:
        values = index([sample for sample in answer if promql.DAYS_LABEL not in sample[0]], by)
        return _weighted(values, days.weight)
    present, values = await _days_found(engine, days, by, matchers) if found else (set(), {})
    missing = [day for day in range(days.count) if day not in present]
    readings = [hourly_reading([days.hourly], by, matchers, 24 * length, _utc(days.day_end(last) + days.delay), 1.0)
                for last, length in _runs_ending(missing)]
    for samples in await gather_all(engine.query(reading.query, reading.at) for reading in readings):
        for key, value in index(samples, by).items():
            values[key] = values.get(key, 0.0) + value
    return _weighted(values, days.weight)


async def read_single_days(engine: QueryEngine, days: Sequence[Days], by: Sequence[str],
                           matchers: Mapping[str, str]) -> list[dict[Key, float]]:
    """`read_days` of each of `days`, one-day readings of one series and phase (the daily
    buckets of a window), with one range query per run of consecutive days instead of a query
    each: per day its values, and whether its sample is there; missing days read hourly."""
    results: list[dict[Key, float]] = [{} for _ in days]
    runs: list[list[int]] = []
    for position in sorted(range(len(days)), key=lambda position: days[position].end):
        if runs and days[position].end - days[runs[-1][-1]].end == DAY_SECONDS and len(runs[-1]) < MAX_DAYS_PER_QUERY:
            runs[-1].append(position)
        else:
            runs.append([position])
    found = await gather_all(_each_day(engine, days[run[0]].name, by, matchers, days[run[0]].end,
                                       days[run[-1]].end) for run in runs)
    missing = []
    for run, (present, values) in zip(runs, found, strict=True):
        for position in run:
            one = days[position]
            if one.end in present:
                results[position] = values.get(one.end, {})
            else:
                missing.append(position)
    readings = [hourly_reading([days[position].hourly], by, matchers, 24,
                               _utc(days[position].end + days[position].delay), 1.0) for position in missing]
    answers = await gather_all(engine.query(reading.query, reading.at) for reading in readings)
    for position, samples in zip(missing, answers, strict=True):
        results[position] = index(samples, by)
    return [_weighted(values, one.weight) for values, one in zip(results, days, strict=True)]


async def _days_found(engine: QueryEngine, days: Days, by: Sequence[str],
                      matchers: Mapping[str, str]) -> tuple[set[int], dict[Key, float]]:
    """The days (0: the first) whose sample is there and their sum per group, from one range
    query."""
    first = days.day_end(0)
    present, values = await _each_day(engine, days.name, by, matchers, first, days.end)
    totals: dict[Key, float] = {}
    for groups in values.values():
        for key, value in groups.items():
            totals[key] = totals.get(key, 0.0) + value
    return {(end - first) // DAY_SECONDS for end in present}, totals


async def _each_day(engine: QueryEngine, name: str, by: Sequence[str], matchers: Mapping[str, str], first: int,
                    last: int) -> tuple[set[int], dict[int, dict[Key, float]]]:
    """The days ending at first, first + 1 d, ..., last (unix s) of the daily sum `name`: the
    ends of those whose sample is there, and per end the values per group."""
    query = promql.recorded_days_each(name, by, matchers, _BEFORE_MS)
    series = await engine.query_range(query, _utc(first + _READ_AFTER_END), _utc(last + _READ_AFTER_END), DAY_SECONDS)
    present: set[int] = set()
    values: dict[int, dict[Key, float]] = {}
    for labels, points in series:
        if promql.DAYS_LABEL in labels:
            present.update(point.time - _READ_AFTER_END for point in points)
            continue
        key = tuple(labels.get(label, "") for label in by)
        for point in points:
            if math.isfinite(point.value):
                groups = values.setdefault(point.time - _READ_AFTER_END, {})
                groups[key] = groups.get(key, 0.0) + point.value
    return present, values


async def read_hours(engine: QueryEngine, sparse: str, hourly: str, delay: int, run: Sequence[int],
                     by: Sequence[str], matchers: Mapping[str, str]) -> tuple[int, list[RangeSeries]]:
    """The readings at the consecutive whole hours `run` (unix s) of the hourly increase `hourly`
    for one phase (`delay`: 0 before each hour, the rules' interval after): from its sparse copy
    `sparse` by one range query when every hour has a copy of some series, else from `hourly`
    itself (the last hour or two, before the hourly group has run; hours before the group was
    installed; with a filter, hours the filtered group had no series; hours that are not whole
    UTC hours, in zones such as Asia/Kolkata). Returns (how long after its hour each point is
    stamped, the series)."""
    if run[0] % HOUR_SECONDS == 0:  # copies are of whole UTC hours (not a half-hour zone's)
        query = promql.recorded_copies(sparse, matchers, _BEFORE_MS)
        series = await engine.query_range(query, _utc(run[0] + _READ_AFTER_END), _utc(run[-1] + _READ_AFTER_END),
                                          HOUR_SECONDS)
        # One evaluation writes every group's copy: an hour with none is an hour it did not run.
        if len({point.time for _, points in series for point in points}) == len(run):
            return _READ_AFTER_END, series
    dense = promql.recorded_hours([hourly], matchers)
    return delay, await engine.query_range(dense, _utc(run[0] + delay), _utc(run[-1] + delay), HOUR_SECONDS)


def _runs_ending(days: list[int]) -> list[tuple[int, int]]:
    """Sorted day numbers cut into runs of consecutive days: (last day, length) per run."""
    runs: list[tuple[int, int]] = []
    for day in days:
        if runs and runs[-1][0] == day - 1:
            runs[-1] = (day, runs[-1][1] + 1)
        else:
            runs.append((day, 1))
    return runs


def _weighted(values: dict[Key, float], weight: float) -> dict[Key, float]:
    return values if weight == 1.0 else {key: weight * value for key, value in values.items()}


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
