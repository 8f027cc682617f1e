"""Helpers every handler uses: read query parameters into a model, answer with a model."""

from datetime import UTC, datetime
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from queryapi.appkeys import SETTINGS
from queryapi.errors import InvalidParameter, invalid_parameters

M = TypeVar("M", bound=BaseModel)


def read_query(request: web.Request, model: type[M]) -> M:
    """Validate the query string with `model`; a bad, unknown or repeated parameter is a 400."""
    repeated = sorted({name for name in request.query if len(request.query.getall(name)) > 1})
    if repeated:
        raise InvalidParameter(
            f"parameter(s) given more than once: {', '.join(repeated)}",
            [{"parameter": name, "message": "given more than once"} for name in repeated],
        )
    context = {"now": datetime.now(UTC), "max_range_days": request.app[SETTINGS].max_range_days}
    try:
        return model.model_validate(dict(request.query), context=context)
    except ValidationError as err:
        raise invalid_parameters(err) from None


def model_response(model: BaseModel) -> web.Response:
    """JSON of a response model, fields under their public names (`from`, not `from_`)."""
    return web.json_response(model.model_dump(mode="json", by_alias=True))
