"""PromQL of the service health checks. Pure: validated values in, query strings out.

The exporter and the Kubernetes API are not called directly: the API checks them through
what the exporter publishes in Prometheus (its scrape `up`, the time of its last successful
cycle, and its per-source `greenkube_source_up`).
"""

import textwrap

from exporter.catalogue import LAST_SUCCESS, SOURCE_UP
from queryapi.promql import escape_label_value, selector

# Any compatible engine answers this without touching stored data.
PROBE = "vector(1)"


def exporter_up(job_regex: str) -> str:
    """Highest `up` of the scrape targets whose job matches `job_regex` (1 scraped, 0 failing)."""
    return _clean(f"""
        max(up{{job=~"{escape_label_value(job_regex)}"}})
    """)


def exporter_last_success_age() -> str:
    """Seconds since the most recent successful exporter cycle (any job: the name is GreenKube's own)."""
    return _clean(f"""
        time() - max({LAST_SUCCESS.name})
    """)


def source_up(source: str) -> str:
    """1 when the exporter reached `source` in its last cycle, 0 when it failed; empty when unknown."""
    return _clean(f"""
        max({selector(SOURCE_UP.name, {"source": source})})
    """)


def _clean(query: str) -> str:
    return textwrap.dedent(query).strip()
