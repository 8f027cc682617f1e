"""Build and serve the query API application.

`make_app(settings)` gives a fresh aiohttp Application (tests use one per test);
`serve(settings, stop)` runs it until `stop` is set (the `greenkube api` command);
`run(settings)` serves until SIGINT/SIGTERM for direct use.
"""

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from aiohttp import web

from queryapi import wiring
from queryapi.appkeys import ENGINE, SETTINGS
from queryapi.config import ApiSettings
from queryapi.errors import error_middleware
from queryapi.routes import meta, metrics, recommendations, report, timeseries
from queryapi.runtime_config import SwappableEngine
from queryapi.selfmetrics import count_requests

log = logging.getLogger("greenkube.queryapi")

# aiohttp refuses a request line over 8 kB with a plain-text 400 before any middleware runs;
# a longer limit lets long (hostile) parameters reach validation and its JSON 400 instead.
HANDLER_ARGS = {"max_line_size": 65_536}
# Allocations between two young-generation collections in a server process (Python's default: 700).
GC_YOUNG_THRESHOLD = 50_000


def make_app(settings: ApiSettings) -> web.Application:
    """A new application: middlewares, routes, and an engine client closed on cleanup.

    Middlewares, outermost first: request metrics, the JSON error shape, rate limit, auth.
    """
    app = web.Application(middlewares=[count_requests, error_middleware, *wiring.access_middlewares(settings)])
    app[SETTINGS] = settings
    app[ENGINE] = SwappableEngine(settings)
    app.cleanup_ctx.append(_close_engine)
    wiring.install(app, settings)
    app.add_routes(meta.routes)
    app.add_routes(metrics.routes)
    app.add_routes(timeseries.routes)
    app.add_routes(recommendations.routes)
    app.add_routes(report.routes)
    # Keep last: CORS and the OpenAPI document cover only the routes added before this line.
    wiring.finish(app)
    return app


async def _close_engine(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[ENGINE].close()


async def serve(settings: ApiSettings, stop: asyncio.Event) -> None:
    """Serve on `api_host:api_port` until `stop` is set, then close connections and the engine."""
    runner = web.AppRunner(make_app(settings), **HANDLER_ARGS)
    await runner.setup()
    _tune_gc()
    try:
        await web.TCPSite(runner, settings.api_host, settings.api_port).start()
        _log_startup(settings)
        await stop.wait()
    finally:
        await runner.cleanup()


def run(settings: ApiSettings | None = None) -> None:
    """Serve until SIGINT or SIGTERM; settings default to the GREENKUBE_* environment."""
    settings = settings if settings is not None else ApiSettings()
    app = make_app(settings)

    async def announce(_: web.Application) -> None:
        _log_startup(settings)

    app.on_startup.append(announce)
    _tune_gc()
    web.run_app(app, host=settings.api_host, port=settings.api_port, print=None, handler_args=HANDLER_ARGS)


def _tune_gc() -> None:
    """Garbage collection for a server process: what is alive after startup (imports, the app)
    is moved out of the collector's reach, and a young-generation pass runs every 50,000
    allocations instead of 700. A large export makes millions of short-lived row tuples, freed
    by reference counting; with the default threshold the collector walked them ~5,000 times
    (measured: ~25% of the export's CPU). Cyclic garbage waits a little longer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def _log_startup(settings: ApiSettings) -> None:
    auth = "bearer" if settings.prometheus_token else "basic" if settings.prometheus_username else "none"
    log.info(
        "query API listening on http://%s:%d; engine %s (auth %s, TLS verify %s), currency %s",
        settings.api_host, settings.api_port, _redacted(str(settings.prometheus_url)),
        auth, settings.prometheus_tls_verify, settings.currency,
    )
    log.info("%s", wiring.describe(settings))


def _redacted(url: str) -> str:
    """Scheme, host, port and path only: a URL may carry credentials in its user-info part."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"
