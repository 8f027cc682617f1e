"""`greenkube demo`: the demo cluster, a real Prometheus, the exporter and the API, on 127.0.0.1.

The demo cluster runs in this process; Prometheus, the exporter and the API are child
processes. Ctrl-C (or SIGTERM) stops every child: SIGTERM, then SIGKILL after 10 s.
"""

import argparse
import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml
from aiohttp import web

from exporter.config import ConfigError

log = logging.getLogger("greenkube.demo")
HOST = "127.0.0.1"
# Loopback only: an http_proxy from the environment must not see the readiness probes.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class DemoError(ConfigError):
    """A demo start-up problem, told in one line (busy port, missing binary)."""


def prometheus_config(scrape_seconds: float, cluster_url: str, nodes: list[str], exporter_url: str) -> dict:
    """Prometheus configuration that scrapes the demo cluster and the exporter like a real cluster would."""
    cluster = cluster_url.removeprefix("http://")
    exporter = exporter_url.removeprefix("http://")
    interval = f"{scrape_seconds:g}s"
    return {
        "global": {"scrape_interval": interval, "scrape_timeout": f"{min(scrape_seconds, 10):g}s",
                   "evaluation_interval": interval},
        "scrape_configs": [
            {"job_name": "kubelet-cadvisor", "honor_labels": True, "static_configs": [
                {"targets": [cluster], "labels": {"node": node, "__metrics_path__": f"/nodes/{node}/metrics/cadvisor"}}
                for node in nodes
            ]},
            {"job_name": "kube-state-metrics", "honor_labels": True, "metrics_path": "/kube-state-metrics/metrics",
             "static_configs": [{"targets": [cluster]}]},
            {"job_name": "greenkube", "honor_labels": True, "static_configs": [{"targets": [exporter]}]},
        ],
    }


def check_port_free(port: int, what: str) -> None:
    """Raise DemoError naming the port when something already listens on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers themselves do: a closed connection in TIME_WAIT does not make a port busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            raise DemoError(f"port {port} ({what}) is busy on {HOST}: stop what uses it or pass "
                            f"another port (see greenkube demo --help)") from None


def wait_ready(url: str, timeout: float, process: subprocess.Popen) -> None:
    """Poll `url` until it answers 200; fail early if `process` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoError(f"{process.args[0]} exited with code {process.returncode} before it was ready")
        try:
            with _OPENER.open(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise DemoError(f"{url} did not become ready in {timeout:g} s")


def stop_children(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


async def _serve_cluster(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, HOST, port).start()
    return runner


def run_demo(args: argparse.Namespace) -> None:
    """Start everything, print where it runs, and wait for Ctrl-C."""
    from exporter.demo.cluster import DemoCluster
    from exporter.demo.server import make_app, write_kubeconfig

    ports = {"query API": args.api_port, "Prometheus": args.prometheus_port,
             "exporter": args.exporter_port, "demo cluster": args.cluster_port}
    for what, port in ports.items():
        check_port_free(port, what)
    prometheus_bin = shutil.which(args.prometheus_bin)
    if prometheus_bin is None:
        raise DemoError(f"{args.prometheus_bin!r} not found: install it (apt-get install prometheus) or run make demo")

    work = Path(tempfile.mkdtemp(prefix="greenkube-demo-"))
    data_dir = args.data_dir or work / "prometheus-data"
    cluster = DemoCluster.build(start=time.time(), speed=args.speed)
    cluster_url = f"http://{HOST}:{args.cluster_port}"
    exporter_url = f"http://{HOST}:{args.exporter_port}"
    prometheus_url = f"http://{HOST}:{args.prometheus_port}"
    kubeconfig = work / "kubeconfig"
    write_kubeconfig(kubeconfig, cluster_url)
    config_file = work / "prometheus.yml"
    nodes = [n["metadata"]["name"] for n in cluster.nodes_list()["items"]]
    config_file.write_text(yaml.safe_dump(prometheus_config(args.scrape_interval_seconds, cluster_url, nodes,
                                                            exporter_url)))

    loop = asyncio.new_event_loop()
    cluster_runner = loop.run_until_complete(_serve_cluster(make_app(cluster), args.cluster_port))
    # The children's clients (kubernetes: trust_env) must reach loopback directly, not via http_proxy.
    no_proxy = ",".join(filter(None, (os.environ.get("no_proxy") or os.environ.get("NO_PROXY"), HOST, "localhost")))
    env = {**os.environ, "GREENKUBE_PROMETHEUS_URL": prometheus_url, "no_proxy": no_proxy, "NO_PROXY": no_proxy}
    children: list[subprocess.Popen] = []
    # Explicit handlers: a demo started in the background inherits an ignored SIGINT.
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        children.append(subprocess.Popen([
            prometheus_bin, f"--config.file={config_file}", f"--storage.tsdb.path={data_dir}",
            f"--web.listen-address={HOST}:{args.prometheus_port}", "--storage.tsdb.retention.time=30d",
            "--log.level=warn",
        ], stdin=subprocess.DEVNULL))
        wait_ready(f"{prometheus_url}/-/ready", 60, children[-1])
        # rate() windows of a few scrape intervals, so numbers show within a minute of start.
        power_window = int(max(30, 6 * args.scrape_interval_seconds))
        exporter_env = {
            **env, "GREENKUBE_KUBECONFIG": str(kubeconfig), "GREENKUBE_METRICS_PORT": str(args.exporter_port),
            "GREENKUBE_CYCLE_SECONDS": f"{args.cycle_seconds:g}",
            "GREENKUBE_RATE_WINDOW_SECONDS": f"{max(6 * args.scrape_interval_seconds, 1):g}",
        }
        children.append(subprocess.Popen([sys.executable, "-m", "exporter.cli", "exporter"],
                                         stdin=subprocess.DEVNULL, env=exporter_env))
        wait_ready(f"{exporter_url}/health", 30, children[-1])
        children.append(subprocess.Popen([sys.executable, "-m", "exporter.cli", "api"], stdin=subprocess.DEVNULL,
                                         env={**env, "GREENKUBE_API_PORT": str(args.api_port),
                                              "GREENKUBE_POWER_WINDOW_SECONDS": str(power_window)}))
        wait_ready(f"http://{HOST}:{args.api_port}/health", 30, children[-1])
        _print_banner(args, cluster_url, exporter_url, prometheus_url, len(nodes))
        while all(child.poll() is None for child in children):
            loop.run_until_complete(asyncio.sleep(0.5))
        failed = next(child for child in children if child.poll() is not None)
        raise DemoError(f"{Path(failed.args[0]).name} {' '.join(failed.args[1:3])} exited with code "
                        f"{failed.returncode}; stopping the demo")
    except KeyboardInterrupt:
        print("\nstopping the demo ...", file=sys.stderr)
    finally:
        stop_children(children)
        loop.run_until_complete(cluster_runner.cleanup())
        loop.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        shutil.rmtree(work, ignore_errors=True)


def _print_banner(args: argparse.Namespace, cluster_url: str, exporter_url: str, prometheus_url: str,
                  node_count: int) -> None:
    api = f"http://{HOST}:{args.api_port}"
    print(f"""
GreenKube demo is running ({node_count} nodes built from real recorded data):
  demo cluster (cAdvisor, kube-state-metrics, Kubernetes API)  {cluster_url}
  Prometheus                                                   {prometheus_url}
  exporter /metrics                                            {exporter_url}/metrics
  query API                                                    {api}/api/v1/metrics

Numbers appear after the first cycles (about {3 * args.scrape_interval_seconds + args.cycle_seconds:g} s). Try:
  curl -s {api}/api/v1/metrics | jq .total_carbon_grams
  curl -s {exporter_url}/metrics | grep greenkube_node_info

Press Ctrl-C to stop everything.
""", flush=True)
