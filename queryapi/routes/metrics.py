"""Cluster metrics over a window."""

from aiohttp import web

from queryapi.appkeys import ENGINE, SETTINGS
from queryapi.cluster import read_cluster_metrics
from queryapi.models import ClusterMetrics, WindowParams
from queryapi.registry import endpoint
from queryapi.routes.common import model_response, read_query

routes = web.RouteTableDef()


@endpoint(routes, "GET", "/api/v1/metrics", summary="Cluster totals over a window", tag="metrics",
          query=WindowParams, response=ClusterMetrics, errors=(400, 502, 503, 504))
async def get_cluster_metrics(request: web.Request) -> web.Response:
    """Cluster snapshot over `from`..`to` (UTC; default the last 24 h).

    Totals in grams CO2e, joules and kWh (IT energy, before PUE) and `currency`; power in
    watts at `to`; counts of pods, namespaces and nodes with data in the window.
    """
    window = read_query(request, WindowParams)
    settings = request.app[SETTINGS]
    metrics = await read_cluster_metrics(
        request.app[ENGINE], window, settings.currency, settings.power_window_seconds
    )
    return model_response(metrics)
