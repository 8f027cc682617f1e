"""Calendar buckets and history windows (queryapi/buckets.py). Pure."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from queryapi.buckets import align_window, calendar_buckets, ceil_hour, count_buckets, floor_hour

UTC_ZONE = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+05:30
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _spans(buckets) -> list[tuple[str, float]]:
    return [(b.start.strftime("%Y-%m-%dT%H:%MZ"), b.seconds / 3600) for b in buckets]


def test_calendar_buckets_daily_new_york_spring_forward_has_23_hours() -> None:
    buckets = calendar_buckets(_utc(2024, 3, 9, 5), _utc(2024, 3, 12, 4), "daily", NEW_YORK)

    assert _spans(buckets) == [("2024-03-09T05:00Z", 24), ("2024-03-10T05:00Z", 23), ("2024-03-11T04:00Z", 24)]


def test_calendar_buckets_daily_new_york_fall_back_has_25_hours() -> None:
    buckets = calendar_buckets(_utc(2024, 11, 3, 4), _utc(2024, 11, 4, 5), "daily", NEW_YORK)

    assert _spans(buckets) == [("2024-11-03T04:00Z", 25)]


def test_calendar_buckets_hourly_new_york_fall_back_counts_repeated_hour_twice() -> None:
    buckets = calendar_buckets(_utc(2024, 11, 3, 4), _utc(2024, 11, 4, 5), "hourly", NEW_YORK)

    assert len(buckets) == 25
    assert all(b.seconds == 3600 for b in buckets)


def test_calendar_buckets_monthly_utc_leap_february() -> None:
    buckets = calendar_buckets(_utc(2024, 1, 15), _utc(2024, 4, 1), "monthly", UTC_ZONE)

    assert _spans(buckets) == [("2024-01-15T00:00Z", 17 * 24), ("2024-02-01T00:00Z", 29 * 24),
                               ("2024-03-01T00:00Z", 31 * 24)]


def test_calendar_buckets_monthly_december_to_january() -> None:
    buckets = calendar_buckets(_utc(2023, 12, 1), _utc(2024, 2, 1), "monthly", UTC_ZONE)

    assert [b.start for b in buckets] == [_utc(2023, 12, 1), _utc(2024, 1, 1)]


def test_calendar_buckets_weekly_iso_monday_across_year() -> None:
    # 2024-12-30 is the Monday of ISO week 2025-W01.
    buckets = calendar_buckets(_utc(2024, 12, 25), _utc(2025, 1, 8), "weekly", UTC_ZONE)

    assert [b.start for b in buckets] == [_utc(2024, 12, 25), _utc(2024, 12, 30), _utc(2025, 1, 6)]
    assert buckets[1].start.isocalendar()[:2] == (2025, 1)


def test_calendar_buckets_half_hour_zone_days_start_at_1830_utc() -> None:
    buckets = calendar_buckets(_utc(2024, 3, 1, 18, 30), _utc(2024, 3, 3, 18, 30), "daily", KOLKATA)

    assert _spans(buckets) == [("2024-03-01T18:30Z", 24), ("2024-03-02T18:30Z", 24)]


def test_calendar_buckets_sum_to_window_for_every_group_by() -> None:
    start, end = _utc(2024, 1, 30, 17), _utc(2024, 4, 2, 9)
    for group_by in ("hourly", "daily", "weekly", "monthly"):
        for zone in (UTC_ZONE, NEW_YORK, KOLKATA):
            buckets = calendar_buckets(start, end, group_by, zone)

            assert buckets[0].start == start and buckets[-1].end == end
            assert all(a.end == b.start for a, b in zip(buckets, buckets[1:], strict=False))
            assert sum(b.seconds for b in buckets) == (end - start).total_seconds()
            assert len(buckets) <= count_buckets(start, end, group_by)


@pytest.mark.parametrize("moment", [_utc(2024, 1, 1), _utc(2024, 1, 1, 15)])
def test_calendar_buckets_empty_window_no_buckets(moment: datetime) -> None:
    for group_by in ("hourly", "daily", "weekly", "monthly"):
        assert calendar_buckets(moment, moment, group_by, NEW_YORK) == []


@pytest.mark.parametrize(
    ("start", "end", "now", "window"),
    [
        ((2024, 1, 1, 10, 17), (2024, 1, 2, 10, 17), NOW, ((2024, 1, 1, 10), (2024, 1, 2, 11))),
        ((2024, 1, 1, 10), (2024, 1, 2, 10), NOW, ((2024, 1, 1, 10), (2024, 1, 2, 10))),
        # `to` in the current hour: capped at the last complete hour.
        ((2024, 1, 1, 10), (2024, 1, 2, 10, 55), _utc(2024, 1, 2, 10, 56), ((2024, 1, 1, 10), (2024, 1, 2, 10))),
        # A window in the future: empty.
        ((2024, 1, 5), (2024, 1, 6), _utc(2024, 1, 2, 10, 56), ((2024, 1, 5), (2024, 1, 5))),
    ],
)
def test_align_window_whole_hours_capped_at_now(start, end, now, window) -> None:
    assert align_window(_utc(*start), _utc(*end), UTC_ZONE, now) == (_utc(*window[0]), _utc(*window[1]))


def test_floor_and_ceil_hour_half_hour_zone() -> None:
    moment = _utc(2024, 3, 1, 10, 0)  # 15:30 in Kolkata

    assert floor_hour(moment, KOLKATA) == _utc(2024, 3, 1, 9, 30)
    assert ceil_hour(moment, KOLKATA) == _utc(2024, 3, 1, 10, 30)
    assert ceil_hour(_utc(2024, 3, 1, 9, 30), KOLKATA) == _utc(2024, 3, 1, 9, 30)


def test_count_buckets_bounds_hourly_year() -> None:
    assert count_buckets(_utc(2024, 1, 1), _utc(2024, 1, 1) + timedelta(days=100), "hourly") == 2402
