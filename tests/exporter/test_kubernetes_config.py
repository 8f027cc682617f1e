"""Kubernetes configuration missing or broken: one clear reason per cycle, source down, exporter running."""

import logging
from pathlib import Path

import pytest
from kubernetes.aio.config import kube_config
from prometheus_client.parser import text_string_to_metric_families

from exporter import catalogue as cat
from exporter.config import ExporterSettings
from exporter.service import Exporter
from exporter.sources.kubernetes import KubernetesSource
from exporter.sources.prometheus import SourceError
from tests.fixtures.prometheus import free_port


@pytest.fixture
def no_cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Not in a pod (no service host) and the client's default kubeconfig path holds nothing."""
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    missing = tmp_path / "home" / ".kube" / "config"
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(missing))
    return missing


async def _failure(source: KubernetesSource) -> SourceError:
    with pytest.raises(SourceError) as caught:
        await source.read()
    await source.close()
    return caught.value


async def test_no_kubeconfig_not_in_pod_says_what_to_set(no_cluster: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG)

    error = await _failure(KubernetesSource(None))

    assert error.reason == "kubernetes_config"
    assert f"no kubeconfig at {no_cluster}" in str(error)
    assert "set GREENKUBE_KUBECONFIG" in str(error) and "in a pod with a service account" in str(error)
    assert "current-context" not in str(error)
    assert not [r for r in caplog.records if "Config not found" in r.getMessage()]


async def test_kubeconfig_setting_missing_file_named(tmp_path: Path, caplog) -> None:
    path = tmp_path / "no-such-file"

    error = await _failure(KubernetesSource(path))

    assert str(error) == f"GREENKUBE_KUBECONFIG={path}: no such kubeconfig file"
    assert not [r for r in caplog.records if "Config not found" in r.getMessage()]


@pytest.mark.parametrize("text", ["", "a: [\n", "- 1\n"])
async def test_kubeconfig_not_a_kubeconfig_source_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(text, encoding="utf-8")

    error = await _failure(KubernetesSource(path))

    assert error.reason == "kubernetes_config"
    assert str(error).startswith(f"cannot load the kubeconfig GREENKUBE_KUBECONFIG={path}: ")


async def test_default_kubeconfig_broken_named(no_cluster: Path) -> None:
    no_cluster.parent.mkdir(parents=True)
    no_cluster.write_text("", encoding="utf-8")

    error = await _failure(KubernetesSource(None))

    assert str(error) == f"cannot load the kubeconfig {no_cluster}: not a kubeconfig file (TypeError)"


async def test_exporter_without_cluster_source_down_keeps_cycling(no_cluster: Path) -> None:
    exporter = Exporter(ExporterSettings(prometheus_url=f"http://127.0.0.1:{free_port()}"))

    results = [await exporter.run_cycle(), await exporter.run_cycle()]
    body = exporter.exposition().decode()
    await exporter.close()

    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(body) for s in family.samples}
    assert results == [False, False]
    assert samples[(cat.SOURCE_UP.name, (("source", cat.SOURCE_KUBERNETES),))] == 0.0
    assert samples[(cat.ERRORS.name, (("reason", "kubernetes_config"),))] == 2.0
