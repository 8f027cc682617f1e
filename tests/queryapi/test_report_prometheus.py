"""GET /api/v1/report/export and /report/summary on the big history (tests/queryapi/scenario.py).

The summary must equal what the export streams for the same parameters: its row count, and
each total the sum of the export's column added in file order (exact float equality). Row
values are checked against the ground truth with the 0.5% tolerance of
test_history_prometheus (same readings).
"""

import csv
import io
import json
from datetime import datetime

import pytest

from exporter.catalogue import NODE_UNALLOCATED_ENERGY, POD_COST, POD_ENERGY
from tests.queryapi.scenario import truth

WHOLE = {"from": "2024-01-31T00:00:00Z", "to": "2024-03-12T00:00:00Z"}
# 72 hourly buckets (3 batches of range queries) around the restart of 2024-02-14 10:21-10:33.
THREE_DAYS = {"from": "2024-02-13T00:00:00Z", "to": "2024-02-16T00:00:00Z", "group_by": "hourly"}
COLUMNS = ("energy_kwh", "operational_co2e_grams", "embodied_co2e_grams", "cost")


def _rows(text: str, fmt: str) -> list[dict]:
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        return [{**row, **{column: float(row[column]) for column in COLUMNS}} for row in rows]
    if fmt == "json":
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines()]


def _sums(rows: list[dict]) -> dict[str, float]:
    totals = dict.fromkeys(COLUMNS, 0.0)
    for row in rows:
        for column in COLUMNS:
            totals[column] += row[column]
    return totals


def _seconds(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


@pytest.mark.parametrize(
    ("fmt", "media_type"), [("csv", "text/csv"), ("json", "application/json"), ("ndjson", "application/x-ndjson")]
)
async def test_report_summary_equals_export_exactly(history_prometheus, api_client, fmt: str, media_type: str) -> None:
    client = await api_client(prometheus_url=history_prometheus.url)
    params = {**WHOLE, "group_by": "daily", "aggregate": "namespace", "format": fmt}

    export = await client.get("/api/v1/report/export", params=params)
    text = await export.text()
    summary = await (await client.get("/api/v1/report/summary", params=params)).json()

    assert export.status == 200
    assert export.headers["Content-Type"] == f"{media_type}; charset=utf-8"
    assert export.headers["Content-Disposition"] == (
        f'attachment; filename="greenkube-report-20240131T000000Z-20240312T000000Z.{fmt}"')
    rows = _rows(text, fmt)
    sums = _sums(rows)
    # 41 days x 3 namespaces + 15 days with ml.
    assert summary["row_count"] == len(rows) == 41 * 3 + 15
    assert (summary["total_energy_kwh"], summary["total_operational_co2e_grams"],
            summary["total_embodied_co2e_grams"], summary["total_cost"]) == (
        sums["energy_kwh"], sums["operational_co2e_grams"], sums["embodied_co2e_grams"], sums["cost"])
    assert (summary["from"], summary["to"], summary["aggregate"], summary["group_by"]) == (
        WHOLE["from"], WHOLE["to"], "namespace", "daily")


async def test_report_export_rows_match_truth(history_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=history_prometheus.url, currency="EUR")

    text = await (await client.get("/api/v1/report/export", params={
        **WHOLE, "group_by": "weekly", "aggregate": "namespace", "tz": "America/New_York"})).text()

    rows = _rows(text, "csv")
    assert list(rows[0]) == ["period_start", "period_end", "namespace", *COLUMNS, "currency"]
    for row in rows:
        start, end = _seconds(row["period_start"]), _seconds(row["period_end"])
        namespace = row["namespace"]
        assert row["energy_kwh"] * 3.6e6 == pytest.approx(truth([POD_ENERGY], start, end, namespace=namespace),
                                                          rel=0.005)
        assert row["cost"] == pytest.approx(truth([POD_COST], start, end, namespace=namespace), rel=0.005)
        assert row["currency"] == "EUR"
    assert rows[0]["period_start"] == "2024-01-31T00:00:00Z"  # cut to the window (the week began on Monday)
    assert rows[0]["period_end"] == "2024-02-05T05:00:00Z"  # Monday 00:00 in New York


async def test_report_export_pod_aggregate_has_pod_labels(history_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=history_prometheus.url)
    params = {"from": "2024-02-20", "to": "2024-02-21", "aggregate": "pod", "namespace": "shop", "format": "json"}

    rows = await (await client.get("/api/v1/report/export", params=params)).json()
    summary = await (await client.get("/api/v1/report/summary", params=params)).json()

    assert [(r["namespace"], r["pod"], r["node"]) for r in rows] == [
        ("shop", "web-0", "node-a"), ("shop", "web-1", "node-b"), ("shop", "web-1-v2", "node-b")]
    assert rows[0]["energy_kwh"] == pytest.approx(30 * 86400 / 3.6e6, rel=1e-9)
    assert summary["row_count"] == 3
    assert summary["total_energy_kwh"] == sum(r["energy_kwh"] for r in rows)


async def test_report_export_node_aggregate_monthly(history_prometheus, api_client) -> None:
    client = await api_client(prometheus_url=history_prometheus.url)

    rows = _rows(await (await client.get("/api/v1/report/export", params={
        **WHOLE, "group_by": "monthly", "aggregate": "node", "format": "ndjson"})).text(), "ndjson")

    assert [(r["period_start"][:10], r["node"]) for r in rows] == [
        ("2024-01-31", "node-a"), ("2024-01-31", "node-b"), ("2024-02-01", "node-a"), ("2024-02-01", "node-b"),
        ("2024-03-01", "node-a"), ("2024-03-01", "node-b")]
    assert all("namespace" not in row and "pod" not in row for row in rows)


@pytest.mark.parametrize(("fmt", "empty"), [("csv", None), ("json", "[\n]\n"), ("ndjson", "")])
async def test_report_export_window_before_data_empty(history_prometheus, api_client, fmt: str, empty) -> None:
    client = await api_client(prometheus_url=history_prometheus.url)
    params = {"from": "2023-01-01", "to": "2023-01-08", "format": fmt}

    text = await (await client.get("/api/v1/report/export", params=params)).text()
    summary = await (await client.get("/api/v1/report/summary", params=params)).json()

    header = "period_start,period_end,namespace,energy_kwh,operational_co2e_grams,embodied_co2e_grams,cost,currency\r\n"
    assert text == (header if fmt == "csv" else empty)
    assert (summary["row_count"], summary["total_energy_kwh"], summary["total_cost"]) == (0, 0.0, 0.0)


@pytest.mark.parametrize(("aggregate", "metrics"), [("namespace", [POD_ENERGY]),
                                                    ("node", [POD_ENERGY, NODE_UNALLOCATED_ENERGY])])
async def test_report_hourly_export_equals_summary_timeseries_and_truth(history_prometheus, api_client,
                                                                       aggregate: str, metrics) -> None:
    client = await api_client(prometheus_url=history_prometheus.url)
    params = {**THREE_DAYS, "aggregate": aggregate}

    rows = _rows(await (await client.get("/api/v1/report/export", params=params)).text(), "csv")
    summary = await (await client.get("/api/v1/report/summary", params=params)).json()
    series = (await (await client.get("/api/v1/timeseries/energy", params=params)).json())["series"]

    sums = _sums(rows)
    assert summary["row_count"] == len(rows) == 72 * len(series)  # every group has data every hour
    assert (summary["total_energy_kwh"], summary["total_cost"]) == (sums["energy_kwh"], sums["cost"])
    energy = {(row[aggregate], row["period_start"]): row["energy_kwh"] * 3.6e6 for row in rows}
    for one in series:
        label = one["labels"][aggregate]
        for point in one["points"]:
            # The same readings, added the same way; only the kWh conversion rounds.
            assert energy[label, point["timestamp"]] == pytest.approx(point["value"], rel=1e-12)
            start = _seconds(point["timestamp"])
            assert point["value"] == pytest.approx(truth(metrics, start, start + 3600, **{aggregate: label}),
                                                   rel=0.005)
    assert [row["period_start"] for row in rows[:: len(series)]][:2] == ["2024-02-13T00:00:00Z",
                                                                         "2024-02-13T01:00:00Z"]
