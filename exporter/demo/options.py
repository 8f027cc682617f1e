"""Command-line options of `greenkube demo` (kept apart so --help needs no heavy imports).

Every option is checked as it is parsed, before anything starts: a bad value is one line on
stderr and exit 2, like a bad setting (see exporter/cli.py). Checks that need more than one
option or the file system (distinct ports, a writable --data-dir) run first in `run_demo`.
"""

import argparse
import math
from collections.abc import Callable
from pathlib import Path

# As GREENKUBE_CYCLE_SECONDS accepts (exporter/config.py); an hour at most, so numbers show.
CYCLE_SECONDS = (0.2, 3600.0)
# The API's power window is 6 scrape intervals and at most an hour (GREENKUBE_POWER_WINDOW_SECONDS).
SCRAPE_SECONDS = (0.5, 600.0)
# A million trace seconds (11 days of trace) per real second is far past useful; beyond it
# the trace clock loses its precision.
SPEED = (0.0, 1e6)


def port(text: str) -> int:
    """A TCP port number, 1 to 65535."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, not {text!r}")
    return value


def _number(low: float, high: float, low_included: bool = True) -> Callable[[str], float]:
    """An argparse type: a finite number in [low, high] (or (low, high] when not low_included)."""
    low_words = f"from {low:.15g} to" if low_included else f"above {low:.15g} and at most"
    words = f"{low_words} {high:.15g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        above = value >= low if low_included else value > low
        if not (math.isfinite(value) and above and value <= high):
            raise argparse.ArgumentTypeError(f"must be a number {words}, not {text!r}")
        return value

    return parse


def data_dir(text: str) -> Path:
    """A folder path; whether it can be created and written is checked before the demo starts."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must be a folder path, not an empty string")
    return Path(text)


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-port", type=port, default=8000, help="query API port (default 8000)")
    parser.add_argument("--prometheus-port", type=port, default=9090, help="Prometheus port (default 9090)")
    parser.add_argument("--exporter-port", type=port, default=9101, help="exporter /metrics port (default 9101)")
    parser.add_argument("--cluster-port", type=port, default=9180,
                        help="demo cluster port: cAdvisor, kube-state-metrics and Kubernetes API (default 9180)")
    parser.add_argument("--cycle-seconds", type=_number(*CYCLE_SECONDS), default=10.0,
                        help=f"exporter cycle, {CYCLE_SECONDS[0]:g} to {CYCLE_SECONDS[1]:g} (default 10)")
    parser.add_argument("--scrape-interval-seconds", type=_number(*SCRAPE_SECONDS), default=10.0,
                        help=f"Prometheus scrape interval, {SCRAPE_SECONDS[0]:g} to {SCRAPE_SECONDS[1]:g} "
                             "(default 10)")
    parser.add_argument("--speed", type=_number(*SPEED, low_included=False), default=30.0,
                        help="trace seconds played per real second for the utilisation traces, above 0 "
                             f"(default 30, at most {SPEED[1]:.15g})")
    parser.add_argument("--data-dir", type=data_dir, default=None,
                        help="where Prometheus keeps its data, created if missing (default: a temporary "
                             "folder, removed at exit)")
    parser.add_argument("--prometheus-bin", default="prometheus", help="Prometheus binary (default: from PATH)")
