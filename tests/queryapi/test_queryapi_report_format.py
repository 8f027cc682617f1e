"""Report encoding: formula-safe CSV that keeps numbers exact, JSON rows, file names. Pure."""

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from queryapi import report
from queryapi.params import ReportParams
from queryapi.report import FieldCache, columns, csv_line, csv_rows, filename, format_rows, json_row
from queryapi.results import ReportRow
from tests.queryapi.hostile import HOSTILE

# period_start, period_end, namespace, energy_kwh, operational and embodied CO2e, cost, currency
ROW = (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 2, tzinfo=UTC), "shop", 1.25, 450.0, 1e-05, -0.5, "EUR")


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("shop", "shop"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_csv_line_text_starting_like_formula_quoted(text: str, cell: str) -> None:
    [parsed] = list(csv.reader(io.StringIO(csv_line([text]), newline="")))

    assert parsed == [cell]


@pytest.mark.parametrize(
    ("number", "cell"),
    [(-0.5, "-0.5"), (-12, "-12"), (1e-05, "1e-05"), (0.1 + 0.2, "0.30000000000000004"), (-3.5e20, "-3.5e+20")],
)
def test_csv_line_numbers_never_changed(number: float, cell: str) -> None:
    assert csv_line([number]) == f"{cell}\r\n"
    assert float(cell) == number


def test_csv_rows_namespace_columns_in_order() -> None:
    line = csv_rows([ROW])

    assert columns("namespace") == ["period_start", "period_end", "namespace", "energy_kwh",
                                    "operational_co2e_grams", "embodied_co2e_grams", "cost", "currency"]
    assert line == "2024-03-01T00:00:00Z,2024-03-02T00:00:00Z,shop,1.25,450.0,1e-05,-0.5,EUR\r\n"


def test_csv_rows_hostile_label_from_engine_quoted() -> None:
    hostile = (*ROW[:2], '=cmd|" /C calc"!A0', *ROW[3:])

    parsed = list(csv.reader(io.StringIO(csv_rows([hostile, ROW, hostile]), newline="")))

    assert [row[2] for row in parsed] == ["'=cmd|\" /C calc\"!A0", "shop", "'=cmd|\" /C calc\"!A0"]
    assert {row[6] for row in parsed} == {"-0.5"}


@pytest.mark.parametrize("number", [-0.5, -3.5e20, 1e-05, 0.1 + 0.2, -0.0])
def test_csv_rows_numbers_same_as_csv_line(number: float) -> None:
    row = (*ROW[:3], number, -number, number, number, "EUR")

    assert csv_rows([row]) == csv_line(list(row))
    [parsed] = list(csv.reader(io.StringIO(csv_rows([row]), newline="")))
    assert [float(cell) for cell in parsed[3:7]] == [number, -number, number, number]


@pytest.mark.parametrize("label", ["", '"', "a,b", "line\nbreak", "cr\r", "=1+1", "-2", " x ", "ünï"]
                         + [value for value, _ in HOSTILE])
def test_csv_rows_each_record_as_csv_line_writes_it(label: str) -> None:
    pod_row = (*ROW[:2], label, "web-0", label, *ROW[3:])
    rows = [pod_row, (*ROW[:2], "shop", label, "n1", *ROW[3:]), pod_row]

    assert csv_rows(rows) == "".join(csv_line(list(row)) for row in rows)
    parsed = list(csv.reader(io.StringIO(csv_rows(rows), newline="")))
    assert [row[8] for row in parsed] == ["-0.5"] * 3  # cost, after three label columns


def test_csv_rows_shared_field_cache_same_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "FIELD_CACHE_LIMIT", 3)  # starts over within each call
    rows = [(*ROW[:2], f"ns-{index}", *ROW[3:]) for index in range(5)] + [ROW]
    fields = FieldCache()

    texts = [csv_rows(rows[:3], fields), csv_rows(rows[3:], fields), csv_rows(rows[:3], fields)]

    assert texts == [csv_rows(rows[:3]), csv_rows(rows[3:]), csv_rows(rows[:3])]
    assert "".join(texts[:2]) == "".join(csv_line(list(row)) for row in rows)
    assert len(fields) <= 3


def test_json_row_leaves_out_absent_labels() -> None:
    assert json.loads(json_row(ROW, "namespace")) == {
        "period_start": "2024-03-01T00:00:00Z", "period_end": "2024-03-02T00:00:00Z", "namespace": "shop",
        "energy_kwh": 1.25, "operational_co2e_grams": 450.0, "embodied_co2e_grams": 1e-05, "cost": -0.5,
        "currency": "EUR",
    }


def test_json_row_same_as_report_row_model() -> None:
    model = ReportRow(**dict(zip(columns("namespace"), ROW, strict=True)))

    assert json_row(ROW, "namespace") == json.dumps(model.model_dump(mode="json", exclude_none=True),
                                                    separators=(",", ":"))


def test_format_rows_json_separators_continue_across_batches() -> None:
    params = ReportParams.model_validate({"from": "2024-03-01", "to": "2024-03-08", "format": "json"})

    text = "[" + format_rows([ROW], params, 0) + format_rows([ROW, ROW], params, 1) + "\n]\n"

    assert json.loads(text) == [json.loads(json_row(ROW, "namespace"))] * 3


def test_filename_compact_utc_window() -> None:
    params = ReportParams.model_validate({"from": "2024-03-01", "to": "2024-03-08", "format": "ndjson"})

    assert filename(params) == "greenkube-report-20240301T000000Z-20240308T000000Z.ndjson"
