"""Recommendations: active ones, their history, and the savings they add up to."""

from aiohttp import web

from queryapi.appkeys import ENGINE, SETTINGS
from queryapi.params import RecommendationFilters, RecommendationParams
from queryapi.recommendations import read_history, read_list, read_summary
from queryapi.registry import endpoint
from queryapi.results import RecommendationHistory, RecommendationList, RecommendationSummary
from queryapi.routes.common import model_response, read_query

routes = web.RouteTableDef()
_ERRORS = (400, 502, 503, 504)


@endpoint(routes, "GET", "/api/v1/recommendations", summary="Active recommendations", tag="recommendations",
          query=RecommendationParams, response=RecommendationList, errors=_ERRORS)
async def get_recommendations(request: web.Request) -> web.Response:
    """Recommendations active at `to` (default now), filtered by `severity`, `type`, `scope`,
    `namespace`; each with its current and recommended values and savings per year (kWh, g
    CO2e, `currency`). Critical first, then by id; paged. Empty until the exporter publishes them.
    """
    params = read_query(request, RecommendationParams)
    return model_response(await read_list(request.app[ENGINE], params, request.app[SETTINGS].currency))


@endpoint(routes, "GET", "/api/v1/recommendations/history", summary="Recommendations seen in a window",
          tag="recommendations", query=RecommendationParams, response=RecommendationHistory, errors=_ERRORS)
async def get_recommendation_history(request: web.Request) -> web.Response:
    """Recommendations active at any time in `from`..`to`, with `first_seen` and `last_seen`
    (UTC) and their latest figures in the window; same filters and order as the active list.
    """
    params = read_query(request, RecommendationParams)
    return model_response(await read_history(request.app[ENGINE], params, request.app[SETTINGS].currency))


@endpoint(routes, "GET", "/api/v1/recommendations/summary", summary="Savings potential per year",
          tag="recommendations", query=RecommendationFilters, response=RecommendationSummary, errors=_ERRORS)
async def get_recommendation_summary(request: web.Request) -> web.Response:
    """Savings per year of the recommendations active at `to` (kWh, g CO2e, `currency`): in
    all, by type and by severity, with counts; same filters as the list."""
    params = read_query(request, RecommendationFilters)
    return model_response(await read_summary(request.app[ENGINE], params, request.app[SETTINGS].currency))
