"""Energy, carbon, cost and usage over time, in calendar buckets."""

from aiohttp import web

from queryapi.appkeys import ENGINE, SETTINGS
from queryapi.history import read_timeseries
from queryapi.params import MetricTimeseriesParams, TimeseriesParams
from queryapi.registry import endpoint
from queryapi.results import Timeseries
from queryapi.routes.common import model_response, read_query

routes = web.RouteTableDef()
_ERRORS = (400, 502, 503, 504)


@endpoint(routes, "GET", "/api/v1/timeseries", summary="A metric over time in calendar buckets", tag="timeseries",
          query=TimeseriesParams, response=Timeseries, errors=_ERRORS)
async def get_timeseries(request: web.Request) -> web.Response:
    """`metric` per `group_by` bucket (hourly, daily, ISO weekly, monthly; calendar of `tz`) over
    the window widened to whole hours: energy (J), carbon and embodied_carbon (g CO2e), cost
    (`currency`), power (average W), cpu (average cores), memory (average bytes).

    One series per `aggregate` group (one for the cluster); `namespace`, `node`, `pod` filter.
    Namespace, node and cluster figures read the recorded series of rules/history.yml; the
    buckets add up to the window's total. Each point is stamped with its bucket's start (UTC).
    """
    params = read_query(request, TimeseriesParams)
    return await _answer(request, params, params.metric)


async def _answer(request: web.Request, params: MetricTimeseriesParams, metric: str) -> web.Response:
    timeseries = await read_timeseries(request.app[ENGINE], params, metric, request.app[SETTINGS].currency)
    return model_response(timeseries)


@endpoint(routes, "GET", "/api/v1/timeseries/energy", summary="Energy over time", tag="timeseries",
          query=MetricTimeseriesParams, response=Timeseries, errors=_ERRORS)
async def get_energy_timeseries(request: web.Request) -> web.Response:
    """IT energy in joules (before PUE) per bucket: /api/v1/timeseries with metric=energy."""
    return await _answer(request, read_query(request, MetricTimeseriesParams), "energy")


@endpoint(routes, "GET", "/api/v1/timeseries/carbon", summary="Operational carbon over time", tag="timeseries",
          query=MetricTimeseriesParams, response=Timeseries, errors=_ERRORS)
async def get_carbon_timeseries(request: web.Request) -> web.Response:
    """Operational grams CO2e per bucket: /api/v1/timeseries with metric=carbon."""
    return await _answer(request, read_query(request, MetricTimeseriesParams), "carbon")


@endpoint(routes, "GET", "/api/v1/timeseries/cost", summary="Cost over time", tag="timeseries",
          query=MetricTimeseriesParams, response=Timeseries, errors=_ERRORS)
async def get_cost_timeseries(request: web.Request) -> web.Response:
    """Cost in `currency` per bucket: /api/v1/timeseries with metric=cost."""
    return await _answer(request, read_query(request, MetricTimeseriesParams), "cost")
