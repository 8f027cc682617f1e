"""The report: one row per (period, group), streamed, and the summary of what it streams.

`iter_rows` reads one bucket at a time (its four counters concurrently, a few buckets ahead),
so memory holds a few buckets' rows, never the whole report. The summary consumes the same
rows in the same order, so its row count is the export's and each total is the sum of the
export's column, added in the export's order (what a reader of the file adds up).

CSV cells that are text and start with `=`, `+`, `-`, `@`, tab or carriage return get a
leading `'`, so a spreadsheet shows them instead of running them as formulas; numbers are
written with repr() (the shortest exact form) and never changed, negative ones included.
"""

import asyncio
import csv
import io
import json
from collections import deque
from collections.abc import AsyncIterator
from datetime import datetime

from exporter.catalogue import POD_CO2E, POD_COST, POD_EMBODIED_CO2E, POD_ENERGY
from queryapi.buckets import Bucket
from queryapi.engine import QueryEngine
from queryapi.gather import gather_all
from queryapi.history import AGGREGATE_LABELS, filter_matchers, read_bucket, read_phase_weight
from queryapi.params import ReportParams
from queryapi.results import ReportRow, ReportSummary

JOULES_PER_KWH = 3_600_000.0
COUNTERS = (POD_ENERGY, POD_CO2E, POD_EMBODIED_CO2E, POD_COST)
VALUE_COLUMNS = ("energy_kwh", "operational_co2e_grams", "embodied_co2e_grams", "cost")
# Buckets read ahead of the one being written: enough to keep the engine busy, few enough
# that memory stays a handful of buckets' rows.
LOOKAHEAD = 4
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "ndjson": "application/x-ndjson"}


def columns(aggregate: str) -> list[str]:
    """CSV header: period, the aggregate's labels, the four figures, the currency."""
    return ["period_start", "period_end", *AGGREGATE_LABELS[aggregate], *VALUE_COLUMNS, "currency"]


async def bucket_rows(engine: QueryEngine, params: ReportParams, currency: str, bucket: Bucket,
                      weights: tuple[float, ...]) -> list[ReportRow]:
    """The rows of one bucket, one per group with data in it, ordered by the group's labels;
    `weights`: history.read_phase_weight of each of COUNTERS."""
    by = AGGREGATE_LABELS[params.aggregate]
    matchers = filter_matchers(params)
    energy, operational, embodied, cost = await gather_all(
        read_bucket(engine, counter, by, matchers, bucket, weight)
        for counter, weight in zip(COUNTERS, weights, strict=True)
    )
    rows = []
    for key in sorted(energy.keys() | operational.keys() | embodied.keys() | cost.keys()):
        rows.append(ReportRow(
            period_start=bucket.start, period_end=bucket.end, **dict(zip(by, key, strict=True)),
            energy_kwh=energy.get(key, 0.0) / JOULES_PER_KWH, operational_co2e_grams=operational.get(key, 0.0),
            embodied_co2e_grams=embodied.get(key, 0.0), cost=cost.get(key, 0.0), currency=currency,
        ))
    return rows


async def iter_rows(engine: QueryEngine, params: ReportParams, currency: str) -> AsyncIterator[ReportRow]:
    """Every row of the report in order (period, then group), LOOKAHEAD buckets read ahead."""
    by, matchers = AGGREGATE_LABELS[params.aggregate], filter_matchers(params)
    weights = tuple(await gather_all(read_phase_weight(engine, counter, by, matchers, params.window)
                                     for counter in COUNTERS)) if params.buckets else ()
    pending: deque[asyncio.Task[list[ReportRow]]] = deque()
    buckets = iter(params.buckets)
    try:
        while True:
            while len(pending) < LOOKAHEAD and (bucket := next(buckets, None)) is not None:
                pending.append(asyncio.ensure_future(bucket_rows(engine, params, currency, bucket, weights)))
            if not pending:
                return
            for row in await pending.popleft():
                yield row
    finally:
        for task in pending:  # the client went away, or a query failed: stop the rest
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def summarize(engine: QueryEngine, params: ReportParams, currency: str) -> ReportSummary:
    """Row count and column totals of exactly the rows `iter_rows` gives for `params`."""
    count, totals = 0, dict.fromkeys(VALUE_COLUMNS, 0.0)
    async for row in iter_rows(engine, params, currency):
        count += 1
        for column in VALUE_COLUMNS:
            totals[column] += getattr(row, column)
    start, end = params.window
    return ReportSummary(
        row_count=count, total_energy_kwh=totals["energy_kwh"],
        total_operational_co2e_grams=totals["operational_co2e_grams"],
        total_embodied_co2e_grams=totals["embodied_co2e_grams"], total_cost=totals["cost"], currency=currency,
        group_by=params.group_by, aggregate=params.aggregate, tz=params.tz, from_=start, to=end,
    )


def csv_line(cells: list[object]) -> str:
    """One CSV record (RFC 4180 quoting, CRLF); text cells made formula-safe, numbers as repr()."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_csv_cell(cell) for cell in cells])
    return buffer.getvalue()


def csv_row(row: ReportRow, aggregate: str) -> str:
    """One report row as a CSV record, in `columns(aggregate)` order."""
    return csv_line([getattr(row, column) for column in columns(aggregate)])


def json_row(row: ReportRow) -> str:
    """One row as a JSON object (labels the aggregate does not have are left out)."""
    return json.dumps(row.model_dump(mode="json", exclude_none=True), separators=(",", ":"))


def filename(params: ReportParams) -> str:
    """`greenkube-report-<from>-<to>.<format>` with compact UTC times (safe in a header)."""
    start, end = params.window
    extension = "json" if params.format == "json" else params.format
    return f"greenkube-report-{_compact(start)}-{_compact(end)}.{extension}"


def _csv_cell(cell: object) -> str:
    if isinstance(cell, float | int) and not isinstance(cell, bool):
        return repr(float(cell)) if isinstance(cell, float) else str(cell)
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _compact(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")
