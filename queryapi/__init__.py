"""GreenKube query API: REST over PromQL against a Prometheus-compatible engine."""
