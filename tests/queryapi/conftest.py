"""Fixtures of the query API tests: a fresh app per test."""

from collections.abc import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient

from queryapi.app import make_app
from queryapi.config import ApiSettings
from tests.fixtures.prometheus import free_port

ClientFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def api_client(aiohttp_client) -> ClientFactory:
    """`await api_client(prometheus_url=..., **settings)`: a test client on a fresh app.

    Without `prometheus_url` the engine is a loopback port nothing listens on.
    """

    async def make(**settings: object) -> TestClient:
        settings.setdefault("prometheus_url", f"http://127.0.0.1:{free_port()}")
        return await aiohttp_client(make_app(ApiSettings(**settings)))

    return make
