"""The report: one row per (period, group), streamed, and the summary of what it streams.

`iter_batches` reads the buckets in batches, a few batches ahead of the one being written:
hourly buckets of recorded series HOURS_PER_QUERY at a time (range queries, history.read_hourly),
other buckets BUCKETS_PER_BATCH at a time (their four counters concurrently). Memory holds a
few batches' rows, never the whole report. A row is a tuple in `columns(aggregate)` order. The summary
consumes the same rows in the same order, so its row count is the export's and each total is
the sum of the export's column, added in the export's order (what a reader of the file adds up).

CSV cells that are text and start with `=`, `+`, `-`, `@`, tab or carriage return get a
leading `'`, so a spreadsheet shows them instead of running them as formulas; numbers are
written with repr() (the shortest exact form) and never changed, negative ones included.
"""

import asyncio
import csv
import io
import json
from collections import deque
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from exporter.catalogue import POD_CO2E, POD_COST, POD_EMBODIED_CO2E, POD_ENERGY
from queryapi.buckets import Bucket
from queryapi.engine import QueryEngine
from queryapi.gather import Key, gather_all
from queryapi.history import (
    AGGREGATE_LABELS,
    filter_matchers,
    read_buckets,
    read_hourly,
    read_phase_weight,
    reads_hourly,
)
from queryapi.hourly import HOURS_PER_QUERY
from queryapi.params import ReportParams
from queryapi.results import ReportSummary

JOULES_PER_KWH = 3_600_000.0
COUNTERS = (POD_ENERGY, POD_CO2E, POD_EMBODIED_CO2E, POD_COST)
VALUE_COLUMNS = ("energy_kwh", "operational_co2e_grams", "embodied_co2e_grams", "cost")
# Batches read ahead of the one being written: enough to keep the engine busy, few enough
# that memory stays a handful of batches' rows. A batch is BUCKETS_PER_BATCH buckets (their
# counters read concurrently; daily buckets' days in one range query per counter and phase),
# or HOURS_PER_QUERY hourly buckets (two range queries): two of those keep the engine's cores
# busy, and more in flight only made the engine and the API compete for CPU.
LOOKAHEAD = 4
HOURLY_LOOKAHEAD = 2
BUCKETS_PER_BATCH = 7
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Distinct time, label and currency fields a FieldCache keeps (a few MB at most).
FIELD_CACHE_LIMIT = 20_000
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "ndjson": "application/x-ndjson"}
# (period_start, period_end, *the aggregate's labels, *VALUE_COLUMNS, currency)
Row = tuple


def columns(aggregate: str) -> list[str]:
    """CSV header: period, the aggregate's labels, the four figures, the currency."""
    return ["period_start", "period_end", *AGGREGATE_LABELS[aggregate], *VALUE_COLUMNS, "currency"]


async def batch_rows(engine: QueryEngine, params: ReportParams, currency: str, batch: Sequence[Bucket],
                     weights: tuple[float, ...]) -> list[Row]:
    """The rows of `batch`, bucket by bucket, one per group with data in the bucket, ordered by
    the group's labels; `weights`: history.read_phase_weight of each of COUNTERS."""
    by = AGGREGATE_LABELS[params.aggregate]
    matchers = filter_matchers(params)
    if reads_hourly(POD_ENERGY, by, matchers, params.group_by):
        cells = await read_hourly(engine, COUNTERS, by, matchers, batch, weights)
    else:
        cells = await _batch_cells(engine, by, matchers, batch, weights)
    rows: list[Row] = []
    for bucket, groups in zip(batch, cells, strict=True):
        start, end = bucket.start, bucket.end
        rows += [(start, end, *key, energy / JOULES_PER_KWH, operational, embodied, cost, currency)
                 for key, (energy, operational, embodied, cost) in sorted(groups.items())]
    return rows


async def _batch_cells(engine: QueryEngine, by: Sequence[str], matchers: dict[str, str], batch: Sequence[Bucket],
                       weights: tuple[float, ...]) -> list[dict[Key, list[float]]]:
    """Per bucket of `batch`, its four counters per group (0.0 where one has none)."""
    answers = await gather_all(read_buckets(engine, counter, by, matchers, batch, weight)
                               for counter, weight in zip(COUNTERS, weights, strict=True))
    cells = []
    for per_counter in zip(*answers, strict=True):
        keys = set().union(*per_counter)
        cells.append({key: [answer.get(key, 0.0) for answer in per_counter] for key in keys})
    return cells


async def iter_batches(engine: QueryEngine, params: ReportParams, currency: str) -> AsyncIterator[list[Row]]:
    """Every row of the report in order (period, then group), in batches of buckets (possibly
    empty), LOOKAHEAD (hourly: HOURLY_LOOKAHEAD) batches read ahead."""
    by, matchers = AGGREGATE_LABELS[params.aggregate], filter_matchers(params)
    weights = tuple(await gather_all(read_phase_weight(engine, counter, by, matchers, params.window)
                                     for counter in COUNTERS)) if params.buckets else ()
    hourly = reads_hourly(POD_ENERGY, by, matchers, params.group_by)
    size, ahead = (HOURS_PER_QUERY, HOURLY_LOOKAHEAD) if hourly else (BUCKETS_PER_BATCH, LOOKAHEAD)
    batches = (params.buckets[index:index + size] for index in range(0, len(params.buckets), size))
    pending: deque[asyncio.Task[list[Row]]] = deque()
    try:
        while True:
            while len(pending) < ahead and (batch := next(batches, None)) is not None:
                pending.append(asyncio.ensure_future(batch_rows(engine, params, currency, batch, weights)))
            if not pending:
                return
            yield await pending.popleft()
    finally:
        for task in pending:  # the client went away, or a query failed: stop the rest
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def summarize(engine: QueryEngine, params: ReportParams, currency: str) -> ReportSummary:
    """Row count and column totals of exactly the rows `iter_batches` gives for `params`."""
    count, totals = 0, [0.0] * len(VALUE_COLUMNS)
    first = 2 + len(AGGREGATE_LABELS[params.aggregate])
    async for rows in iter_batches(engine, params, currency):
        count += len(rows)
        for row in rows:
            for index, value in enumerate(row[first:first + len(VALUE_COLUMNS)]):
                totals[index] += value
    start, end = params.window
    return ReportSummary(
        row_count=count, total_energy_kwh=totals[0], total_operational_co2e_grams=totals[1],
        total_embodied_co2e_grams=totals[2], total_cost=totals[3], currency=currency,
        group_by=params.group_by, aggregate=params.aggregate, tz=params.tz, from_=start, to=end,
    )


def csv_line(cells: list[object]) -> str:
    """One CSV record (RFC 4180 quoting, CRLF); text cells made formula-safe, numbers as repr()."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_csv_cell(cell) for cell in cells])
    return buffer.getvalue()


def csv_rows(rows: Sequence[Row], fields: "FieldCache | None" = None) -> str:
    """Rows as CSV records, exactly as `csv_line` writes each (RFC 4180 quoting, CRLF). Each
    distinct time, label and currency cell is made once (`fields`: pass one cache for every
    call of an export, so its labels are not made again per call); numbers are written with
    repr(), which is what the csv module writes for a float (half the csv.writer time)."""
    fields = FieldCache() if fields is None else fields
    labels_of: dict[tuple, str] = {}
    lines = []
    start = end = currency = None
    head = tail = ""
    for row in rows:
        if row[0] is not start or row[1] is not end:
            start, end = row[0], row[1]
            head = f"{fields[start]},{fields[end]}"
        if row[-1] is not currency:
            currency = row[-1]
            tail = f",{fields[currency]}\r\n"
        key = row[2:-5]
        labels = labels_of.get(key)
        if labels is None:
            labels = labels_of[key] = "".join(["," + fields[label] for label in key])
        lines.append(f"{head}{labels},{row[-5]!r},{row[-4]!r},{row[-3]!r},{row[-2]!r}{tail}")
    return "".join(lines)


class FieldCache(dict):
    """Time or text -> its CSV field, made on first use: the cell as `_csv_cell` makes it,
    quoted by the csv module as in a record of several fields. Starts over past
    FIELD_CACHE_LIMIT fields (a pod export of a large cluster has many labels)."""

    def __missing__(self, value: object) -> str:
        if len(self) >= FIELD_CACHE_LIMIT:
            self.clear()
        # A record of one empty field is written `""`; followed by another field it is not.
        text = self[value] = csv_line([value, ""]).removesuffix(",\r\n")
        return text


def json_row(row: Row, aggregate: str) -> str:
    """One row as a JSON object, keys in `columns(aggregate)` order (only the aggregate's labels)."""
    cells = dict(zip(columns(aggregate), row, strict=True))
    cells["period_start"], cells["period_end"] = _iso(row[0]), _iso(row[1])
    return json.dumps(cells, separators=(",", ":"))


def format_rows(rows: Sequence[Row], params: ReportParams, written: int, fields: FieldCache | None = None) -> str:
    """`rows` in the export's format, `written` rows having been sent before them; `fields`:
    the export's CSV field cache (`csv_rows`)."""
    if params.format == "csv":
        return csv_rows(rows, fields)
    if params.format == "ndjson":
        return "".join(json_row(row, params.aggregate) + "\n" for row in rows)
    return "".join(("," if written + index else "") + "\n" + json_row(row, params.aggregate)
                   for index, row in enumerate(rows))


def filename(params: ReportParams) -> str:
    """`greenkube-report-<from>-<to>.<format>` with compact UTC times (safe in a header)."""
    start, end = params.window
    extension = "json" if params.format == "json" else params.format
    return f"greenkube-report-{_compact(start)}-{_compact(end)}.{extension}"


def _csv_cell(cell: object) -> str:
    if isinstance(cell, float | int) and not isinstance(cell, bool):
        return repr(float(cell)) if isinstance(cell, float) else str(cell)
    if isinstance(cell, datetime):
        return _iso(cell)
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _compact(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")
