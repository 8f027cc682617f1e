"""The rendered Kubernetes objects: schema-valid, least privilege, probes, no inlined secrets."""

import copy

import pytest

from tests.chart.rendering import ALL_OPTIONS, SECRET_VALUES, container, find, objects, render, require_module

# Oldest version Chart.yaml's kubeVersion admits, and the newest kubernetes-validate ships.
KUBE_VERSIONS = ("1.25.0", "1.37.0")
CRD_GROUP = "monitoring.coreos.com/"


def _validate_strict(obj: dict, version: str) -> str:
    """kubernetes-validate --strict on one object; the schema version it used."""
    kv = require_module("kubernetes_validate")
    return kv.validate(obj, version, strict=True)


@pytest.mark.parametrize("version", KUBE_VERSIONS)
@pytest.mark.parametrize("values", [None, ALL_OPTIONS], ids=["defaults", "all-options"])
def test_chart_render_every_object_passes_strict_schema(values, version):
    builtin = [o for o in objects(values) if not o["apiVersion"].startswith(CRD_GROUP)]

    used = {_validate_strict(obj, version) for obj in builtin}

    assert used == {version.rsplit(".", 1)[0]}
    assert len(builtin) >= 7


def test_strict_schema_unknown_field_in_deployment_is_rejected():
    kv = require_module("kubernetes_validate")
    deployment = copy.deepcopy(find(objects(), "Deployment", "-exporter"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGett"] = {}

    with pytest.raises(kv.ValidationError):
        _validate_strict(deployment, KUBE_VERSIONS[-1])


def test_chart_defaults_optional_objects_absent():
    kinds = sorted(o["kind"] for o in objects())

    assert kinds == ["ClusterRole", "ClusterRoleBinding", "Deployment", "Deployment", "Service", "Service",
                     "ServiceAccount"]


def test_chart_api_disabled_renders_exporter_only():
    objs = objects({"api": {"enabled": False}})

    assert [o["metadata"]["name"] for o in objs if o["kind"] in ("Deployment", "Service")] == [
        "gk-greenkube-exporter", "gk-greenkube-exporter"]


def test_clusterrole_grants_list_watch_on_nodes_pods_only():
    objs = objects(ALL_OPTIONS)
    role = find(objs, "ClusterRole")
    binding = find(objs, "ClusterRoleBinding")
    exporter_pod = find(objs, "Deployment", "-exporter")["spec"]["template"]["spec"]

    assert role["rules"] == [{"apiGroups": [""], "resources": ["nodes", "pods"], "verbs": ["list", "watch"]}]
    assert [o["kind"] for o in objs if o["kind"] in ("Role", "RoleBinding")] == []
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": exporter_pod["serviceAccountName"],
                                    "namespace": "monitoring"}]


def test_api_pod_kubernetes_credentials_not_mounted():
    pod = find(objects(), "Deployment", "-api")["spec"]["template"]["spec"]

    assert pod["automountServiceAccountToken"] is False
    assert "serviceAccountName" not in pod


@pytest.mark.parametrize("component, command, port", [("exporter", "exporter", 9101), ("api", "api", 8000)])
def test_deployment_container_command_port_and_health_probes(component, command, port):
    main = container(objects(), component)
    (named,) = main["ports"]

    assert main["command"] == ["greenkube", command]
    assert named["containerPort"] == port
    for probe in ("livenessProbe", "readinessProbe"):
        assert main[probe]["httpGet"] == {"path": "/health", "port": named["name"]}


def test_exporter_deployment_single_replica_recreate_listens_all_addresses():
    objs = objects(ALL_OPTIONS)
    spec = find(objs, "Deployment", "-exporter")["spec"]
    env = {e["name"]: e.get("value") for e in container(objs, "exporter")["env"]}

    assert (spec["replicas"], spec["strategy"]["type"]) == (1, "Recreate")
    assert env["GREENKUBE_METRICS_HOST"] == "0.0.0.0"


@pytest.mark.parametrize("component", ["exporter", "api"])
def test_deployment_security_context_non_root_read_only(component):
    objs = objects()
    pod = find(objs, "Deployment", f"-{component}")["spec"]["template"]["spec"]
    main = container(objs, component)

    assert pod["securityContext"]["runAsNonRoot"] is True
    assert main["securityContext"]["readOnlyRootFilesystem"] is True
    assert main["securityContext"]["allowPrivilegeEscalation"] is False
    assert main["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert {"name": "tmp", "mountPath": "/tmp"} in main["volumeMounts"]  # writable scratch space
    assert main["resources"]["requests"] and main["resources"]["limits"]["memory"]


def test_deployments_secret_values_only_in_secret_object():
    rendered = render(ALL_OPTIONS)
    objs = objects(ALL_OPTIONS)
    secret = find(objs, "Secret")

    for path, text in rendered.items():
        leaked = [value for value in SECRET_VALUES if value in text]
        assert leaked == [], f"{path} inlines {leaked}"
    assert sorted(secret["data"]) == ["api-key", "electricity-maps-token", "prometheus-password",
                                      "prometheus-token"]


def test_deployment_existing_secret_referenced_no_secret_created():
    values = {"prometheus": {"token": {"existingSecret": "prom-auth", "key": "bearer"}},
              "api": {"apiKey": {"existingSecret": "gk-api", "key": "key"}}}
    objs = objects(values)
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for c in ("exporter", "api")
            for e in container(objs, c)["env"] if "valueFrom" in e}

    assert [o for o in objs if o["kind"] == "Secret"] == []
    assert refs == {"GREENKUBE_PROMETHEUS_TOKEN": {"name": "prom-auth", "key": "bearer"},
                    "GREENKUBE_API_KEY": {"name": "gk-api", "key": "key"}}


def test_chart_secret_value_and_existing_secret_both_set_render_fails():
    helm = require_module("helm_python")

    with pytest.raises(helm.HelmRenderError, match="GREENKUBE_API_KEY: set `value` or `existingSecret`"):
        render({"api": {"apiKey": {"value": "k", "existingSecret": "gk-api"}}})


def test_deployment_secret_change_changes_pod_checksum():
    def checksums(values: dict) -> set[str]:
        return {find(objects(values), "Deployment", f"-{c}")["spec"]["template"]["metadata"]["annotations"]
                ["checksum/secret"] for c in ("exporter", "api")}

    first, second = checksums({"api": {"apiKey": {"value": "a"}}}), checksums({"api": {"apiKey": {"value": "b"}}})

    assert len(first) == len(second) == 1
    assert first != second
