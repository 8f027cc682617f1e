"""A fake Kubernetes API that serves RECORDED real JSON from ../shared/data, for tests.

It answers the same read-only paths as the demo server (/api, /version, /api/v1/nodes,
/api/v1/pods, /api/v1/namespaces/{ns}/pods, field and label selectors, Status 404s), but its
objects are the recorded files, unchanged. Reads /work/shared/data at test time only.
"""

import json

import yaml
from aiohttp import web

from exporter.demo.server import add_kube_routes, status_response
from tests.fixtures.tools import require_shared_data

EKS_NODES = "honeycomb-kubernetes-agent/nodes.json"
EKS_PODS = "honeycomb-kubernetes-agent/pods.json"
MINIKUBE_NODES = "nri-kubernetes-k8s1.35-minikube/nodes.yaml"
MINIKUBE_PODS = "nri-kubernetes-k8s1.35-minikube/kubelet_pods.json"
GKE_PODS = "datadog-integrations-core/kubelet_pods_gke.json"
GKE_CONTAINERD_PODS = "datadog-integrations-core/kubelet_podlist_containerd_gke.json"


def load_recorded(relative: str, kind: str) -> dict:
    """Load a recorded list (JSON, or `kubectl get -o yaml` YAML) as a v1 ``kind`` list."""
    path = require_shared_data() / relative
    text = path.read_text()
    data = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    return {**data, "apiVersion": "v1", "kind": kind, "metadata": data.get("metadata") or {}}


class RecordedKube:
    """Nodes and pods read from recorded files in ../shared/data (paths relative to it)."""

    def __init__(self, nodes: str = EKS_NODES, pods: str | tuple[str, ...] = EKS_PODS) -> None:
        self._nodes = load_recorded(nodes, "NodeList")
        files = (pods,) if isinstance(pods, str) else pods
        lists = [load_recorded(f, "PodList") for f in files]
        self._pods = {**lists[0], "items": [p for lst in lists for p in lst["items"]]}

    def nodes_list(self) -> dict:
        """The recorded NodeList."""
        return self._nodes

    def pods_list(self, namespace: str | None = None) -> dict:
        """The recorded PodList, or its pods in one namespace."""
        items = [p for p in self._pods["items"] if namespace in (None, p["metadata"].get("namespace"))]
        return {**self._pods, "items": items}


def make_kubeapi_app(nodes: str = EKS_NODES, pods: str | tuple[str, ...] = EKS_PODS) -> web.Application:
    """An aiohttp app serving the recorded nodes and pods as a read-only Kubernetes API."""

    @web.middleware
    async def not_found_as_status(request: web.Request, handler):
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return status_response(404, "NotFound", "the server could not find the requested resource")

    app = web.Application(middlewares=[not_found_as_status])
    add_kube_routes(app, RecordedKube(nodes, pods))
    return app
