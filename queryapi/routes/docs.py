"""The OpenAPI document, Swagger UI and ReDoc; open even when an API key is set."""

from typing import Any

from aiohttp import web

from queryapi import docs_ui
from queryapi.errors import ApiError
from queryapi.registry import endpoint

routes = web.RouteTableDef()
OPENAPI = web.AppKey("openapi_document", dict[str, Any])
# Assets are versioned with the installed package: let browsers keep them for a day.
ASSET_CACHE_CONTROL = "public, max-age=86400"


class DocsUnavailable(ApiError):
    status = 503
    code = "docs_unavailable"


@endpoint(routes, "GET", "/openapi.json", summary="OpenAPI 3.1 document", tag="docs", auth=False)
async def get_openapi(request: web.Request) -> web.Response:
    """This API described as OpenAPI 3.1: every endpoint, parameter, response and error schema."""
    return web.json_response(request.app[OPENAPI])


@endpoint(routes, "GET", "/docs", summary="Swagger UI", tag="docs", media_types=("text/html",), auth=False,
          errors=(503,))
async def get_swagger_ui(_: web.Request) -> web.Response:
    """Interactive documentation (Swagger UI), served with its assets from this process."""
    _check_assets()
    return web.Response(text=docs_ui.SWAGGER_PAGE, content_type="text/html")


@endpoint(routes, "GET", "/redoc", summary="ReDoc", tag="docs", media_types=("text/html",), auth=False,
          errors=(503,))
async def get_redoc(_: web.Request) -> web.Response:
    """Reference documentation (ReDoc), served with its script from this process."""
    _check_assets()
    return web.Response(text=docs_ui.REDOC_PAGE, content_type="text/html")


# Not an API endpoint, so not in the registry (nor in the OpenAPI document): the pages' scripts.
@routes.get(docs_ui.ASSETS_PATH + "/{name}")
async def get_asset(request: web.Request) -> web.StreamResponse:
    """One of the known asset files (docs_ui.ASSETS); any other name is a 404."""
    path = docs_ui.asset_file(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": ASSET_CACHE_CONTROL})


def _check_assets() -> None:
    missing = docs_ui.missing_assets()
    if missing:
        raise DocsUnavailable(
            f"documentation assets are not installed ({', '.join(missing)}): pip install {docs_ui.PIP_PACKAGES}"
        )
