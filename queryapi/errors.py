"""The API's one error shape and the middleware that gives it to every failure.

    {"error": {"status": 400, "code": "invalid_parameter", "message": "...", "details": [...]}}

Exception tree:

    ApiError                      status, code, message, details
    ├── InvalidParameter          400 invalid_parameter (bad or unknown query parameter or body field)
    ├── EngineError               502 engine_error (the engine answered with an error)
    ├── EngineUnavailable         503 engine_unavailable (cannot connect)
    └── EngineTimeout             504 engine_timeout (no answer in time)

aiohttp's own HTTP exceptions (404 unknown path, 405 wrong method) and anything unexpected
(500, logged with its traceback, never sent) get the same shape. Messages never carry PromQL,
tracebacks or secrets.
"""

import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import ValidationError

from queryapi.models import MAX_SHOWN, ParameterError, shorten

log = logging.getLogger("greenkube.queryapi")

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 413: "payload_too_large", 415: "unsupported_media_type", 429: "rate_limited",
}


class ApiError(Exception):
    """An error the API answers with; subclasses fix status and code."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None, log_detail: str = ""):
        super().__init__(message)
        self.message = message
        self.details = details or []
        # For the operator's log only (may hold the engine's own error text), never sent.
        self.log_detail = log_detail


class InvalidParameter(ApiError):
    status = 400
    code = "invalid_parameter"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class UnknownService(ApiError):
    status = 404
    code = "not_found"


class UnsupportedMediaType(ApiError):
    status = 415
    code = "unsupported_media_type"


class EngineError(ApiError):
    status = 502
    code = "engine_error"


class EngineUnavailable(ApiError):
    status = 503
    code = "engine_unavailable"


class EngineTimeout(ApiError):
    status = 504
    code = "engine_timeout"


def invalid_parameters(error: ValidationError, body: bool = False) -> InvalidParameter:
    """Turn a request model's ValidationError into a 400 naming every parameter at fault.

    `body`: the model is a JSON body's, whose fields are named "body field(s)", not query parameters.
    """
    unknown_text = "unknown body field" if body else "unknown parameter"
    details = []
    for item in error.errors(include_url=False, include_input=False):
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, ParameterError):
            details.append({"parameter": cause.parameter, "message": cause.message})
        elif item["type"] == "extra_forbidden":
            details.append({"parameter": _name(item["loc"]), "message": unknown_text})
        else:
            details.append({"parameter": _name(item["loc"]), "message": item["msg"]})

    unknown = [d["parameter"] for d in details if d["message"] == unknown_text]
    if unknown and len(unknown) == len(details):
        message = f"unknown {'body field' if body else 'query parameter'}(s): {', '.join(unknown)}"
    else:
        what = "body field" if body else "parameter"
        message = "; ".join(f"invalid {what} '{d['parameter']}': {d['message']}" for d in details)
    return InvalidParameter(message, details)


def error_response(status: int, code: str, message: str, details: list | None = None,
                   headers: dict[str, str] | None = None) -> web.Response:
    """The one JSON error body."""
    body = {"error": {"status": status, "code": code, "message": message, "details": details or []}}
    return web.json_response(body, status=status, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer every failure below with the JSON error shape; log unexpected ones."""
    try:
        return await handler(request)
    except ApiError as err:
        if err.status >= 500:
            log.warning("%s %s -> %d %s: %s", request.method, request.path, err.status, err.message, err.log_detail)
        return error_response(err.status, err.code, err.message, err.details)
    except web.HTTPException as err:
        if err.status < 400:
            raise  # redirects and other non-errors pass through unchanged
        return _http_error(request, err)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "internal error; see the API log")


def _http_error(request: web.Request, err: web.HTTPException) -> web.Response:
    code = _HTTP_CODES.get(err.status, "http_error")
    headers = {}
    if isinstance(err, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(err.allowed_methods))
        headers["Allow"] = allowed
        message = f"method {request.method} is not allowed on {shorten(request.path)}; allowed: {allowed}"
    elif isinstance(err, web.HTTPNotFound):
        message = f"no such path: {shorten(request.path)}"
    else:
        message = err.reason
    return error_response(err.status, code, message, headers=headers)


def _name(loc: tuple) -> str:
    return ".".join(str(part) for part in loc)[:MAX_SHOWN] if loc else "?"
