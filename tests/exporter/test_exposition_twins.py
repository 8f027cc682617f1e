"""Two pods of one namespace and name on one node (different UIDs, as in the GKE dump's
`fluentd-gcp-v2.0.10-9q9t4` twins) each get their own series in the full exposition."""

import subprocess
from collections import Counter
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from exporter import catalogue as cat
from exporter.config import ExporterSettings
from exporter.cycle import CycleInputs
from exporter.service import Exporter
from exporter.sources.kubernetes import NodeFacts, PodFacts
from exporter.sources.usage import PodObservation, UsageReading
from tests.fixtures.prometheus import free_port
from tests.fixtures.tools import require_tool

NODE = NodeFacts(
    name="n1", labels={"kubernetes.io/arch": "amd64"}, provider_id="", instance_type="",
    region="", zone="", arch="amd64", vcpu=4.0, memory_bytes=16 * 1024**3,
)
TWIN_UIDS = {"uid-a": 0.5, "uid-b": 1.5}  # UID -> CPU cores


def _twin_inputs() -> CycleInputs:
    observed = {
        ("kube-system", "fluentd", uid): PodObservation("kube-system", "fluentd", uid, "", cores, 2**28, 0.1, 2**28)
        for uid, cores in TWIN_UIDS.items()
    }
    facts = [PodFacts("kube-system", "fluentd", uid, NODE.name, "DaemonSet", "fluentd") for uid in TWIN_UIDS]
    return CycleInputs(UsageReading(observed, True, 0), {NODE.name: NODE}, facts)


async def _exposition_with_twins(tmp_path: Path) -> list[bytes]:
    """An exporter whose first cycle failed (Prometheus and Kubernetes unreachable: error
    counters, source_up), then three cycles 30 s apart with the twins; the full exposition
    after each of the last two."""
    settings = ExporterSettings(prometheus_url=f"http://127.0.0.1:{free_port()}", currency="EUR",
                                kubeconfig=tmp_path / "no-such-kubeconfig")
    exporter = Exporter(settings)
    await exporter.run_cycle()
    bodies = []
    for now in (0.0, 30.0, 60.0):
        exporter.estimator.apply(_twin_inputs(), now=now)
        bodies.append(exporter.exposition())
    await exporter.close()
    return bodies[1:]


def _sample_keys(body: bytes) -> list[tuple[str, tuple]]:
    return [(s.name, tuple(sorted(s.labels.items())))
            for family in text_string_to_metric_families(body.decode()) for s in family.samples]


def _twin_energy(body: bytes) -> dict[str, float]:
    return {s.labels["uid"]: s.value
            for family in text_string_to_metric_families(body.decode()) for s in family.samples
            if s.name == cat.POD_ENERGY.name}


async def test_exposition_twin_pods_no_sample_shares_name_and_labels(tmp_path):
    bodies = await _exposition_with_twins(tmp_path)
    keys = _sample_keys(bodies[-1])
    repeated = [key for key, count in Counter(keys).items() if count > 1]
    assert repeated == []
    assert any(name == cat.ERRORS.name for name, _ in keys)  # the self metrics are in it too


async def test_exposition_twin_pods_each_counter_own_and_monotonic(tmp_path):
    first, second = await _exposition_with_twins(tmp_path)
    before, after = _twin_energy(first), _twin_energy(second)
    assert set(before) == set(after) == set(TWIN_UIDS)
    assert all(after[uid] > before[uid] > 0 for uid in TWIN_UIDS)
    assert after["uid-b"] > after["uid-a"]  # the busier twin used more, on its own series


async def test_exposition_full_with_twins_passes_promtool_check_metrics(tmp_path):
    promtool = require_tool("promtool")
    bodies = await _exposition_with_twins(tmp_path)
    result = subprocess.run([promtool, "check", "metrics"], input=bodies[-1], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert result.stdout.decode().strip() == "" and result.stderr.decode().strip() == ""
    assert b"_created" not in bodies[-1]
