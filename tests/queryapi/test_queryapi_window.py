"""Window parameters (`from`, `to`): parsing, defaults and the 400s they lead to. Pure."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from queryapi.errors import InvalidParameter, invalid_parameters
from queryapi.models import WindowParams

NOW = datetime(2024, 6, 15, 12, 30, 45, tzinfo=UTC)


def _window(query: dict[str, str], max_range_days: int = 400) -> WindowParams:
    return WindowParams.model_validate(query, context={"now": NOW, "max_range_days": max_range_days})


def _rejection(query: dict[str, str], max_range_days: int = 400) -> InvalidParameter:
    with pytest.raises(ValidationError) as caught:
        _window(query, max_range_days)
    return invalid_parameters(caught.value)


def test_window_no_parameters_last_24_hours() -> None:
    window = _window({})

    assert (window.from_, window.to) == (NOW - timedelta(hours=24), NOW)
    assert window.seconds == 86400


def test_window_date_only_midnight_utc() -> None:
    window = _window({"from": "2024-01-01", "to": "2024-01-02"})

    assert window.from_ == datetime(2024, 1, 1, tzinfo=UTC)
    assert window.to == datetime(2024, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2024-01-01T02:00:00+02:00", datetime(2024, 1, 1, 0, 0, tzinfo=UTC)),
        ("2024-01-01T00:00:00-05:30", datetime(2024, 1, 1, 5, 30, tzinfo=UTC)),
        ("2024-01-01T00:00:00Z", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01t00:00:00z", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01T00:00:00.999Z", datetime(2024, 1, 1, tzinfo=UTC)),
        # An unencoded '+' in a URL query arrives as a space.
        ("2024-01-01T02:00:00 02:00", datetime(2024, 1, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_window_rfc3339_offset_converted_to_utc_whole_seconds(text: str, utc: datetime) -> None:
    window = _window({"from": text, "to": "2024-01-02"})

    assert window.from_ == utc
    assert window.from_.tzinfo == UTC


def test_window_only_from_to_defaults_to_now() -> None:
    window = _window({"from": "2024-06-15T00:00:00Z"})

    assert window.to == NOW
    assert window.seconds == 12 * 3600 + 30 * 60 + 45


def test_window_only_to_from_is_24_hours_before() -> None:
    window = _window({"to": "2024-01-02"})

    assert window.from_ == datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("start", ["2024-01-02", "2024-01-03T00:00:00Z"])
def test_window_from_not_before_to_rejected(start: str) -> None:
    error = _rejection({"from": start, "to": "2024-01-02"})

    assert error.status == 400
    assert error.details[0]["parameter"] == "from"
    assert "must be before 'to'" in error.message


def test_window_longer_than_maximum_rejected() -> None:
    error = _rejection({"from": "2024-01-01", "to": "2024-01-11T00:00:01Z"}, max_range_days=10)

    assert error.details[0]["parameter"] == "from"
    assert "the maximum is 10 days" in error.message


def test_window_exactly_maximum_accepted() -> None:
    assert _window({"from": "2024-01-01", "to": "2024-01-11"}, max_range_days=10).seconds == 10 * 86400


@pytest.mark.parametrize(
    "text",
    ["yesterday", "", "2024-13-01", "2024-02-30", "2024-01-01T00:00:00", "2024-01-01T25:00:00Z",
     "1704067200", "2024-01-01T00:00:00+24:00", "1969-12-31", "2024-1-1"],
)
def test_window_bad_from_rejected_naming_parameter(text: str) -> None:
    error = _rejection({"from": text, "to": "2024-06-01"})

    assert error.details == [{"parameter": "from", "message": error.details[0]["message"]}]
    assert error.message.startswith("invalid parameter 'from': ")


def test_window_bad_from_and_to_both_named() -> None:
    error = _rejection({"from": "x", "to": "y"})

    assert [d["parameter"] for d in error.details] == ["to", "from"]


def test_window_unknown_parameters_rejected_naming_them() -> None:
    error = _rejection({"from": "2024-01-01", "namespce": "shop", "From": "x"})

    assert error.message == "unknown query parameter(s): namespce, From"
    assert {d["parameter"] for d in error.details} == {"namespce", "From"}


def test_window_python_name_of_from_is_unknown_parameter() -> None:
    error = _rejection({"from_": "2024-01-01"})

    assert error.details == [{"parameter": "from_", "message": "unknown parameter"}]


def test_window_long_bad_value_cut_in_message() -> None:
    error = _rejection({"from": "x" * 500, "to": "2024-06-01"})

    assert len(error.message) < 250
