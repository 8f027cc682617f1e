"""The exporter cycle: counters integrate elapsed time, vanished pods leave, outages hold counters."""

import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter import catalogue as cat
from exporter.config import ExporterSettings
from exporter.cycle import CycleInputs, Estimator
from exporter.model.carbon import operational_grams
from exporter.model.energy import node_power_watts
from exporter.sources.intensity import IntensitySource
from exporter.sources.kubernetes import NodeFacts, PodFacts
from exporter.sources.usage import PodObservation, UsageReading
from tests.fixtures.tools import require_tool

NODE = NodeFacts(
    name="worker-1", labels={"kubernetes.io/arch": "amd64"}, provider_id="", instance_type="",
    region="", zone="", arch="amd64", vcpu=4.0, memory_bytes=16 * 1024**3,
)


def _settings(**changes) -> ExporterSettings:
    # On-prem node with known coefficients: 0.74/3.5 W per vCPU, PUE 1.135, 400 g/kWh default.
    values = dict(onprem_min_watts_per_vcpu=0.74, onprem_max_watts_per_vcpu=3.5, onprem_pue=1.135,
                  default_intensity_g_per_kwh=400.0, onprem_embodied_kg=0.0)
    values.update(changes)
    return ExporterSettings(**values)


def _estimator(settings: ExporterSettings) -> Estimator:
    intensity = IntensitySource(settings.electricity_maps_url, None, 900, settings.default_intensity_g_per_kwh)
    return Estimator(settings, intensity)


def _inputs(*pods: tuple[str, float, float | None], ksm: bool = True) -> CycleInputs:
    observed = {
        ("default", name, f"uid-{name}"): PodObservation("default", name, f"uid-{name}", "", cpu, 0.0, req,
                                                         0.0 if req is not None else None)
        for name, cpu, req in pods
    }
    facts = [PodFacts("default", name, f"uid-{name}", NODE.name, "Deployment", "web") for name, _, _ in pods]
    return CycleInputs(UsageReading(observed, ksm, 0), {NODE.name: NODE}, facts)


def _samples(body: bytes) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _pod_value(body: bytes, metric: cat.MetricDef, pod: str, uid: str | None = None) -> float | None:
    """The sample of `pod` (UID `uid-<pod>` unless given, as `_inputs` makes them)."""
    uid = f"uid-{pod}" if uid is None else uid
    key = (metric.name, (("namespace", "default"), ("node", NODE.name), ("pod", pod), ("uid", uid)))
    return _samples(body).get(key)


def test_cycle_one_hour_half_busy_node_counts_hand_joules_and_grams():
    estimator = _estimator(_settings())
    estimator.apply(_inputs(("web", 2.0, 4.0)), now=1000.0)
    assert _pod_value(estimator.body, cat.POD_ENERGY, "web") == 0.0  # first cycle sets rates only
    estimator.apply(_inputs(("web", 2.0, 4.0)), now=4600.0)
    # 4 vCPU at 50% with 0.74/3.5 W: 8.48 W for 3600 s = 30,528 J; x 1.135 x 400 g/kWh / 3.6e6 = 3.84992 g
    assert _pod_value(estimator.body, cat.POD_ENERGY, "web") == pytest.approx(30_528.0)
    assert _pod_value(estimator.body, cat.POD_CO2E, "web") == pytest.approx(3.84992)
    assert node_power_watts(4, 0.74, 3.5, 0.5) * 3600 == pytest.approx(30_528.0)
    assert operational_grams(30_528.0, 1.135, 400) == pytest.approx(3.84992)


def test_cycle_node_without_zone_publishes_default_intensity_it_used():
    estimator = _estimator(_settings())
    estimator.apply(_inputs(("web", 2.0, 4.0)), now=1000.0)

    samples = _samples(estimator.body)

    assert samples[(cat.GRID_INTENSITY.name, (("source", "default"), ("zone", "")))] == 400.0


def test_cycle_elapsed_gap_is_integrated_with_real_time():
    estimator = _estimator(_settings())
    estimator.apply(_inputs(("web", 1.0, 4.0)), now=0.0)
    assert estimator.window_seconds(500.0) == 500  # a gap wider than the 120 s window widens it
    estimator.apply(_inputs(("web", 1.0, 4.0)), now=500.0)
    watts = 4 * 0.74 + 1.0 * (3.5 - 0.74)
    assert _pod_value(estimator.body, cat.POD_ENERGY, "web") == pytest.approx(watts * 500)


def test_cycle_vanished_pod_leaves_exposition():
    estimator = _estimator(_settings())
    estimator.apply(_inputs(("a", 0.5, 1.0), ("b", 0.5, 1.0)), now=0.0)
    estimator.apply(_inputs(("a", 0.5, 1.0)), now=30.0)
    assert _pod_value(estimator.body, cat.POD_ENERGY, "b") is None
    assert _pod_value(estimator.body, cat.POD_ENERGY, "a") is not None


def test_cycle_inputs_down_holds_counters_and_drops_gauges():
    estimator = _estimator(_settings())
    estimator.apply(_inputs(("a", 0.5, 1.0)), now=0.0)
    estimator.apply(_inputs(("a", 0.5, 1.0)), now=30.0)
    held = _pod_value(estimator.body, cat.POD_ENERGY, "a")
    estimator.mark_inputs_down()
    assert _pod_value(estimator.body, cat.POD_ENERGY, "a") == held
    assert _pod_value(estimator.body, cat.POD_CPU_USAGE, "a") is None


def test_cycle_unknown_requests_are_not_exported_and_idle_goes_by_usage():
    estimator = _estimator(_settings())
    estimator.apply(_inputs(("a", 1.0, None), ksm=False), now=0.0)
    assert _pod_value(estimator.body, cat.POD_CPU_REQUEST, "a") is None
    info = [k for k in _samples(estimator.body) if k[0] == cat.NODE_INFO.name]
    assert ("idle_attribution", "usage") in info[0][1]
    pod_info = [k for k in _samples(estimator.body) if k[0] == cat.POD_INFO.name]
    assert ("requests_known", "false") in pod_info[0][1]


def test_cycle_pod_on_unknown_node_is_counted_not_estimated():
    estimator = _estimator(_settings())
    inputs = _inputs(("a", 1.0, 1.0))
    inputs.pods[0] = PodFacts("default", "a", "uid-a", "gone-node", "", "")
    outcome = estimator.apply(inputs, now=0.0)
    assert outcome.dropped == {"pod_node_unknown": 1}
    assert outcome.pods == 0


def test_cycle_hostile_label_values_render_and_parse_back():
    estimator = _estimator(_settings())
    name = 'we"ird\\pod\nname'
    inputs = _inputs(("x", 1.0, 1.0))
    obs = inputs.usage.pods.pop(("default", "x", "uid-x"))
    obs.pod = name
    inputs.usage.pods[("default", name, "uid-x")] = obs
    estimator.apply(inputs, now=0.0)
    assert _pod_value(estimator.body, cat.POD_CPU_USAGE, name, uid="uid-x") == 1.0


def _uidless_on(node: NodeFacts, owner: str) -> CycleInputs:
    """One pod known by name only (no UID anywhere), on `node`, owned by ReplicaSet `owner`."""
    observed = {("default", "p", ""): PodObservation("default", "p", "", node.name, 0.5, 0.0, 0.5, 0.0,
                                                     "ReplicaSet", owner)}
    return CycleInputs(UsageReading(observed, True, 0), {node.name: node}, [])


def test_cycle_pod_info_follows_node_and_owner_counters_keep_first_labels():
    other = NodeFacts(**{**{f: getattr(NODE, f) for f in NODE.__slots__}, "name": "worker-2"})
    estimator = _estimator(_settings())
    estimator.apply(_uidless_on(NODE, "web-1"), now=0.0)
    estimator.apply(_uidless_on(other, "web-2"), now=60.0)
    samples = _samples(estimator.body)
    [info] = [dict(labels) for name, labels in samples if name == cat.POD_INFO.name]
    assert (info["node"], info["owner_name"], info["requests_known"]) == ("worker-2", "web-2", "true")
    [energy] = [dict(labels) for name, labels in samples if name == cat.POD_ENERGY.name]
    assert energy["node"] == NODE.name


def test_exposition_passes_promtool_check_metrics(tmp_path):
    promtool = require_tool("promtool")
    estimator = _estimator(_settings())
    estimator.apply(_inputs(("a", 0.5, 1.0), ("b", 0.25, None)), now=0.0)
    estimator.apply(_inputs(("a", 0.5, 1.0), ("b", 0.25, None)), now=30.0)
    result = subprocess.run([promtool, "check", "metrics"], input=estimator.body, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert result.stdout.decode().strip() == "" and result.stderr.decode().strip() == ""
