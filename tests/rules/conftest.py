"""Fixtures of the rules tests: a real Alertmanager besides the shared Prometheus factory."""

from tests.fixtures.alertmanager import alertmanager_factory  # noqa: F401 - registered as a fixture
