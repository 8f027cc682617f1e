"""The API platform around the data endpoints: auth, rate limit, CORS, docs, config, health, metrics.

make_app uses it in three steps:

    web.Application(middlewares=[count_requests, error_middleware, *access_middlewares(settings)])
    install(app, settings)    # state, cleanup, platform routes (before or after the data routes)
    finish(app)               # LAST: CORS and the OpenAPI document cover the routes added so far
"""

from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.typedefs import Handler

from exporter.version import package_version
from queryapi.appkeys import ENGINE, SETTINGS
from queryapi.auth import make_auth_middleware
from queryapi.config import ApiSettings
from queryapi.cors import enable_cors
from queryapi.openapi import build_document
from queryapi.ratelimit import LIMITER, RateLimiter, add_rate_headers, make_rate_middleware
from queryapi.registry import ENDPOINTS, Endpoint
from queryapi.routes import docs, operations
from queryapi.runtime_config import RUNTIME, RuntimeConfig
from queryapi.selfmetrics import API_METRICS, ApiMetrics
from queryapi.services import SERVICES, ServiceChecker


def access_middlewares(settings: ApiSettings) -> list[Handler]:
    """Rate limit, then auth: failed attempts count against the client's address."""
    return [make_rate_middleware(settings), make_auth_middleware(settings.api_key, settings.metrics_auth)]


def install(app: web.Application, settings: ApiSettings) -> None:
    """Runtime configuration, health checker, rate limiter, self metrics and the platform routes."""
    runtime = RuntimeConfig(settings)
    app[RUNTIME] = runtime
    app[SERVICES] = ServiceChecker(runtime, lambda: app[ENGINE])
    app[LIMITER] = RateLimiter(settings.rate_limit)
    app[API_METRICS] = ApiMetrics(settings.currency)
    app.on_response_prepare.append(add_rate_headers)
    app.cleanup_ctx.append(_close_platform)
    app.add_routes(operations.routes)
    app.add_routes(docs.routes)


def finish(app: web.Application) -> None:
    """Describe and open (CORS) every route added so far; call after the last add_routes."""
    settings = app[SETTINGS]
    app[docs.OPENAPI] = build_document(served_endpoints(app), package_version(), settings.metrics_auth)
    enable_cors(app, settings.cors_origins)


def describe(settings: ApiSettings) -> str:
    """One line for the startup log: how the API is protected (never the key itself)."""
    key = "API key required on /api/v1" if settings.api_key is not None else "no API key (open)"
    limit = f"{settings.rate_limit}/min per client" if settings.rate_limit else "off"
    runtime = "on" if settings.api_key is not None or settings.allow_runtime_config else "off"
    return (f"{key}; rate limit {limit}; CORS origins {', '.join(settings.cors_origins)}; "
            f"runtime config changes {runtime}; /prometheus/metrics "
            f"{'protected' if settings.metrics_auth and settings.api_key is not None else 'open'}")


def served_endpoints(app: web.Application) -> list[Endpoint]:
    """The registered endpoints this application routes (registry order)."""
    served = {(route.method, route.resource.canonical) for route in app.router.routes() if route.resource}
    return [e for e in ENDPOINTS if (e.method, e.path) in served]


async def _close_platform(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[SERVICES].close()
    await app[LIMITER].close()
