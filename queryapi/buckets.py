"""Calendar buckets of a window: hours, days, ISO weeks or months of a time zone. Pure.

History is read from series recorded per hour (rules/history.yml), so a history window is
first widened to whole hours of its zone (`align_window`): `from` down, `to` up, but never
past the last whole hour before `now`, whose reading would still be growing. The buckets
then tile that window exactly: each is [calendar boundary, next boundary] cut to the window,
and every boundary is a whole hour of the zone, so each bucket is a whole number of hours
(except a DST day of a zone whose clocks move by half an hour, e.g. Australia/Lord_Howe).

A local day is 23 or 25 hours across a DST change; local midnights that do not exist are
resolved the zoneinfo way (fold=0: the offset before the change).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

GroupBy = Literal["hourly", "daily", "weekly", "monthly"]
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Bucket:
    """[start, end) of one bucket, aware UTC datetimes."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> int:
        """Length in whole seconds."""
        return int((self.end - self.start).total_seconds())


def floor_hour(moment: datetime, zone: ZoneInfo) -> datetime:
    """The latest whole hour of `zone` at or before `moment` (UTC in, UTC out)."""
    local = moment.astimezone(zone)
    return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)


def ceil_hour(moment: datetime, zone: ZoneInfo) -> datetime:
    """The earliest whole hour of `zone` at or after `moment`."""
    floor = floor_hour(moment, zone)
    return floor if floor == moment else _next_hour(floor, zone)


def align_window(start: datetime, end: datetime, zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """The window history reads: whole hours of `zone` covering [start, end], ending no later
    than the last whole hour before `now`. Empty (start, start) when nothing is complete yet."""
    last = floor_hour(now, zone)
    if start >= last:  # nothing complete yet (and no local-time arithmetic near year 9999)
        return start, start
    aligned_start = floor_hour(start, zone)
    aligned_end = ceil_hour(min(end, last), zone)
    return aligned_start, max(aligned_start, aligned_end)


def calendar_buckets(start: datetime, end: datetime, group_by: GroupBy, zone: ZoneInfo) -> list[Bucket]:
    """The buckets of [start, end] (whole hours of `zone`), each cut to the window, in order."""
    buckets: list[Bucket] = []
    if start >= end:
        return buckets
    boundary = _period_start(start, group_by, zone)
    while boundary < end:
        following = _next_boundary(boundary, group_by, zone)
        if following > start:  # a boundary of an odd zone may fall before the window starts
            buckets.append(Bucket(max(boundary, start), min(following, end)))
        boundary = following
    return buckets


def count_buckets(start: datetime, end: datetime, group_by: GroupBy) -> int:
    """An upper bound of len(calendar_buckets(...)) without building them (for request limits)."""
    days = (end - start) / timedelta(days=1)
    per_day = {"hourly": 24, "daily": 1, "weekly": 1 / 7, "monthly": 1 / 28}[group_by]
    return int(days * per_day) + 2


def _period_start(moment: datetime, group_by: GroupBy, zone: ZoneInfo) -> datetime:
    """Start (UTC) of the calendar period of `zone` that holds `moment`."""
    if group_by == "hourly":
        return floor_hour(moment, zone)
    day = moment.astimezone(zone).date()
    if group_by == "weekly":
        day -= timedelta(days=day.weekday())  # ISO weeks start on Monday
    elif group_by == "monthly":
        day = day.replace(day=1)
    return _local_midnight(day, zone)


def _next_boundary(boundary: datetime, group_by: GroupBy, zone: ZoneInfo) -> datetime:
    if group_by == "hourly":
        return _next_hour(boundary, zone)
    day = boundary.astimezone(zone).date()
    if group_by == "daily":
        day += timedelta(days=1)
    elif group_by == "weekly":
        day += timedelta(days=7 - day.weekday())
    else:
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return _local_midnight(day, zone)


def _next_hour(moment: datetime, zone: ZoneInfo) -> datetime:
    """The next whole hour of `zone` after `moment` (one real hour later in whole-hour zones)."""
    following = floor_hour(moment + HOUR, zone)
    return following if following > moment else moment + HOUR


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
