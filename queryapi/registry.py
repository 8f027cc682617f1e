"""The one list of API endpoints: routes, their models and their errors.

Handlers are declared with `@endpoint(...)`, which both adds the aiohttp route and records an
`Endpoint`. The OpenAPI document, auth and the tests read `ENDPOINTS`, so a path, its query
model and its response model are written once.
"""

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from pydantic import BaseModel

from queryapi.errors import InvalidParameter
from queryapi.models import MAX_SHOWN

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Endpoint:
    """One method + path of the API and what the OpenAPI document says about it.

    `query`: model of the query string (None: no parameters); `body`: model of a JSON body;
    `response`: model of the 200 JSON answer, or None when `media_types` says otherwise (CSV);
    `errors`: statuses the endpoint may answer besides 200 (the error schema is shared);
    `auth`: whether GREENKUBE_API_KEY protects it.
    """

    method: str
    path: str
    summary: str
    tag: str
    handler: Handler
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    media_types: tuple[str, ...] = ("application/json",)
    errors: tuple[int, ...] = ()
    auth: bool = True
    description: str = field(default="")


ENDPOINTS: list[Endpoint] = []


def endpoint(
    routes: web.RouteTableDef, method: str, path: str, *, summary: str, tag: str,
    query: type[BaseModel] | None = None, body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None, media_types: tuple[str, ...] = ("application/json",),
    errors: tuple[int, ...] = (), auth: bool = True,
) -> Callable[[Handler], Handler]:
    """Register `handler` on `routes` and in ENDPOINTS; its docstring becomes the description."""

    def register(handler: Handler) -> Handler:
        routes.route(method, path)(handler if query is not None else _without_query(handler))
        ENDPOINTS.append(Endpoint(
            method=method.upper(), path=path, summary=summary, tag=tag, handler=handler, query=query,
            body=body, response=response, media_types=media_types, errors=errors, auth=auth,
            description=(handler.__doc__ or "").strip(),
        ))
        return handler

    return register


def _without_query(handler: Handler) -> Handler:
    """`handler` behind a check that the query string is empty: any parameter is unknown (400)."""

    @functools.wraps(handler)
    async def checked(request: web.Request) -> web.StreamResponse:
        if request.query:
            names = sorted({name[:MAX_SHOWN] for name in request.query})
            raise InvalidParameter(
                f"unknown query parameter(s): {', '.join(names)}; this endpoint takes none",
                [{"parameter": name, "message": "unknown parameter"} for name in names],
            )
        return await handler(request)

    return checked
