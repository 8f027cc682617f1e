"""Grafana dashboards, generated: `python -m dashboards.render` writes dashboards/*.json."""
