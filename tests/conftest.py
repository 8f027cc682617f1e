"""Shared pytest fixtures for every test tree (exporter, queryapi, e2e, ...)."""

import os

import pytest

from tests.fixtures.prometheus import prometheus_factory  # noqa: F401 - registered as a fixture


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No GREENKUBE_* variable of the developer's shell leaks into the settings under test."""
    for name in list(os.environ):
        if name.startswith("GREENKUBE_"):
            monkeypatch.delenv(name)
