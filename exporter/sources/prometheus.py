"""Prometheus HTTP API client (instant queries by POST) for any compatible engine."""

import json
import logging
import math
import ssl

import aiohttp
import msgspec

from exporter.config import PrometheusAccess
from exporter.gcpause import without_collector

log = logging.getLogger("greenkube.exporter")

Sample = tuple[dict[str, str], float]


class SourceError(Exception):
    """An input source failed; `reason` is a short label value for greenkube_errors_total."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class EngineAnswerError(SourceError):
    """The engine answered, but with an error (bad query, overload): HTTP 4xx/5xx or status=error."""


class PrometheusClient:
    """One aiohttp session to a Prometheus-compatible engine; queries go by POST (no HTTP 414)."""

    def __init__(self, access: PrometheusAccess):
        self._base = str(access.prometheus_url).rstrip("/")
        self._url = self._base + "/api/v1/query"
        self._access = access
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "PrometheusClient":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            access = self._access
            headers = dict(access.prometheus_headers)
            auth = None
            if access.prometheus_token is not None:
                headers["Authorization"] = f"Bearer {access.prometheus_token.get_secret_value()}"
            elif access.prometheus_username is not None:
                password = access.prometheus_password.get_secret_value() if access.prometheus_password else ""
                auth = aiohttp.BasicAuth(access.prometheus_username, password)
            ssl_context: ssl.SSLContext | bool = access.prometheus_tls_verify
            if access.prometheus_ca_file is not None and access.prometheus_tls_verify:
                ssl_context = ssl.create_default_context(cafile=str(access.prometheus_ca_file))
            self._session = aiohttp.ClientSession(
                headers=headers,
                auth=auth,
                timeout=aiohttp.ClientTimeout(total=access.prometheus_timeout_seconds),
                connector=aiohttp.TCPConnector(ssl=ssl_context, limit=8),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def query(self, promql: str, at: float | None = None) -> list[Sample]:
        """Run an instant query; return (labels, value) for each vector sample.

        Raises SourceError (unreachable, timeout) or EngineAnswerError (engine said no).
        Non-finite values are returned as they are: the caller decides what to drop.
        """
        form = {"query": promql}
        if at is not None:
            form["time"] = f"{at:.3f}"
        try:
            async with self._open().post(self._url, data=form) as response:
                raw = await response.read()
                status = response.status
        except TimeoutError:
            raise SourceError("prometheus_timeout", "Prometheus did not answer in time") from None
        except aiohttp.ClientError as err:
            raise SourceError("prometheus_unreachable", f"cannot reach Prometheus: {type(err).__name__}") from None
        if status == 200:
            samples = decode_vector(raw)
            if samples is not None:
                return samples
        try:
            body = decode_answer(raw) if raw.strip() else None
        except ValueError:
            raise EngineAnswerError("prometheus_bad_answer", "Prometheus answered with something not JSON") from None
        if status >= 400 or not isinstance(body, dict) or body.get("status") != "success":
            detail = body.get("error", "") if isinstance(body, dict) else ""
            if isinstance(body, dict) and body.get("errorType") == "timeout":  # the engine's own query timeout
                raise SourceError("prometheus_timeout", f"Prometheus timed out evaluating the query: {detail}"[:300])
            raise EngineAnswerError("prometheus_error", f"Prometheus answered HTTP {status}: {detail}"[:300])
        return _samples(body.get("data", {}))

    async def federate(self, match: str) -> bytes:
        """Text exposition of the latest samples matching the series selector `match`.

        Raises SourceError (unreachable, timeout) or EngineAnswerError (engine said no).
        """
        return await _federate(self._open(), self._base, match)


async def _federate(session: aiohttp.ClientSession, base: str, match: str) -> bytes:
    """The latest sample of every series matching `match`, as text exposition (Prometheus /federate)."""
    try:
        async with session.get(base + "/federate", params={"match[]": match}) as response:
            body = await response.read()
            status = response.status
    except TimeoutError:
        raise SourceError("prometheus_timeout", "Prometheus did not answer in time") from None
    except aiohttp.ClientError as err:
        raise SourceError("prometheus_unreachable", f"cannot reach Prometheus: {type(err).__name__}") from None
    if status != 200:
        raise EngineAnswerError("prometheus_error", f"Prometheus /federate answered HTTP {status}")
    return body


class _VectorSample(msgspec.Struct, gc=False):
    metric: dict[str, str]
    value: tuple[float, float]


class _VectorData(msgspec.Struct, gc=False):
    resultType: str
    result: list[_VectorSample]


class _VectorAnswer(msgspec.Struct, gc=False):
    status: str
    data: _VectorData


# strict=False reads the quoted sample values ("0.5", "NaN", "-Inf") as floats; "+Inf", a scalar,
# an error answer or any other shape fails the decoder and takes the json path.
_VECTOR_DECODER = msgspec.json.Decoder(_VectorAnswer, strict=False)


@without_collector
def decode_vector(raw: bytes) -> list[Sample] | None:
    """The (labels, float) pairs of a successful vector answer, decoded by msgspec (about 5x
    faster than json with a hook: ~0.07 s against ~0.35 s for 100k samples), or None when the
    answer is anything else: the caller then reads it with `decode_answer`, which handles
    every case exactly (labels and values come out the same either way)."""
    try:
        answer = _VECTOR_DECODER.decode(raw)
    except msgspec.MsgspecError:
        return None
    if answer.status != "success" or answer.data.resultType != "vector":
        return None
    return [(sample.metric, sample.value[1]) for sample in answer.data.result]


@without_collector
def decode_answer(text: str | bytes) -> object:
    """Decode a query answer, turning each vector sample into a (labels, float) pair as it is
    parsed: the sample's own dict and value list are dropped at once (~40 MB less at 100k
    series than decoding the whole tree first)."""
    return json.loads(text, object_hook=_sample_pair)


def _sample_pair(obj: dict) -> object:
    value = obj.get("value")
    if "metric" in obj and isinstance(value, list) and len(value) == 2:
        return obj["metric"], _to_float(value[1])
    return obj


def _samples(data: dict) -> list[Sample]:
    """The (labels, float) pairs of an instant-query `data` block; a scalar gets no labels."""
    kind = data.get("resultType")
    result = data.get("result", [])
    if kind == "vector":
        return [item for item in result if isinstance(item, tuple)]
    if kind == "scalar":
        return [({}, _to_float(result[1]))]
    return []


def _to_float(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan
