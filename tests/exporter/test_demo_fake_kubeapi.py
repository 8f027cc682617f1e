"""tests/fakes/kubeapi.py: recorded real API JSON through the real kubernetes.aio client."""

from kubernetes.aio import client, config

from exporter.demo.server import write_kubeconfig
from tests.fakes.kubeapi import EKS_NODES, EKS_PODS, GKE_PODS, MINIKUBE_NODES, make_kubeapi_app
from tests.fixtures.tools import SHARED_DATA


async def _core_lists(aiohttp_server, tmp_path, app):
    server = await aiohttp_server(app)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", f"http://{server.host}:{server.port}")
    configuration = client.Configuration()
    await config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    async with client.ApiClient(configuration) as api:
        core = client.CoreV1Api(api)
        return (await core.list_node()).items, (await core.list_pod_for_all_namespaces()).items


def test_fake_kubeapi_shared_data_path_points_at_recorded_files():
    assert (SHARED_DATA / "SOURCES.md").is_file()


async def test_fake_kubeapi_eks_recorded_nodes_and_pods(aiohttp_server, tmp_path):
    nodes, pods = await _core_lists(aiohttp_server, tmp_path, make_kubeapi_app(EKS_NODES, EKS_PODS))
    assert [n.metadata.name for n in nodes] == ["duckboat-01", "duckboat-02"]
    assert nodes[0].metadata.labels["node.kubernetes.io/instance-type"] == "m6gd.2xlarge"
    assert nodes[0].spec.provider_id == "aws:///us-east-1a/i-03dc801fd988ab620"
    assert len(pods) == 11 and {p.spec.node_name for p in pods} == {"duckboat-01"}


async def test_fake_kubeapi_gke_pods_with_yaml_nodes_keep_twin_uids(aiohttp_server, tmp_path):
    nodes, pods = await _core_lists(aiohttp_server, tmp_path, make_kubeapi_app(MINIKUBE_NODES, GKE_PODS))
    assert [n.metadata.name for n in nodes] == ["datagen-1-35"]
    twins = sorted(p.metadata.uid for p in pods if p.metadata.name == "fluentd-gcp-v2.0.10-9q9t4")
    assert twins == ["2edfd4d9-10ce-11e8-bd5a-42010af00137", "2fdfd4d9-10ce-11e8-bd5a-42010af00137"]
