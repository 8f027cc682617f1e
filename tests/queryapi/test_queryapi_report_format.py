"""Report encoding: formula-safe CSV that keeps numbers exact, JSON rows, file names. Pure."""

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from queryapi.params import ReportParams
from queryapi.report import columns, csv_line, csv_row, filename, json_row
from queryapi.results import ReportRow

ROW = ReportRow(period_start=datetime(2024, 3, 1, tzinfo=UTC), period_end=datetime(2024, 3, 2, tzinfo=UTC),
                namespace="shop", energy_kwh=1.25, operational_co2e_grams=450.0, embodied_co2e_grams=1e-05,
                cost=-0.5, currency="EUR")


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


def test_csv_row_namespace_columns_in_order() -> None:
    line = csv_row(ROW, "namespace")

    assert columns("namespace") == ["period_start", "period_end", "namespace", "energy_kwh",
                                    "operational_co2e_grams", "embodied_co2e_grams", "cost", "currency"]
    assert line == "2024-03-01T00:00:00Z,2024-03-02T00:00:00Z,shop,1.25,450.0,1e-05,-0.5,EUR\r\n"


def test_csv_row_hostile_label_from_engine_quoted() -> None:
    row = ROW.model_copy(update={"namespace": '=cmd|" /C calc"!A0'})

    [parsed] = list(csv.reader(io.StringIO(csv_row(row, "namespace"), newline="")))

    assert parsed[2] == "'=cmd|\" /C calc\"!A0"
    assert parsed[6] == "-0.5"


def test_json_row_leaves_out_absent_labels() -> None:
    assert json.loads(json_row(ROW)) == {
        "period_start": "2024-03-01T00:00:00Z", "period_end": "2024-03-02T00:00:00Z", "namespace": "shop",
        "energy_kwh": 1.25, "operational_co2e_grams": 450.0, "embodied_co2e_grams": 1e-05, "cost": -0.5,
        "currency": "EUR",
    }


def test_filename_compact_utc_window() -> None:
    params = ReportParams.model_validate({"from": "2024-03-01", "to": "2024-03-08", "format": "ndjson"})

    assert filename(params) == "greenkube-report-20240301T000000Z-20240308T000000Z.ndjson"
