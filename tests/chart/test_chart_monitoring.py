"""The optional Prometheus Operator objects and the dashboards ConfigMap.

kubernetes-validate knows no custom resources, so ServiceMonitor and PrometheusRule are
checked against the subset of the monitoring.coreos.com/v1 CRD schemas the chart uses (unknown
fields refused), and the rules themselves by promtool.
"""

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.chart.rendering import ALL_OPTIONS, ROOT, find, objects, require_module
from tests.fixtures.tools import require_tool

_DURATION = {"type": "string", "pattern": r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?"
                                         r"(([0-9]+)s)?(([0-9]+)ms)?)$"}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_NAME = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"}
_METADATA = {"type": "object", "required": ["name"], "properties": {"name": _NAME, "labels": _STRING_MAP}}


def _closed(properties: dict, required: list[str]) -> dict:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


SERVICE_MONITOR_SCHEMA = _closed({
    "apiVersion": {"const": "monitoring.coreos.com/v1"}, "kind": {"const": "ServiceMonitor"},
    "metadata": _METADATA,
    "spec": _closed({
        "jobLabel": {"type": "string"},
        "namespaceSelector": _closed({"matchNames": {"type": "array", "items": {"type": "string"}}}, []),
        "selector": _closed({"matchLabels": _STRING_MAP}, ["matchLabels"]),
        "endpoints": {"type": "array", "minItems": 1, "items": _closed({
            "port": {"type": "string"}, "path": {"type": "string"}, "honorLabels": {"type": "boolean"},
            "interval": _DURATION, "scrapeTimeout": _DURATION}, ["port"])},
    }, ["selector", "endpoints"]),
}, ["apiVersion", "kind", "metadata", "spec"])

_RULE = _closed({"record": {"type": "string"}, "alert": {"type": "string"}, "expr": {"type": "string"},
                 "for": _DURATION, "labels": _STRING_MAP, "annotations": _STRING_MAP}, ["expr"])
PROMETHEUS_RULE_SCHEMA = _closed({
    "apiVersion": {"const": "monitoring.coreos.com/v1"}, "kind": {"const": "PrometheusRule"},
    "metadata": _METADATA,
    "spec": _closed({"groups": {"type": "array", "items": _closed({
        "name": {"type": "string", "minLength": 1}, "interval": _DURATION,
        "rules": {"type": "array", "items": {**_RULE, "oneOf": [{"required": ["record"]}, {"required": ["alert"]}]}},
    }, ["name"])}}, ["groups"]),
}, ["apiVersion", "kind", "metadata", "spec"])


def _validate(obj: dict, schema: dict) -> None:
    jsonschema = require_module("jsonschema")
    jsonschema.Draft202012Validator(schema).validate(obj)


def _rule_objects() -> dict[str, dict]:
    """Rule file name -> its PrometheusRule, matched by the name the template derives."""
    rules = [o for o in objects(ALL_OPTIONS) if o["kind"] == "PrometheusRule"]
    by_name = {o["metadata"]["name"]: o for o in rules}
    files = sorted((ROOT / "rules").glob("*.yml"))
    assert len(rules) == len(files)
    stems = {p.name: p.name.removesuffix(".yml").removesuffix(".rules").removeprefix("greenkube-") for p in files}
    return {name: by_name[f"gk-greenkube-{stem}"] for name, stem in stems.items()}


def test_servicemonitor_selects_exporter_service_job_greenkube_honor_labels():
    objs = objects(ALL_OPTIONS)
    monitor = find(objs, "ServiceMonitor")
    service = find(objs, "Service", "-exporter")
    (endpoint,) = monitor["spec"]["endpoints"]

    _validate(monitor, SERVICE_MONITOR_SCHEMA)
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert find(objs, "Service", "-api")["metadata"]["labels"]["app.kubernetes.io/component"] == "api"
    assert endpoint["port"] in [p["name"] for p in service["spec"]["ports"]]
    assert endpoint["honorLabels"] is True
    assert service["metadata"]["labels"][monitor["spec"]["jobLabel"]] == "greenkube"
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["monitoring"]}
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_servicemonitor_selector_does_not_match_api_service():
    objs = objects(ALL_OPTIONS)
    selector = find(objs, "ServiceMonitor")["spec"]["selector"]["matchLabels"]

    assert not selector.items() <= find(objs, "Service", "-api")["metadata"]["labels"].items()


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "rules").glob("*.yml")))
def test_prometheusrule_spec_equals_rules_file(name):
    rule = _rule_objects()[name]

    _validate(rule, PROMETHEUS_RULE_SCHEMA)
    assert rule["spec"] == yaml.safe_load((ROOT / "rules" / name).read_text())
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_prometheusrule_alerts_follow_servicemonitor_job_name():
    rules = [o for o in objects({**ALL_OPTIONS, "serviceMonitor": {**ALL_OPTIONS["serviceMonitor"],
                                                                    "jobName": "gk-exporter"}})
             if o["kind"] == "PrometheusRule"]
    text = yaml.safe_dump([rule["spec"] for rule in rules])

    assert 'job="gk-exporter"' in text
    assert 'job="greenkube"' not in text


def test_prometheusrule_specs_pass_promtool_check(tmp_path: Path):
    paths = []
    for name, rule in _rule_objects().items():
        paths.append(tmp_path / name)
        paths[-1].write_text(yaml.safe_dump(rule["spec"], sort_keys=False))

    result = subprocess.run([require_tool("promtool"), "check", "rules", *map(str, paths)],
                            capture_output=True, text=True, timeout=120, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAILED" not in result.stdout + result.stderr


def test_dashboards_configmap_carries_every_dashboard_for_sidecar():
    config_map = find(objects(ALL_OPTIONS), "ConfigMap", "-dashboards")
    sources = {p.name: p.read_text() for p in (ROOT / "dashboards").glob("*.json")}

    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["annotations"] == {"grafana_folder": "GreenKube"}
    assert config_map["data"] == sources
    assert all(json.loads(text)["uid"] for text in config_map["data"].values())
    # A ConfigMap holds at most 1 MiB.
    assert sum(len(text.encode()) for text in config_map["data"].values()) < 1024 * 1024


def test_dashboards_configmap_namespace_value_moves_it():
    config_map = find(objects({"grafanaDashboards": {"enabled": True, "namespace": "grafana"}}), "ConfigMap")

    assert config_map["metadata"]["namespace"] == "grafana"
    assert "annotations" not in config_map["metadata"]
