"""CORS with aiohttp-cors: GREENKUBE_CORS_ORIGINS (default `*`) may call every route.

`enable_cors(app, origins)` must run after the last route is added (make_app calls it last):
it configures the routes that exist at that moment, and answers their preflight requests.
No cookies are used (auth is a bearer header), so credentials are not allowed; the headers
a dashboard needs to read (rate limit, download name, auth challenge) are exposed.
"""

from aiohttp import hdrs, web
from aiohttp_cors import ResourceOptions
from aiohttp_cors import setup as setup_cors

EXPOSED_HEADERS = (
    "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", hdrs.RETRY_AFTER,
    hdrs.CONTENT_DISPOSITION, hdrs.WWW_AUTHENTICATE,
)
PREFLIGHT_MAX_AGE_SECONDS = 600


def enable_cors(app: web.Application, origins: tuple[str, ...]) -> None:
    """Allow `origins` on every route of `app` (HEAD and OPTIONS come with their GET)."""
    options = ResourceOptions(
        allow_credentials=False, expose_headers=EXPOSED_HEADERS, allow_headers="*",
        max_age=PREFLIGHT_MAX_AGE_SECONDS,
    )
    cors = setup_cors(app, defaults={origin: options for origin in origins})
    for route in list(app.router.routes()):
        if route.method in (hdrs.METH_HEAD, hdrs.METH_OPTIONS):
            continue
        cors.add(route)
