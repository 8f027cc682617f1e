"""Shared test fakes (recorded Kubernetes API, ...), reused across the test tree."""
