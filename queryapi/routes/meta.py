"""Liveness and version: no engine call."""

import platform

from aiohttp import web

from exporter.version import package_version
from queryapi.appkeys import SETTINGS

API_VERSION = "v1"
routes = web.RouteTableDef()


@routes.get("/health")
async def get_health(_: web.Request) -> web.Response:
    """Liveness: always `{"status": "ok"}` while the process serves; never calls the engine."""
    return web.json_response({"status": "ok"})


@routes.get("/api/v1/version")
async def get_version(request: web.Request) -> web.Response:
    """GreenKube version, API version, Python version and build identifier (all strings)."""
    return web.json_response({
        "version": package_version(),
        "api_version": API_VERSION,
        "python": platform.python_version(),
        "build": request.app[SETTINGS].build,
    })
