"""Render chart/ with Helm's own engine (helm-python-sdk, no helm binary) and pick objects out.

helm-python-sdk and kubernetes-validate are test-only packages (extra `test`): where one is
missing or its native library cannot load, the test skips, or fails under CI=true.
"""

import base64
import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parents[2]
CHART_DIR = ROOT / "chart"
RELEASE = "gk"
NAMESPACE = "monitoring"

# Every option switched on, every secret given inline, numbers a template could mangle.
ALL_OPTIONS: dict[str, Any] = {
    "currency": "EUR",
    "prometheus": {
        "url": "https://mimir.example.internal/prometheus",
        "token": {"value": "prom-token-s3cret"},
        "username": "reader",
        "password": {"value": "prom-password-s3cret"},
        "headers": {"X-Scope-OrgID": "platform"},
        "caSecret": {"name": "prometheus-ca", "key": "ca.pem"},
        "tlsVerify": False,
        "timeoutSeconds": 45,
    },
    "electricityMaps": {"token": {"value": "emaps-token-s3cret"}, "refreshSeconds": 600},
    "log": {"level": "DEBUG", "json": True},
    "alerting": {
        "gridIntensityThresholdGPerKwh": 350,
        "sustainabilityScoreThreshold": 65,
        "budgets": {"team-a": {"carbonGramsDaily": 5000, "costMonthly": 300.5}},
    },
    "exporter": {
        "cycleSeconds": 45,
        "rateWindowSeconds": 240,
        "idleAttribution": "usage",
        "defaultIntensityGPerKwh": 400,
        "onprem": {"minWattsPerVcpu": 1.1, "maxWattsPerVcpu": 4.2, "pue": 1.3, "embodiedKg": 1500,
                   "gridZone": "DE"},
        "nodeOverrides": {"rack1-node7": {"minWattsPerVcpu": 1.2, "maxWattsPerVcpu": 5.0, "pue": 1.4,
                                          "gridZone": "FR", "embodiedKg": 900}},
        "cpuPricePerVcpuHour": 0,
        "ramPricePerGibHour": 0.005,
        "extraEnv": [{"name": "TZ", "value": "UTC"}],
    },
    "api": {
        "replicas": 2,
        "apiKey": {"value": "api-key-s3cret"},
        "rateLimit": 1000000,
        "corsOrigins": ["https://grafana.example.com", "https://ops.example.com"],
        "maxRangeDays": 800,
        "powerWindowSeconds": 600,
        "allowRuntimeConfig": True,
        "metricsAuth": True,
        "opencostUrl": "http://opencost.opencost.svc:9003",
        "exporterStaleSeconds": 600,
        "healthCacheSeconds": 60,
        "healthTimeoutSeconds": 10,
        "service": {"type": "NodePort", "port": 80},
    },
    "serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
    "prometheusRule": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
    "grafanaDashboards": {"enabled": True, "folder": "GreenKube"},
    "imagePullSecrets": [{"name": "regcred"}],
}
SECRET_VALUES = ("prom-token-s3cret", "prom-password-s3cret", "emaps-token-s3cret", "api-key-s3cret")


def require_module(name: str) -> ModuleType:
    """Import a test-only package; skip when it is missing or cannot load, fail under CI=true."""
    try:
        return importlib.import_module(name)
    except (ImportError, OSError) as err:  # OSError: the bundled native library does not load
        message = f"{name} is not usable ({err}); install the test extra: pip install -e '.[test]'"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def render(values: dict[str, Any] | None = None) -> dict[str, str]:
    """Template path -> rendered text, as `helm template gk chart/ -n monitoring` prints it."""
    helm = require_module("helm_python")
    with helm.Chart.load(CHART_DIR) as chart:
        return chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)


def objects(values: dict[str, Any] | None = None) -> list[dict]:
    """Every Kubernetes object the chart renders (empty documents dropped)."""
    texts = (text for path, text in render(values).items() if path.endswith(".yaml"))  # not NOTES.txt
    docs = (doc for text in texts for doc in yaml.safe_load_all(text))
    return [doc for doc in docs if doc]


def find(objs: list[dict], kind: str, name_suffix: str = "") -> dict:
    """The one object of `kind` whose name ends with `name_suffix`."""
    matches = [o for o in objs if o["kind"] == kind and o["metadata"]["name"].endswith(name_suffix)]
    assert len(matches) == 1, f"{len(matches)} {kind} objects named *{name_suffix}"
    return matches[0]


def container(objs: list[dict], component: str) -> dict:
    """The single container of the `component` Deployment (exporter or api)."""
    (only,) = find(objs, "Deployment", f"-{component}")["spec"]["template"]["spec"]["containers"]
    return only


def resolved_env(objs: list[dict], component: str) -> dict[str, str]:
    """The container's environment, secretKeyRefs read from the chart's own Secret."""
    secret = next((o for o in objs if o["kind"] == "Secret"), {"metadata": {"name": None}, "data": {}})
    env = {}
    for entry in container(objs, component)["env"]:
        if "value" in entry:
            env[entry["name"]] = entry["value"]
            continue
        ref = entry["valueFrom"]["secretKeyRef"]
        assert ref["name"] == secret["metadata"]["name"], f"{entry['name']} reads an outside Secret"
        env[entry["name"]] = base64.b64decode(secret["data"][ref["key"]]).decode()
    return env
