"""Command-line options of `greenkube demo` (kept apart so --help needs no heavy imports)."""

import argparse
from pathlib import Path


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-port", type=int, default=8000, help="query API port (default 8000)")
    parser.add_argument("--prometheus-port", type=int, default=9090, help="Prometheus port (default 9090)")
    parser.add_argument("--exporter-port", type=int, default=9101, help="exporter /metrics port (default 9101)")
    parser.add_argument("--cluster-port", type=int, default=9180,
                        help="demo cluster port: cAdvisor, kube-state-metrics and Kubernetes API (default 9180)")
    parser.add_argument("--cycle-seconds", type=float, default=10.0, help="exporter cycle (default 10)")
    parser.add_argument("--scrape-interval-seconds", type=float, default=10.0,
                        help="Prometheus scrape interval (default 10)")
    parser.add_argument("--speed", type=float, default=30.0,
                        help="trace seconds played per real second for the utilisation traces (default 30)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where Prometheus keeps its data (default: a temporary folder, removed at exit)")
    parser.add_argument("--prometheus-bin", default="prometheus", help="Prometheus binary (default: from PATH)")
