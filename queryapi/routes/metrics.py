"""Cluster metrics over a window, and per namespace, node and pod."""

from aiohttp import web

from queryapi.appkeys import ENGINE, SETTINGS
from queryapi.cluster import read_cluster_metrics
from queryapi.inventory import Context, read_namespaces, read_nodes, read_pods
from queryapi.models import ClusterMetrics, WindowParams
from queryapi.params import NamespaceListParams, NodeListParams, PodListParams
from queryapi.registry import endpoint
from queryapi.results import NamespaceList, NodeList, PodList
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


def _context(request: web.Request) -> Context:
    settings = request.app[SETTINGS]
    return Context(request.app[ENGINE], settings.currency, settings.power_window_seconds)


@endpoint(routes, "GET", "/api/v1/metrics/namespaces", summary="Per-namespace totals over a window", tag="metrics",
          query=NamespaceListParams, response=NamespaceList, errors=(400, 502, 503, 504))
async def get_namespace_metrics(request: web.Request) -> web.Response:
    """Per namespace over `from`..`to`: its pods' energy (J, kWh, before PUE), CO2e (g,
    operational and embodied) and cost (`currency`) as increase() over the window; power (W) at
    `to`; pod and node counts; energy-weighted intensity (g/kWh); sustainability score (0..100).

    A namespace with no data (or none at all) gives an empty page, not an error. Sorted by
    `sort` (any numeric field) and `order`, names breaking ties; paged by `offset`, `limit`.
    """
    params = read_query(request, NamespaceListParams)
    return model_response(await read_namespaces(_context(request), params))


@endpoint(routes, "GET", "/api/v1/metrics/nodes", summary="Per-node totals, facts and sources", tag="metrics",
          query=NodeListParams, response=NodeList, errors=(400, 502, 503, 504))
async def get_node_metrics(request: web.Request) -> web.Response:
    """Per node over `from`..`to`: what it used, pods plus unallocated idle (J, kWh, g CO2e,
    `currency`); power (W) and CPU utilisation (0..1) at `to`; instance type, provider, region,
    zone, grid zone with its intensity (g/kWh) and source, PUE, vCPU (cores), memory (bytes).
    """
    params = read_query(request, NodeListParams)
    return model_response(await read_nodes(_context(request), params))


@endpoint(routes, "GET", "/api/v1/metrics/pods", summary="Per-pod figures over a window", tag="metrics",
          query=PodListParams, response=PodList, errors=(400, 502, 503, 504))
async def get_pod_metrics(request: web.Request) -> web.Response:
    """Per pod over `from`..`to`, filtered by `namespace`, `node`, `pod`: energy (J, kWh), CO2e
    (g), cost (`currency`), power (W) at `to`, average CPU usage and request (cores) and memory
    usage and request (bytes) over the window, owner kind and name. Sorted and paged.
    """
    params = read_query(request, PodListParams)
    return model_response(await read_pods(_context(request), params))
