"""Bearer-token authentication (GREENKUBE_API_KEY).

With no key set the API is open. With a key, a request needs `Authorization: Bearer <key>` when:
- its endpoint is registered with `auth=True` (every /api/v1 endpoint);
- it is /prometheus/metrics and GREENKUBE_METRICS_AUTH=true;
- it matches no endpoint but lies under /api/ (an unknown path there is a 401, not a 404,
  so the API does not tell strangers which paths exist).
/health, /docs, /redoc, /openapi.json (registered with `auth=False`) stay open, and so do CORS
preflight requests, which browsers send without credentials.

The key is compared with `hmac.compare_digest`, in time independent of where the strings differ.
"""

import hmac

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler
from pydantic import SecretStr

from queryapi.errors import error_response
from queryapi.registry import ENDPOINTS, Endpoint
from queryapi.selfmetrics import METRICS_PATH

SCHEME = "bearer"
CHALLENGE = 'Bearer realm="greenkube"'


def bearer_token(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), else None."""
    scheme, _, token = request.headers.get(hdrs.AUTHORIZATION, "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == SCHEME and token else None


def token_matches(token: str | None, key: SecretStr) -> bool:
    """True when `token` equals the key; constant-time in the content of both."""
    if token is None:
        return False
    return hmac.compare_digest(token.encode(), key.get_secret_value().encode())


def is_preflight(request: web.Request) -> bool:
    """A CORS preflight: OPTIONS with Access-Control-Request-Method."""
    return request.method == hdrs.METH_OPTIONS and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers


def endpoint_of(request: web.Request) -> Endpoint | None:
    """The registered endpoint the request was routed to (HEAD counts as GET), or None."""
    resource = request.match_info.route.resource
    if resource is None:
        return None
    method = hdrs.METH_GET if request.method == hdrs.METH_HEAD else request.method
    for endpoint in ENDPOINTS:
        if endpoint.path == resource.canonical and endpoint.method == method:
            return endpoint
    return None


def needs_token(request: web.Request, metrics_auth: bool) -> bool:
    """Whether the request needs the API key (given that one is configured)."""
    if is_preflight(request):
        return False
    endpoint = endpoint_of(request)
    if endpoint is None:
        return request.path.startswith("/api/")
    if endpoint.path == METRICS_PATH:
        return metrics_auth
    return endpoint.auth


def unauthorized(token: str | None) -> web.Response:
    """401 in the API's error shape, with the RFC 6750 challenge."""
    if token is None:
        message, challenge = "this endpoint needs the API key: send 'Authorization: Bearer <key>'", CHALLENGE
    else:
        message, challenge = "the API key is wrong", CHALLENGE + ', error="invalid_token"'
    return error_response(401, "unauthorized", message, headers={hdrs.WWW_AUTHENTICATE: challenge})


def make_auth_middleware(api_key: SecretStr | None, metrics_auth: bool) -> Handler:
    """Middleware refusing requests without the key where it is needed; a no-op without a key."""

    @web.middleware
    async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        if api_key is None or not needs_token(request, metrics_auth):
            return await handler(request)
        token = bearer_token(request)
        if not token_matches(token, api_key):
            return unauthorized(token)
        return await handler(request)

    return require_token
