"""Configuration, runtime changes to it, health of services, and the API's own metrics."""

import json
import logging

from aiohttp import hdrs, web
from pydantic import ValidationError

from queryapi import promql
from queryapi.appkeys import ENGINE, SETTINGS
from queryapi.errors import (
    ApiError,
    Forbidden,
    InvalidParameter,
    UnknownService,
    UnsupportedMediaType,
    invalid_parameters,
)
from queryapi.registry import endpoint
from queryapi.routes.common import model_response, read_query
from queryapi.runtime_config import RUNTIME
from queryapi.selfmetrics import API_METRICS, CONTENT_TYPE, METRICS_PATH, with_help
from queryapi.service_models import (
    SERVICE_NAMES,
    EffectiveConfig,
    HealthQuery,
    ServiceHealth,
    ServicesHealth,
    ServicesUpdate,
    config_view,
)
from queryapi.services import SERVICES

log = logging.getLogger("greenkube.queryapi")

routes = web.RouteTableDef()


@endpoint(routes, "GET", "/api/v1/config", summary="Effective configuration", tag="config",
          response=EffectiveConfig)
async def get_config(request: web.Request) -> web.Response:
    """Every setting in effect, runtime changes included; secrets are "***" when set, null when not."""
    return model_response(config_view(request.app[RUNTIME].settings))


@endpoint(routes, "POST", "/api/v1/config/services", summary="Change service URLs and tokens until restart",
          tag="config", body=ServicesUpdate, response=EffectiveConfig, errors=(400, 403, 413, 415))
async def post_config_services(request: web.Request) -> web.Response:
    """Change prometheus_url, prometheus_token, opencost_url or electricity_maps_token in memory.

    Needs the API key. Without a key configured it is refused (403) unless
    GREENKUBE_ALLOW_RUNTIME_CONFIG=true. Answers the new effective configuration, redacted.
    """
    settings = request.app[RUNTIME].settings
    if settings.api_key is None and not settings.allow_runtime_config:
        raise Forbidden("runtime configuration is disabled: set GREENKUBE_API_KEY "
                        "(or GREENKUBE_ALLOW_RUNTIME_CONFIG=true on a trusted network)")
    update = await _read_body(request, ServicesUpdate)
    new = await request.app[RUNTIME].apply(update, request.app[ENGINE])
    return model_response(config_view(new))


@endpoint(routes, "GET", "/api/v1/health/services", summary="Health of every service", tag="health",
          query=HealthQuery, response=ServicesHealth)
async def get_services_health(request: web.Request) -> web.Response:
    """Prometheus, Kubernetes, Electricity Maps, OpenCost and the exporter; cached 30 s unless `force`."""
    query = read_query(request, HealthQuery)
    return model_response(await request.app[SERVICES].check_all(query.force))


@endpoint(routes, "GET", "/api/v1/health/services/{service_name}", summary="Health of one service",
          tag="health", query=HealthQuery, response=ServiceHealth, errors=(404,))
async def get_service_health(request: web.Request) -> web.Response:
    """One service by name; 404 for a name that is not one of the five services."""
    name = request.match_info["service_name"]
    if name not in SERVICE_NAMES:
        raise UnknownService(f"no such service; services: {', '.join(SERVICE_NAMES)}",
                             [{"parameter": "service_name", "message": "unknown service"}])
    query = read_query(request, HealthQuery)
    return model_response(await request.app[SERVICES].check(name, query.force))


@endpoint(routes, "GET", METRICS_PATH, summary="The API's own metrics (Prometheus exposition)", tag="meta",
          media_types=("text/plain",), auth=False)
async def get_prometheus_metrics(request: web.Request) -> web.Response:
    """GreenKube's metric families in text format 0.0.4: the exporter's latest samples, read
    from the engine's /federate, then this API process's build info, request counter and
    latency histogram. When the engine cannot be read, only the API's own families are served.

    Open unless GREENKUBE_METRICS_AUTH=true (then it needs the API key like /api/v1).
    """
    job = request.app[SETTINGS].exporter_job
    try:
        exporter_families = with_help(await request.app[ENGINE].federate(promql.exporter_series(job)))
    except ApiError as err:
        log.warning("/prometheus/metrics serves the API's own metrics only: %s (%s)", err, err.log_detail)
        exporter_families = b""
    body = exporter_families + request.app[API_METRICS].render()
    return web.Response(body=body, headers={hdrs.CONTENT_TYPE: CONTENT_TYPE})


async def _read_body(request: web.Request, model: type[ServicesUpdate]) -> ServicesUpdate:
    """A JSON object body validated by `model`; 415 when not declared JSON, 400 when invalid, 413
    (aiohttp, reading it) above the application's client_max_size."""
    if request.content_type != "application/json":
        # Requiring JSON also makes browsers send a CORS preflight before a cross-site POST.
        raise UnsupportedMediaType("send the body as JSON (Content-Type: application/json)")
    try:
        data = json.loads(await request.text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidParameter("the body is not valid JSON", [{"parameter": "body", "message": "not JSON"}]) from None
    if not isinstance(data, dict):
        raise InvalidParameter("the body must be a JSON object",
                               [{"parameter": "body", "message": "not an object"}])
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise invalid_parameters(err, body=True) from None
