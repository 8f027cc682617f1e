"""The OpenAPI 3.1 document, generated from the endpoint registry and the pydantic models.

Every registered endpoint the application serves becomes an operation: its query model gives
the parameters (schema and description of each field), its body model the request body, its
response model the 200 answer, and each error status it lists (plus those every endpoint of
its kind can answer: 400 with a model, 401 behind the key, 429 under /api/) the one shared
error schema. Schemas go to `components/schemas` under their model names.
"""

import inspect
import re
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from queryapi.registry import Endpoint
from queryapi.selfmetrics import METRICS_PATH

OPENAPI_VERSION = "3.1.0"
REF = "#/components/schemas/{model}"
ERROR_SCHEMA = "ErrorResponse"
SECURITY_SCHEME = "bearerAuth"
_PATH_PARAMETER = re.compile(r"{(\w+)}")
# Path parameters are plain strings checked by their handler; what each one means:
PATH_PARAMETERS = {
    "service_name": "One of prometheus, kubernetes, electricity_maps, opencost, exporter (else 404)",
}
_ERROR_MEANINGS = {
    400: "Invalid or unknown parameter, or invalid body", 401: "Missing or wrong API key",
    403: "Forbidden", 404: "Unknown path or name", 405: "Method not allowed",
    413: "Body too large", 415: "Body is not JSON (Content-Type: application/json)",
    429: "Rate limited; retry after Retry-After seconds",
    500: "Internal error", 502: "The metrics engine answered with an error", 503: "The metrics engine is unreachable",
    504: "The metrics engine did not answer in time",
}
TAGS = {
    "metrics": "Totals and per-namespace, node and pod figures over a window",
    "timeseries": "Energy, carbon, cost and usage over time, in calendar buckets",
    "recommendations": "What to change to cut energy, carbon and cost",
    "report": "Exports of the figures (CSV, JSON) and their summary",
    "health": "Health of the services GreenKube depends on",
    "config": "Effective configuration and runtime changes",
    "meta": "Liveness, versions and the API's own metrics",
    "docs": "This document and its viewers",
}
_RATE_HEADERS = {
    "X-RateLimit-Limit": "Requests allowed per minute for this client",
    "X-RateLimit-Remaining": "Requests left in the current window",
    "X-RateLimit-Reset": "Unix time (seconds) when the window restarts",
}


def build_document(endpoints: list[Endpoint], version: str, protected_metrics: bool = False) -> dict[str, Any]:
    """The whole document for `endpoints` (paths sorted); `version` is GreenKube's."""
    models = _models(endpoints)
    refs, defs = models_json_schema(models, by_alias=True, ref_template=REF) if models else ({}, {})
    schemas: dict[str, Any] = {**defs.get("$defs", {}), ERROR_SCHEMA: _error_schema()}
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        operation = _operation(endpoint, refs, schemas, protected_metrics)
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = operation
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "GreenKube API", "version": version,
            "description": "Energy, carbon and cost of Kubernetes workloads, computed with PromQL from a "
                           "Prometheus-compatible engine. Nothing is stored.",
        },
        "tags": _tags(endpoints),
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {SECURITY_SCHEME: {
                "type": "http", "scheme": "bearer", "description": "GREENKUBE_API_KEY, when the API has one",
            }},
        },
    }


def _tags(endpoints: list[Endpoint]) -> list[dict[str, str]]:
    """Each tag in use, in TAGS order (unknown ones last), with its description when known."""
    used = {endpoint.tag for endpoint in endpoints}
    order = [tag for tag in TAGS if tag in used] + sorted(used - TAGS.keys())
    return [{"name": tag, "description": TAGS[tag]} if tag in TAGS else {"name": tag} for tag in order]


def _models(endpoints: list[Endpoint]) -> list[tuple[type[BaseModel], str]]:
    """Body models (validation) and response models (serialization), each once."""
    seen: dict[tuple[type[BaseModel], str], None] = {}
    for endpoint in endpoints:
        if endpoint.body is not None:
            seen[(endpoint.body, "validation")] = None
        if endpoint.response is not None:
            seen[(endpoint.response, "serialization")] = None
    return list(seen)


def _operation(endpoint: Endpoint, refs: dict, schemas: dict, protected_metrics: bool) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": endpoint.handler.__name__, "summary": endpoint.summary, "tags": [endpoint.tag],
        "description": inspect.cleandoc(endpoint.description),
        "parameters": _path_parameters(endpoint.path) + _query_parameters(endpoint.query, schemas),
        "responses": _responses(endpoint, refs, protected_metrics),
    }
    if endpoint.body is not None:
        schema = refs[(endpoint.body, "validation")]
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    if _needs_key(endpoint, protected_metrics):
        operation["security"] = [{SECURITY_SCHEME: []}]
    return {key: value for key, value in operation.items() if value not in ("", [])}


def _needs_key(endpoint: Endpoint, protected_metrics: bool) -> bool:
    return protected_metrics if endpoint.path == METRICS_PATH else endpoint.auth


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
         "description": PATH_PARAMETERS.get(name, name)}
        for name in _PATH_PARAMETER.findall(path)
    ]


def _query_parameters(model: type[BaseModel] | None, schemas: dict) -> list[dict[str, Any]]:
    """One `in: query` parameter per field of the query model, under its public name."""
    if model is None:
        return []
    schema = model.model_json_schema(by_alias=True, ref_template=REF, mode="validation")
    for name, definition in schema.pop("$defs", {}).items():
        # A query model's nested type (an enum, say) may share a name with a body/response one.
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas are both named {name!r}; rename one model")
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        parameter = {"name": name, "in": "query", "required": name in required, "schema": _query_schema(prop)}
        if prop.get("description"):
            parameter["description"] = prop["description"]
        parameters.append(parameter)
    return parameters


def _query_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """A field's schema as a query parameter: a query string cannot say null, so drop that branch."""
    schema = {key: value for key, value in prop.items() if key not in ("title", "description")}
    if schema.get("default", 0) is None:
        del schema["default"]
    branches = [branch for branch in schema.get("anyOf", []) if branch != {"type": "null"}]
    if "anyOf" in schema and len(branches) == 1:
        del schema["anyOf"]
        schema.update(branches[0])
    elif "anyOf" in schema:
        schema["anyOf"] = branches
    return schema


def _responses(endpoint: Endpoint, refs: dict, protected_metrics: bool) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "OK", "content": _content(endpoint, refs)}
    limited = endpoint.path.startswith("/api/")
    if limited:
        ok["headers"] = _headers(_RATE_HEADERS)
    responses: dict[str, Any] = {"200": ok}
    for status in sorted(_error_statuses(endpoint, limited, protected_metrics)):
        responses[str(status)] = _error_response(status, limited)
    return responses


def _content(endpoint: Endpoint, refs: dict) -> dict[str, Any]:
    content = {}
    for media_type in endpoint.media_types:
        if endpoint.response is not None and media_type == "application/json":
            content[media_type] = {"schema": refs[(endpoint.response, "serialization")]}
        elif media_type == "application/json":
            content[media_type] = {"schema": {}}
        else:
            content[media_type] = {"schema": {"type": "string"}}
    return content


def _error_statuses(endpoint: Endpoint, limited: bool, protected_metrics: bool) -> set[int]:
    statuses = set(endpoint.errors) | {400}  # a bad or unknown query parameter, on every endpoint
    if _needs_key(endpoint, protected_metrics):
        statuses.add(401)
    if limited:
        statuses.add(429)
    return statuses


def _error_response(status: int, limited: bool) -> dict[str, Any]:
    meaning = _ERROR_MEANINGS.get(status) or HTTPStatus(status).phrase
    response: dict[str, Any] = {
        "description": meaning,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=ERROR_SCHEMA)}}},
    }
    headers = dict(_RATE_HEADERS) if limited else {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="greenkube" (plus error="invalid_token" for a wrong key)'
    if status == 429:
        headers["Retry-After"] = "Seconds to wait before retrying"
    if headers:
        response["headers"] = _headers(headers)
    return response


def _headers(described: dict[str, str]) -> dict[str, Any]:
    """Response headers; all but the auth challenge carry whole numbers."""
    return {
        name: {"description": text, "schema": {"type": "string" if name == "WWW-Authenticate" else "integer"}}
        for name, text in described.items()
    }


def _error_schema() -> dict[str, Any]:
    """The one error shape of API.md."""
    return {
        "type": "object", "required": ["error"], "additionalProperties": False,
        "properties": {"error": {
            "type": "object", "required": ["status", "code", "message", "details"], "additionalProperties": False,
            "properties": {
                "status": {"type": "integer", "description": "HTTP status"},
                "code": {"type": "string", "description": "Machine-readable reason, e.g. invalid_parameter"},
                "message": {"type": "string", "description": "What went wrong, for a person"},
                "details": {"type": "array", "items": {"type": "object"},
                            "description": "Per-parameter problems: {parameter, message}"},
            },
        }},
    }
