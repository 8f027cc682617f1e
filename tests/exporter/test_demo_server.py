"""HTTP face of the demo cluster: paths, content types, Status errors, selectors, kubeconfig."""

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from exporter.demo.cluster import GKE_NODE, DemoCluster
from exporter.demo.server import EXPOSITION_CONTENT_TYPE, make_app, write_kubeconfig

START = 1_800_000_000.0


@pytest.fixture(scope="module")
def cluster() -> DemoCluster:
    return DemoCluster.build(START)


@pytest.fixture
async def http(aiohttp_client, cluster):
    now = [START + 30.0]
    http = await aiohttp_client(make_app(cluster, clock=lambda: now[0]))
    http.now = now
    return http


def _cpu_total(text: str) -> float:
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
               if s.name == "container_cpu_usage_seconds_total" and s.labels["id"] == "/")


async def test_cadvisor_path_clock_advances_counters_grow(http):
    first = await http.get(f"/nodes/{GKE_NODE}/metrics/cadvisor")
    assert first.status == 200 and first.headers["Content-Type"] == EXPOSITION_CONTENT_TYPE
    http.now[0] += 60
    second = await http.get(f"/api/v1/nodes/{GKE_NODE}/proxy/metrics/cadvisor")  # API-server proxy form
    assert _cpu_total(await second.text()) > _cpu_total(await first.text())


async def test_ksm_path_serves_exposition(http):
    resp = await http.get("/kube-state-metrics/metrics")
    assert resp.status == 200 and resp.headers["Content-Type"] == EXPOSITION_CONTENT_TYPE
    names = {f.name for f in text_string_to_metric_families(await resp.text())}
    assert {"kube_pod_container_resource_requests", "kube_pod_owner", "kube_pod_info", "kube_node_info",
            "kube_node_status_capacity"} <= names


@pytest.mark.parametrize("path", ["/nope", "/nodes/unknown-node/metrics/cadvisor", "/api/v1/nodes/unknown-node",
                                  "/api/v1/services"])
async def test_server_unknown_path_status_404_json(http, path):
    resp = await http.get(path)
    body = await resp.json()
    assert resp.status == 404
    assert (body["kind"], body["status"], body["reason"], body["code"]) == ("Status", "Failure", "NotFound", 404)


async def test_server_version_and_api_minimal_answers(http):
    version = await (await http.get("/version")).json()
    assert (version["major"], version["gitVersion"]) == ("1", "v1.35.0")
    api = await (await http.get("/api")).json()
    assert api["kind"] == "APIVersions" and api["versions"] == ["v1"]


async def test_pods_namespace_and_selectors_filter(http, cluster):
    scraper = await (await http.get("/api/v1/namespaces/scraper/pods")).json()
    assert scraper["kind"] == "PodList" and {p["metadata"]["namespace"] for p in scraper["items"]} == {"scraper"}
    on_gke = await (await http.get("/api/v1/pods", params={"fieldSelector": f"spec.nodeName={GKE_NODE}"})).json()
    assert len(on_gke["items"]) == sum(1 for p in cluster.pods if p.node == GKE_NODE)
    dns = await (await http.get("/api/v1/pods", params={"labelSelector": "k8s-app=kube-dns"})).json()
    assert len(dns["items"]) == 4
    bad = await http.get("/api/v1/pods", params={"fieldSelector": "spec.schedulerName=x"})
    assert bad.status == 400 and (await bad.json())["reason"] == "BadRequest"


async def test_nodes_by_name_returns_node_object(http):
    node = await (await http.get(f"/api/v1/nodes/{GKE_NODE}")).json()
    assert node["kind"] == "Node" and node["metadata"]["name"] == GKE_NODE


def test_write_kubeconfig_token_user_current_context(tmp_path):
    path = write_kubeconfig(tmp_path / "kc", "http://127.0.0.1:1234", token="t0k")
    config = yaml.safe_load(path.read_text())
    context = next(c["context"] for c in config["contexts"] if c["name"] == config["current-context"])
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
    assert cluster == {"server": "http://127.0.0.1:1234"} and user == {"token": "t0k"}
    assert path.stat().st_mode & 0o077 == 0
