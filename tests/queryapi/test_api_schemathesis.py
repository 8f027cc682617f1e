"""Property-based run of schemathesis against the real app on a loopback port.

The app runs in a thread of its own (schemathesis calls it synchronously), in front of a real
Prometheus with no data. Bounded: each operation gets at most MAX_EXAMPLES generated requests
(a few hundred in all). Checks: every answer matches its documented status, headers and
schema, and no 5xx at all: the engine is up, so even its errors (502, 503, 504) must not occur.

POST /api/v1/config/services is left out on purpose: generated bodies would point the engine
and the health checks at generated hosts, that is, at addresses off this machine. Its rules
are tested by hand in test_api_config.py.
"""

import asyncio
import threading
from collections.abc import Iterator

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, positive_data_acceptance
from schemathesis.core.parameters import ParameterLocation

from queryapi.app import make_app
from queryapi.config import ApiSettings
from queryapi.routes.docs import OPENAPI
from tests.fixtures.prometheus import PrometheusFactory, free_port

KEY = "schemathesis-key"
MAX_EXAMPLES = 20


class LiveApi:
    """make_app(settings) served on 127.0.0.1 from a background thread with its own event loop."""

    def __init__(self, settings: ApiSettings):
        self.settings = settings
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=30)

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    async def _serve(self) -> None:
        self._runner = web.AppRunner(make_app(self.settings), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    factory = PrometheusFactory(tmp_path_factory.mktemp("schemathesis-prometheus"))
    prometheus = factory()
    api = LiveApi(ApiSettings(prometheus_url=prometheus.url, api_key=KEY, rate_limit=0,
                              health_timeout_seconds=2))
    api.start()
    yield api
    api.stop()
    factory.close()


def _load_schema():
    """The document the app serves (it depends on no setting the run changes), minus the POST."""
    document = make_app(ApiSettings())[OPENAPI]
    loaded = schemathesis.openapi.from_dict(document)
    # Valid requests, and invalid ones (which must get a documented 4xx in the error shape).
    loaded.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    return loaded.exclude(method="POST", path="/api/v1/config/services")


schema = _load_schema()


@schemathesis.check
def no_server_error(ctx, response, case) -> None:
    """No 5xx, with the request and the start of the answer in the failure message."""
    assert response.status_code < 500, f"{case.method} {case.path} -> {response.status_code} {response.text[:300]}"


@schema.parametrize()
# database=None: no .hypothesis/ example store in the work tree.
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_schemathesis_operation_conforms(case, live_api: LiveApi) -> None:
    # The key goes on every case except those whose headers are the invalid part (a missing or
    # malformed Authorization): adding it back would make them valid and their 200 a "failure".
    negative_headers = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
    case.call_and_validate(
        base_url=live_api.url,
        headers=None if negative_headers else {"Authorization": f"Bearer {KEY}"},
        # positive_data_acceptance: a schema-valid request can still be a documented 400 (a window
        # longer than the maximum, from >= to): cross-parameter rules a schema cannot express.
        excluded_checks=[not_a_server_error, positive_data_acceptance],
        additional_checks=[no_server_error],
        timeout=30,
    )

