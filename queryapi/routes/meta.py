"""Liveness and version: no engine call."""

import platform

from aiohttp import web

from exporter.version import package_version
from queryapi.appkeys import SETTINGS
from queryapi.models import Health, Version
from queryapi.registry import endpoint
from queryapi.routes.common import model_response

API_VERSION = "v1"
routes = web.RouteTableDef()


@endpoint(routes, "GET", "/health", summary="Liveness", tag="meta", response=Health, auth=False)
async def get_health(_: web.Request) -> web.Response:
    """Liveness: always `{"status": "ok"}` while the process serves; never calls the engine."""
    return model_response(Health(status="ok"))


@endpoint(routes, "GET", "/api/v1/version", summary="Versions", tag="meta", response=Version)
async def get_version(request: web.Request) -> web.Response:
    """GreenKube version, API version, Python version and build identifier (all strings)."""
    return model_response(Version(
        version=package_version(), api_version=API_VERSION, python=platform.python_version(),
        build=request.app[SETTINGS].build,
    ))
