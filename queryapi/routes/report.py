"""The report: a streamed export (CSV, JSON, NDJSON) and the summary of what it streams."""

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from queryapi.appkeys import ENGINE, SETTINGS
from queryapi.errors import ApiError
from queryapi.params import ReportParams
from queryapi.registry import endpoint
from queryapi.report import (
    MEDIA_TYPES,
    FieldCache,
    Row,
    columns,
    csv_line,
    filename,
    format_rows,
    iter_batches,
    summarize,
)
from queryapi.results import ReportRows, ReportSummary
from queryapi.routes.common import model_response, read_query

log = logging.getLogger("greenkube.queryapi")
routes = web.RouteTableDef()
_ERRORS = (400, 502, 503, 504)
# Rows formatted per write: large writes, a few hundred kB of text at a time.
ROWS_PER_WRITE = 4096


@endpoint(routes, "GET", "/api/v1/report/summary", summary="Row count and totals of an export", tag="report",
          query=ReportParams, response=ReportSummary, errors=_ERRORS)
async def get_report_summary(request: web.Request) -> web.Response:
    """For the same parameters as /api/v1/report/export (`format` aside): its row count and the
    sums of its columns, energy (kWh), operational and embodied CO2e (g), cost (`currency`),
    over the window it uses (whole hours of `tz`). Equal to what the export streams.
    """
    params = read_query(request, ReportParams)
    return model_response(await summarize(request.app[ENGINE], params, request.app[SETTINGS].currency))


@endpoint(routes, "GET", "/api/v1/report/export", summary="Download energy, carbon and cost rows", tag="report",
          query=ReportParams, response=ReportRows, media_types=tuple(MEDIA_TYPES.values()), errors=_ERRORS)
async def get_report_export(request: web.Request) -> web.StreamResponse:
    """One row per (`group_by` period, `aggregate` group): period start and end (UTC), the
    group's labels, energy (kWh), operational and embodied CO2e (g), cost and currency.

    `format=csv` (spreadsheet-safe: text cells that could run as formulas get a leading `'`;
    numbers are never changed), `json` (an array) or `ndjson` (one object per line); sent as
    an attachment, streamed period by period. An engine failure before the first byte is an
    error answer; after it, the connection is cut, so a partial file is never complete.
    """
    params = read_query(request, ReportParams)
    batches = iter_batches(request.app[ENGINE], params, request.app[SETTINGS].currency)
    first = await anext(batches, None)  # engine errors surface here, while an error answer is possible

    response = web.StreamResponse(headers={
        "Content-Type": f"{MEDIA_TYPES[params.format]}; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename(params)}"',
    })
    await response.prepare(request)
    try:
        await _stream(response, params, first, batches)
    except ApiError as err:
        # Headers are sent: no error answer is possible any more. Cutting the connection
        # makes the client see a broken transfer instead of a short but valid-looking file.
        log.warning("report export cut after its start: %s: %s", err.message, err.log_detail)
        if request.transport is not None:
            request.transport.close()
        return response
    except ConnectionResetError:
        log.info("report export: the client went away")
        return response
    finally:
        await batches.aclose()  # cancels the buckets still being read
    await response.write_eof()
    return response


async def _stream(response: web.StreamResponse, params: ReportParams, first: list[Row] | None,
                  batches: AsyncIterator[list[Row]]) -> None:
    """Write the header, every batch's rows (ROWS_PER_WRITE at a time) and the closing text."""
    fmt = params.format
    await response.write({"csv": csv_line(columns(params.aggregate)), "json": "[", "ndjson": ""}[fmt].encode())
    written, rows, fields = 0, first, FieldCache()
    while rows is not None:
        for start in range(0, len(rows), ROWS_PER_WRITE):
            part = rows[start:start + ROWS_PER_WRITE]
            await response.write(format_rows(part, params, written, fields).encode())
            written += len(part)
        rows = await anext(batches, None)
    if fmt == "json":
        await response.write(b"\n]\n")
