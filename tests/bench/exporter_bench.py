"""Exporter benchmark: join, compute and render time and peak RSS at 1k, 10k and 100k pods.

`python -m tests.bench.exporter_bench` runs each size in its own subprocess, so each peak RSS
belongs to that size alone, and prints one table. The cluster is synthetic and deterministic
(seeded). This is a benchmark, not a test: it reports the targets and never fails on speed.
"RSS MB" is the peak of the whole process; "inputs MB" is its peak before the exporter runs
(interpreter, imports, pod and node facts; each answer's JSON is made only when it is read).
See docs/PERFORMANCE.md.
"""

import argparse
import gc
import json
import random
import resource
import statistics
import subprocess
import sys
import time
import uuid

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from exporter import catalogue as cat
from exporter import tables
from exporter.config import ExporterSettings
from exporter.cycle import CycleInputs, Estimator
from exporter.exposition import label_string, render
from exporter.gcpause import collector_paused
from exporter.sources.answers import PodLabels, add_memory, add_owners, index_cpu, index_requests
from exporter.sources.intensity import IntensitySource
from exporter.sources.kubernetes import NodeFacts, PodFacts
from exporter.sources.prometheus import lazy_vector
from exporter.sources.usage import UsageReading, join

NODES_FOR = {1_000: 200, 10_000: 2_000, 100_000: 10_000}
RUNS = 3
COMPARE_AT = 10_000
TARGET_SECONDS, TARGET_RSS_MB = 1.0, 500.0
NOW = 1_700_000_000.0

# (instance type, vCPU, GiB) rows of exporter/data/instance_types.csv, and mapped regions.
MACHINES = {
    "aws": [("m5.xlarge", 4, 16), ("m5.2xlarge", 8, 32), ("c5.4xlarge", 16, 32), ("r5.2xlarge", 8, 64)],
    "gcp": [("e2-standard-8", 8, 32), ("n2-standard-8", 8, 32), ("c2-standard-16", 16, 64)],
    "azure": [("Standard_D4s_v3", 4, 16), ("Standard_D8s_v3", 8, 32), ("Standard_E8s_v3", 8, 64)],
}
REGIONS = {
    "aws": ("eu-west-1", "us-east-1", "eu-central-1"),
    "gcp": ("europe-west1", "us-central1", "asia-northeast1"),
    "azure": ("westeurope", "eastus", "northeurope"),
}
TEAMS = ("payments", "checkout", "search", "identity", "billing", "catalog", "ml-platform", "observability")
APPS = ("checkout-api", "payment-worker", "search-indexer", "session-cache", "order-events-consumer", "web-frontend")
SAFE = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet Kubernetes uses for generated name suffixes


def _suffix(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(SAFE) for _ in range(length))


def _node(rng: random.Random, i: int) -> NodeFacts:
    provider = ("aws", "aws", "gcp", "azure")[i % 4]
    instance_type, vcpu, gib = rng.choice(MACHINES[provider])
    region = rng.choice(REGIONS[provider])
    if provider == "aws":
        zone = region + "a"
        name = f"ip-10-{12 + i // 65536}-{i // 256 % 256}-{i % 256}.{region}.compute.internal"
        provider_id = f"aws:///{zone}/i-0{rng.getrandbits(64):016x}"
    elif provider == "gcp":
        zone = region + "-b"
        name = f"gke-prod-eu-pool-{i % 5}-{rng.getrandbits(32):08x}-{i:05d}"
        provider_id = f"gce://acme-prod-231407/{zone}/{name}"
    else:
        zone = region + "-1"
        name = f"aks-nodepool{i % 5}-{rng.randrange(10**8):08d}-vmss{i:06x}"
        provider_id = (f"azure:///subscriptions/{uuid.UUID(int=rng.getrandbits(128))}/resourceGroups/mc_prod_{region}"
                       f"/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool{i % 5}/virtualMachines/{i}")
    labels = {"kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux", "kubernetes.io/hostname": name,
              "node.kubernetes.io/instance-type": instance_type,
              "topology.kubernetes.io/region": region, "topology.kubernetes.io/zone": zone}
    return NodeFacts(name, labels, provider_id, instance_type, region, zone, "amd64", float(vcpu), gib * 1024.0**3)


def build_cluster(pods: int, node_count: int) -> tuple[dict[str, NodeFacts], list[PodFacts], tuple]:
    """Nodes, pods, and makers of the cpu, memory, requests (v2) and owners answers as Prometheus's JSON text."""
    rng = random.Random(pods)
    nodes = [_node(rng, i) for i in range(node_count)]
    namespaces = [f"team-{n:03d}-{TEAMS[n % len(TEAMS)]}" for n in range(max(10, pods // 100))]
    facts, usage = [], []
    for i in range(pods):
        replica_set = f"{rng.choice(APPS)}-{_suffix(rng, 10)}"
        name, uid = f"{replica_set}-{_suffix(rng, 5)}", str(uuid.UUID(int=rng.getrandbits(128), version=4))
        facts.append(PodFacts(namespaces[i % len(namespaces)], name, uid, nodes[i % node_count].name,
                              "ReplicaSet", replica_set))
        best_effort = rng.random() < 0.1  # no requests: kube-state-metrics has no series for the pod
        cpu_request = None if best_effort else rng.choice((0.05, 0.1, 0.25, 0.5, 1.0))
        memory_request = None if best_effort else rng.choice((64, 128, 256, 512, 1024, 2048)) * 1024.0**2
        usage.append((cpu_request, memory_request, (cpu_request or 0.1) * rng.uniform(0.02, 1.2),
                      (memory_request or 2**27) * rng.uniform(0.3, 1.1)))
    pairs = list(zip(facts, usage, strict=True))
    # Each answer's text is made when it is read, as it arrives from Prometheus, so the peak RSS
    # holds one answer at a time, not all four for the whole run.
    texts = (
        lambda: _answer((f'{_pod(f)},"node":"{f.node}"', u[2]) for f, u in pairs),
        lambda: _answer((f'{_pod(f)},"node":"{f.node}"', u[3]) for f, u in pairs),
        lambda: _answer((f'{_pod(f)},"resource":"{r}"', u[k]) for f, u in pairs if u[0] is not None
                        for k, r in enumerate(("cpu", "memory"))),
        lambda: _answer((f'{_pod(f)},"owner_kind":"{f.owner_kind}","owner_name":"{f.owner_name}"', 1.0)
                        for f in facts),
    )
    return {n.name: n for n in nodes}, facts, texts


def _pod(f: PodFacts) -> str:
    return f'"namespace":"{f.namespace}","pod":"{f.name}","uid":"{f.uid}"'


def _answer(samples) -> bytes:
    """A Prometheus instant-query answer (JSON bytes, as the HTTP body arrives) holding `samples`
    of (labels JSON, value)."""
    parts = ['{"status":"success","data":{"resultType":"vector","result":[']
    parts.append(",".join([f'{{"metric":{{{labels}}},"value":[{NOW},"{value!r}"]}}' for labels, value in samples]))
    parts.append("]}}")
    return "".join(parts).encode()


def timed_read(texts: tuple) -> tuple[float, UsageReading]:
    """Seconds spent decoding and joining (not making the texts), and the reading `read_usage`
    builds: each answer decoded and consumed in turn, the CPU answer's first, as it does."""
    spent = 0.0

    def decoded(make_text, consume):
        nonlocal spent
        text = make_text()
        start = time.perf_counter()
        # As PrometheusClient.query_each reads a successful vector answer for read_usage: the body
        # bytes framed by msgspec, each sample decoded into PodLabels as the consumer takes it.
        result = consume(lazy_vector(text, PodLabels))
        spent += time.perf_counter() - start
        return result

    make_cpu, make_memory, make_requests, make_owners = texts
    with collector_paused():  # as read_usage pauses it for the whole read
        cpu = decoded(make_cpu, index_cpu)
        memory_dropped = decoded(make_memory, lambda samples: add_memory(cpu.values, samples))
        req_v2 = decoded(make_requests, index_requests)
        decoded(make_owners, lambda samples: add_owners(cpu.values, samples))
        start = time.perf_counter()
        reading = join(cpu, memory_dropped, req_v2, index_requests([]), True, {})  # no KSM v1, no OpenCost
        spent += time.perf_counter() - start
    start = time.perf_counter()
    gc.collect(0)  # the young pass the pause put off: it walks what survived the read, once
    return spent + time.perf_counter() - start, reading


def read_answers(texts: tuple) -> UsageReading:
    return timed_read(texts)[1]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def _check_tables() -> None:
    """Fail early if a synthetic machine or region is missing from the built-in tables."""
    for provider, machines in MACHINES.items():
        assert all(tables.power_coefficients(provider, m[0]).source == "instance-table" for m in machines), provider
        assert all(tables.grid_zone(provider, region) for region in REGIONS[provider]), provider


def _second_cycle(estimator: Estimator, nodes, facts, texts) -> tuple[float, float, float]:
    """Seconds to apply the second cycle and to render its body, and the body size in MB."""
    estimator.apply(CycleInputs(read_answers(texts), nodes, facts), NOW)  # the first creates state
    compute, _ = _timed(estimator.apply, CycleInputs(read_answers(texts), nodes, facts), NOW + 30)
    # Rendered family by family and each dropped once counted, as the /metrics handler streams it.
    rendering, size = _timed(lambda: sum(len(chunk) for chunk in estimator.families()))
    return compute, rendering, size / 1e6


def measure(pods: int) -> dict:
    """Time join, the second cycle's compute and its render (median of RUNS); peak RSS in MB."""
    _check_tables()
    nodes, facts, texts = build_cluster(pods, NODES_FOR[pods])
    settings = ExporterSettings()
    intensity = IntensitySource(settings.electricity_maps_url, None, 900, settings.default_intensity_g_per_kwh)
    inputs_mb = _peak_rss_mb()  # interpreter, imports and the synthetic inputs, before any exporter work

    join = statistics.median(timed_read(texts)[0] for _ in range(RUNS))
    runs = [_second_cycle(Estimator(settings, intensity), nodes, facts, texts) for _ in range(RUNS)]
    result = {
        "pods": pods, "nodes": len(nodes), "join_s": join, "compute_s": statistics.median(r[0] for r in runs),
        "render_s": statistics.median(r[1] for r in runs), "body_mb": runs[0][2],
        "inputs_mb": inputs_mb, "rss_mb": _peak_rss_mb(),
    }
    if pods == COMPARE_AT:
        result.update(compare_client(read_answers(texts)))
    return result


# The per-pod families; POD_INFO takes the info labels, the others namespace, pod, node and uid.
PER_POD = (cat.POD_ENERGY, cat.POD_CO2E, cat.POD_EMBODIED_CO2E, cat.POD_COST, cat.POD_CPU_USAGE,
           cat.POD_CPU_REQUEST, cat.POD_MEMORY_USAGE, cat.POD_MEMORY_REQUEST, cat.POD_INFO)


class _PodCollector(Collector):
    """The per-pod families as a prometheus_client collector would build them."""

    def __init__(self, rows: list[tuple[tuple[str, ...], tuple[str, ...], list[float]]]):
        self._rows = rows

    def collect(self):
        for column, metric in enumerate(PER_POD):
            kind = CounterMetricFamily if metric.kind == "counter" else GaugeMetricFamily
            family = kind(metric.name, metric.help, labels=metric.labels)
            which = 1 if metric is cat.POD_INFO else 0
            for row in self._rows:
                family.add_metric(row[which], row[2][column])
            yield family


def compare_client(reading) -> dict:
    """Seconds to render the 9 per-pod families by hand and through prometheus_client (median of RUNS)."""
    rows = []
    for o in reading.pods.values():
        labels = (o.namespace, o.pod, o.node, o.uid)
        info = (*labels, o.owner_kind, o.owner_name, "true")
        energy = o.cpu_cores * 30 * 12.5
        values = [energy, energy * 1.2e-4, energy * 3e-5, energy * 2e-6,
                  o.cpu_cores, o.cpu_request_cores, o.memory_bytes, o.memory_request_bytes, 1.0]
        rows.append((labels, info, values))
    prepared = [(label_string(cat.POD_LABELS, labels), label_string(cat.POD_INFO.labels, info), values)
                for labels, info, values in rows]  # the estimator keeps these strings across cycles
    families = [(metric, [(row[1 if metric is cat.POD_INFO else 0], row[2][column]) for row in prepared])
                for column, metric in enumerate(PER_POD)]

    def through_client() -> bytes:
        registry = CollectorRegistry()
        registry.register(_PodCollector(rows))
        return generate_latest(registry)

    hand = statistics.median(_timed(render, families)[0] for _ in range(RUNS))
    client = statistics.median(_timed(through_client)[0] for _ in range(RUNS))
    return {"hand_s": hand, "client_s": client}


def _row(r: dict) -> str:
    return (f"{r['pods']:>8,} {r['nodes']:>7,} {r['join_s']:>8.3f} {r['compute_s']:>10.3f} "
            f"{r['compute_s'] / r['pods'] * 1e6:>7.2f} {r['render_s']:>9.3f} {r['render_s'] / r['pods'] * 1e6:>7.2f} "
            f"{r['body_mb']:>8.1f} {r['inputs_mb']:>9.0f} {r['rss_mb']:>8.0f}")


def _verdict(results: list[dict]) -> str:
    largest = max(results, key=lambda r: r["pods"])
    if largest["pods"] < 100_000:
        return "targets (at 100,000 pods): not run; use --sizes 100000"
    checks = [("compute", largest["compute_s"], TARGET_SECONDS, "s"),
              ("render", largest["render_s"], TARGET_SECONDS, "s"),
              ("peak RSS", max(r["rss_mb"] for r in results), TARGET_RSS_MB, "MB")]
    parts = [f"{name} {value:.3g} {unit} <= {limit:g} {unit} {'met' if value <= limit else 'MISSED'}"
             for name, value, limit, unit in checks]
    return "targets at 100,000 pods: " + "; ".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, NODES_FOR)), help="comma-separated pod counts")
    parser.add_argument("--size", type=int, choices=sorted(NODES_FOR), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.size:
        print(json.dumps(measure(args.size)))
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    if not set(sizes) <= NODES_FOR.keys():
        parser.error(f"--sizes {args.sizes}: choose among {sorted(NODES_FOR)}")
    print(f"{'pods':>8} {'nodes':>7} {'join s':>8} {'compute s':>10} {'us/pod':>7} {'render s':>9} {'us/pod':>7} "
          f"{'body MB':>8} {'inputs MB':>9} {'RSS MB':>8}", flush=True)
    results = []
    for size in sizes:
        command = [sys.executable, "-m", "tests.bench.exporter_bench", "--size", str(size)]
        out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
        results.append(json.loads(out))
        print(_row(results[-1]), flush=True)
    for r in results:
        if "client_s" in r:
            print(f"prometheus_client at {r['pods']:,} pods, 9 per-pod families: {r['client_s']:.3f} s "
                  f"({r['client_s'] / r['pods'] * 1e6:.1f} us/pod) vs hand render {r['hand_s']:.3f} s "
                  f"({r['hand_s'] / r['pods'] * 1e6:.1f} us/pod), {r['client_s'] / r['hand_s']:.1f}x")
    print(_verdict(results))


if __name__ == "__main__":
    main()
