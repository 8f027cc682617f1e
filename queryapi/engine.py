"""The one client of the Prometheus-compatible engine, with API error mapping.

Transport (one aiohttp session, POST /api/v1/query with form data, bearer or basic auth,
extra headers such as X-Scope-OrgID, CA file, TLS switch, timeout) is the exporter's
`PrometheusClient`, shared so both processes reach the engine the same way. This module maps
its failures to API errors and reads single values:

    engine answered with an error (HTTP 4xx/5xx, status=error, not JSON) -> EngineError 502
    connection refused, DNS failure, connection reset                     -> EngineUnavailable 503
    no answer within prometheus_timeout_seconds                           -> EngineTimeout 504

Messages say what happened, never the query, the engine's error text or a credential; the
engine's own text rides along as `log_detail`, which the error middleware logs (WARNING,
once per request) for the operator.
"""

import math
from collections.abc import Awaitable
from datetime import datetime
from typing import TypeVar

from exporter.config import PrometheusAccess
from exporter.sources.prometheus import EngineAnswerError, PrometheusClient, Sample, SourceError
from queryapi.errors import EngineError, EngineTimeout, EngineUnavailable

# SourceError.reason of PrometheusClient for a request that timed out.
_TIMEOUT_REASON = "prometheus_timeout"
T = TypeVar("T")


class QueryEngine:
    """Instant queries against the configured engine; open lazily, close once at shutdown."""

    def __init__(self, access: PrometheusAccess):
        self._client = PrometheusClient(access)

    async def close(self) -> None:
        await self._client.close()

    async def query(self, promql: str, at: datetime) -> list[Sample]:
        """Run `promql` at time `at`; return (labels, value) per sample. Raises an ApiError."""
        return await self._mapped(self._client.query(promql, at=at.timestamp()))

    async def federate(self, match: str) -> bytes:
        """The engine's /federate text for the series selector `match`. Raises an ApiError."""
        return await self._mapped(self._client.federate(match))

    async def _mapped(self, call: Awaitable[T]) -> T:
        """Await an engine call, turning its failures into the API's errors."""
        try:
            return await call
        except EngineAnswerError as err:
            raise EngineError("the metrics engine answered the query with an error", log_detail=str(err)) from None
        except SourceError as err:
            if err.reason == _TIMEOUT_REASON:
                raise EngineTimeout("the metrics engine did not answer in time", log_detail=str(err)) from None
            raise EngineUnavailable("the metrics engine is unreachable", log_detail=str(err)) from None

    async def query_value(self, promql: str, at: datetime) -> float:
        """Run a query that aggregates to at most one sample; an empty answer is 0.0."""
        samples = await self.query(promql, at)
        if not samples:
            return 0.0
        if len(samples) > 1:
            raise EngineError("the metrics engine returned more series than expected",
                              log_detail=f"{len(samples)} samples where one was expected")
        value = samples[0][1]
        if not math.isfinite(value):
            raise EngineError("the metrics engine returned a non-finite value", log_detail=f"value {value}")
        return value
