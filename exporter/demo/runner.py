"""`greenkube demo`: the demo cluster, a real Prometheus, the exporter and the API, on 127.0.0.1.

The demo cluster runs in this process; Prometheus, the exporter and the API are child
processes. Ctrl-C (or SIGTERM) stops every child: SIGTERM, then SIGKILL after 10 s. If this
process is killed outright, the children get SIGTERM from the kernel (Linux, lifetime.py);
only its work folder (greenkube-demo-* in the temp folder) is then left behind.
Prometheus loads the rule files shipped in the `rules` package (history roll-ups, rate
roll-ups, alerts), so the history answers fill in once a whole hour has been recorded.
"""

import argparse
import asyncio
import importlib.resources
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml
from aiohttp import web

from exporter.demo.checks import HOST, DemoError, check_distinct_ports, check_port_free, prepare_data_dir
from exporter.demo.lifetime import parent_death_hook

log = logging.getLogger("greenkube.demo")
# Loopback only: an http_proxy from the environment must not see the readiness probes.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# The rule files of the `rules` package, in the order Prometheus loads them.
RULE_FILES = ("history.yml", "greenkube-rollups.rules.yml", "greenkube-alerts.rules.yml")


def _url(port: int) -> str:
    return f"http://{HOST}:{port}"


def prometheus_duration(seconds: float) -> str:
    """A Prometheus duration: whole seconds as "10s", anything else in milliseconds ("1500ms");
    Prometheus refuses fractions such as "1.5s"."""
    millis = round(seconds * 1000)
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


def prometheus_config(scrape_seconds: float, cluster_url: str, nodes: list[str], exporter_url: str,
                      rule_files: list[Path] | tuple[Path, ...] = ()) -> dict:
    """Prometheus configuration that scrapes the demo cluster and the exporter like a real cluster
    would, and loads `rule_files`."""
    cluster = cluster_url.removeprefix("http://")
    exporter = exporter_url.removeprefix("http://")
    interval = prometheus_duration(scrape_seconds)
    config: dict = {
        "global": {"scrape_interval": interval, "scrape_timeout": prometheus_duration(min(scrape_seconds, 10)),
                   "evaluation_interval": interval},
        "rule_files": [str(path) for path in rule_files],
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
    if not rule_files:
        del config["rule_files"]
    return config


def write_rule_files(folder: Path) -> list[Path]:
    """Copy the rule files shipped in the `rules` package (RULE_FILES) into `folder`; their paths."""
    paths = []
    try:
        shipped = importlib.resources.files("rules")
        for name in RULE_FILES:
            path = folder / name
            path.write_text(shipped.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")
            paths.append(path)
    except (ModuleNotFoundError, FileNotFoundError) as err:
        raise DemoError(f"the rule files of GreenKube are missing ({err}): reinstall GreenKube") from None
    return paths


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


def stop_children(children: list[subprocess.Popen], grace: float = 0.0) -> None:
    """Stop every child: those still running after `grace` seconds get SIGTERM, then SIGKILL
    after 10 s. The grace lets children that got the terminal's Ctrl-C with the demo finish
    on their own: a second signal in the middle of asyncio's shutdown makes it print a warning."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(child.poll() is None for child in children):
        time.sleep(0.05)
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


def _ignore(signals: dict) -> None:
    for sig in signals:
        signal.signal(sig, signal.SIG_IGN)


async def _serve_cluster(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, HOST, port).start()
    return runner


def _start_children(args: argparse.Namespace, prometheus_bin: str, work: Path, data_dir: Path,
                    children: list[subprocess.Popen]) -> None:
    """Start Prometheus, the exporter and the API in turn, each ready before the next; every
    child started is appended to `children` at once, so a failure part-way stops it too."""
    env = _child_environment(args.prometheus_port)
    hook = parent_death_hook()
    children.append(subprocess.Popen([
        prometheus_bin, f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={data_dir}",
        f"--web.listen-address={HOST}:{args.prometheus_port}", "--storage.tsdb.retention.time=30d",
        "--log.level=warn",
    ], stdin=subprocess.DEVNULL, preexec_fn=hook))
    wait_ready(f"{_url(args.prometheus_port)}/-/ready", 60, children[-1])

    exporter_env = {
        **env, "GREENKUBE_KUBECONFIG": str(work / "kubeconfig"), "GREENKUBE_METRICS_PORT": str(args.exporter_port),
        "GREENKUBE_CYCLE_SECONDS": str(args.cycle_seconds),
        "GREENKUBE_RATE_WINDOW_SECONDS": str(max(6 * args.scrape_interval_seconds, 1)),
    }
    children.append(subprocess.Popen([sys.executable, "-m", "exporter.cli", "exporter"],
                                     stdin=subprocess.DEVNULL, env=exporter_env, preexec_fn=hook))
    wait_ready(f"{_url(args.exporter_port)}/health", 30, children[-1])

    # rate() windows of a few scrape intervals, so numbers show within a minute of start.
    power_window = int(max(30, 6 * args.scrape_interval_seconds))
    api_env = {**env, "GREENKUBE_API_PORT": str(args.api_port), "GREENKUBE_POWER_WINDOW_SECONDS": str(power_window)}
    children.append(subprocess.Popen([sys.executable, "-m", "exporter.cli", "api"], stdin=subprocess.DEVNULL,
                                     env=api_env, preexec_fn=hook))
    wait_ready(f"{_url(args.api_port)}/health", 30, children[-1])


def _child_environment(prometheus_port: int) -> dict[str, str]:
    # The children's clients (kubernetes: trust_env) must reach loopback directly, not via http_proxy.
    no_proxy = ",".join(filter(None, (os.environ.get("no_proxy") or os.environ.get("NO_PROXY"), HOST, "localhost")))
    return {**os.environ, "GREENKUBE_PROMETHEUS_URL": _url(prometheus_port), "no_proxy": no_proxy,
            "NO_PROXY": no_proxy}


def run_demo(args: argparse.Namespace) -> None:
    """Check the options, start everything, print where it runs, and wait for Ctrl-C.

    Nothing starts before every check passed. A failed start removes what it made: the work
    folder (kubeconfig, prometheus.yml, rule files, default data) and a --data-dir it created.
    """
    from exporter.demo.cluster import DemoCluster
    from exporter.demo.server import make_app, write_kubeconfig

    ports = [("--api-port", "query API", args.api_port), ("--prometheus-port", "Prometheus", args.prometheus_port),
             ("--exporter-port", "exporter", args.exporter_port), ("--cluster-port", "demo cluster", args.cluster_port)]
    check_distinct_ports(ports)
    for _, what, port in ports:
        check_port_free(port, what)
    prometheus_bin = shutil.which(args.prometheus_bin)
    if prometheus_bin is None:
        raise DemoError(f"{args.prometheus_bin!r} not found: install it (apt-get install prometheus), run make demo "
                        "or pass --prometheus-bin")

    work: Path | None = None
    created_data_dir: Path | None = None
    children: list[subprocess.Popen] = []
    loop = asyncio.new_event_loop()
    cluster_runner: web.AppRunner | None = None
    ready = interrupted = False
    # Explicit handlers: a demo started in the background inherits an ignored SIGINT.
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if args.data_dir is not None:
            created_data_dir = prepare_data_dir(args.data_dir)
        work = Path(tempfile.mkdtemp(prefix="greenkube-demo-"))
        data_dir = args.data_dir.absolute() if args.data_dir is not None else work / "prometheus-data"
        cluster = DemoCluster.build(start=time.time(), speed=args.speed)
        write_kubeconfig(work / "kubeconfig", _url(args.cluster_port))
        nodes = [n["metadata"]["name"] for n in cluster.nodes_list()["items"]]
        config = prometheus_config(args.scrape_interval_seconds, _url(args.cluster_port), nodes,
                                   _url(args.exporter_port), write_rule_files(work))
        (work / "prometheus.yml").write_text(yaml.safe_dump(config))

        cluster_runner = loop.run_until_complete(_serve_cluster(make_app(cluster), args.cluster_port))
        _start_children(args, prometheus_bin, work, data_dir, children)
        ready = True
        _print_banner(args, len(nodes))
        while all(child.poll() is None for child in children):
            loop.run_until_complete(asyncio.sleep(0.5))
        failed = next(child for child in children if child.poll() is not None)
        raise DemoError(f"{Path(failed.args[0]).name} {' '.join(failed.args[1:3])} exited with code "
                        f"{failed.returncode}; stopping the demo")
    except KeyboardInterrupt:
        _ignore(previous)
        interrupted = True
        print("\nstopping the demo ...", file=sys.stderr)
    finally:
        # A second Ctrl-C (or `timeout`, which signals the demo and then its group) must not cut
        # the clean-up short: stopping is bounded anyway (SIGKILL after 10 s).
        _ignore(previous)
        stop_children(children, grace=1.0 if interrupted else 0.0)
        if cluster_runner is not None:
            loop.run_until_complete(cluster_runner.cleanup())
        loop.close()
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
        if created_data_dir is not None and not ready:
            shutil.rmtree(created_data_dir, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if interrupted:
        print("greenkube demo: stopped", file=sys.stderr, flush=True)


def _print_banner(args: argparse.Namespace, node_count: int) -> None:
    cluster_url, prometheus_url = _url(args.cluster_port), _url(args.prometheus_port)
    exporter_url, api = _url(args.exporter_port), _url(args.api_port)
    print(f"""
GreenKube demo is running ({node_count} nodes built from real recorded data):
  demo cluster (cAdvisor, kube-state-metrics, Kubernetes API)  {cluster_url}
  Prometheus                                                   {prometheus_url}
  exporter /metrics                                            {exporter_url}/metrics
  query API                                                    {api}/api/v1/metrics

Numbers appear after the first cycles (about {3 * args.scrape_interval_seconds + args.cycle_seconds:g} s). Try:
  curl -s {api}/api/v1/metrics | jq .total_carbon_grams
  curl -s {exporter_url}/metrics | grep greenkube_node_info

Prometheus runs GreenKube's roll-up and alert rules; the history answers (/api/v1/timeseries,
/api/v1/report/summary, /api/v1/report/export) fill in after the first whole hour.

Press Ctrl-C to stop everything.
""", flush=True)
