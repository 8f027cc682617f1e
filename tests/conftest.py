"""Shared pytest fixtures for every test tree (exporter, queryapi, e2e, ...)."""

from tests.fixtures.prometheus import prometheus_factory  # noqa: F401 - registered as a fixture
