"""HTTP face of the demo cluster: kubelet cAdvisor, kube-state-metrics and a read-only Kubernetes API.

Paths: GET /nodes/{node}/metrics/cadvisor (also the API-server proxy form
/api/v1/nodes/{node}/proxy/metrics/cadvisor), /kube-state-metrics/metrics, /api, /version[/],
/api/v1/nodes[/{name}], /api/v1/pods, /api/v1/namespaces/{ns}/pods. Anything else answers a
Kubernetes `Status` object with code 404.
"""

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import yaml
from aiohttp import web

from exporter.demo.cluster import DemoCluster

log = logging.getLogger(__name__)

EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
KUBERNETES_VERSION = {
    "major": "1", "minor": "35", "gitVersion": "v1.35.0", "gitCommit": "greenkube-demo", "gitTreeState": "clean",
    "buildDate": "2025-12-17T00:00:00Z", "goVersion": "go1.25.5", "compiler": "gc", "platform": "linux/amd64",
}
_FIELDS = {
    "metadata.name": lambda o: o["metadata"]["name"],
    "metadata.namespace": lambda o: o["metadata"].get("namespace", ""),
    "spec.nodeName": lambda o: o.get("spec", {}).get("nodeName", ""),
    "status.phase": lambda o: o.get("status", {}).get("phase", ""),
}


class KubeSource(Protocol):
    """What the API routes serve: a NodeList and a PodList (optionally one namespace)."""

    def nodes_list(self) -> dict: ...

    def pods_list(self, namespace: str | None = None) -> dict: ...


def status_response(code: int, reason: str, message: str) -> web.Response:
    """A Kubernetes `Status` failure object as a JSON response."""
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "details": {}, "code": code}
    return web.json_response(body, status=code)


@web.middleware
async def _status_errors(request: web.Request, handler):
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return status_response(404, "NotFound", "the server could not find the requested resource")
    except web.HTTPMethodNotAllowed:
        return status_response(405, "MethodNotAllowed", "the server does not allow this method on the requested "
                                                        "resource")


def _matches(obj: dict, selector: str, value_of: Callable[[dict, str], str | None]) -> bool:
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, want = term.split("!=", 1)
            if value_of(obj, key.strip()) == want.strip():
                return False
        elif "=" in term:
            key, want = term.replace("==", "=").split("=", 1)
            if value_of(obj, key.strip()) != want.strip():
                return False
        elif value_of(obj, term) is None:
            return False
    return True


def _field(obj: dict, key: str) -> str:
    if key not in _FIELDS:
        raise KeyError(key)
    return _FIELDS[key](obj)


def _select(request: web.Request, listing: dict) -> web.Response:
    if request.query.get("watch") in ("1", "true"):
        return status_response(400, "BadRequest", "watch is not supported by the GreenKube demo API")
    items = listing["items"]
    try:
        items = [o for o in items if _matches(o, request.query.get("fieldSelector", ""), _field)]
    except KeyError as exc:
        return status_response(400, "BadRequest", f"field label not supported: {exc.args[0]}")
    labels = request.query.get("labelSelector", "")
    items = [o for o in items if _matches(o, labels, lambda x, k: x["metadata"].get("labels", {}).get(k))]
    return _page(request, listing, items)


def _page(request: web.Request, listing: dict, items: list[dict]) -> web.Response:
    """Chunked lists as the API server does them: `limit`, and `continue` carrying on from a token."""
    try:
        limit = int(request.query.get("limit", "0"))
        start = int(request.query.get("continue", "0") or "0")
    except ValueError:
        return status_response(400, "BadRequest", "limit and continue must be integers here")
    metadata = dict(listing.get("metadata") or {})
    metadata.pop("continue", None)
    if limit > 0:
        if start + limit < len(items):
            metadata["continue"] = str(start + limit)
        items = items[start:start + limit]
    return web.json_response({**listing, "metadata": metadata, "items": items})


def add_kube_routes(app: web.Application, source: KubeSource) -> None:
    """Add the read-only Kubernetes API routes (/api, /version, nodes, pods) serving ``source``."""

    async def version(_: web.Request) -> web.Response:
        return web.json_response(KUBERNETES_VERSION)

    async def api_versions(request: web.Request) -> web.Response:
        return web.json_response({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": request.host}]})

    async def nodes(request: web.Request) -> web.Response:
        return _select(request, source.nodes_list())

    async def node(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        found = [n for n in source.nodes_list()["items"] if n["metadata"]["name"] == name]
        if not found:
            return status_response(404, "NotFound", f'nodes "{name}" not found')
        return web.json_response({"kind": "Node", "apiVersion": "v1", **found[0]})

    async def pods(request: web.Request) -> web.Response:
        return _select(request, source.pods_list(request.match_info.get("namespace")))

    app.router.add_get("/version", version)
    app.router.add_get("/version/", version)  # the client's VersionApi asks with a trailing slash
    app.router.add_get("/api", api_versions)
    app.router.add_get("/api/v1/nodes", nodes)
    app.router.add_get("/api/v1/nodes/{name}", node)
    app.router.add_get("/api/v1/pods", pods)
    app.router.add_get("/api/v1/namespaces/{namespace}/pods", pods)


def make_app(cluster: DemoCluster, clock: Callable[[], float] = time.time) -> web.Application:
    """The demo's aiohttp application: cAdvisor per node, kube-state-metrics and the Kubernetes API."""
    app = web.Application(middlewares=[_status_errors])

    async def cadvisor(request: web.Request) -> web.Response:
        name = request.match_info["node"]
        try:
            body = cluster.cadvisor_text(name, clock())
        except KeyError:
            return status_response(404, "NotFound", f'nodes "{name}" not found')
        return web.Response(body=body.encode(), headers={"Content-Type": EXPOSITION_CONTENT_TYPE})

    async def ksm(_: web.Request) -> web.Response:
        body = cluster.ksm_text(clock())
        return web.Response(body=body.encode(), headers={"Content-Type": EXPOSITION_CONTENT_TYPE})

    app.router.add_get("/nodes/{node}/metrics/cadvisor", cadvisor)
    app.router.add_get("/api/v1/nodes/{node}/proxy/metrics/cadvisor", cadvisor)
    app.router.add_get("/kube-state-metrics/metrics", ksm)
    add_kube_routes(app, cluster)
    log.debug("demo app serves %s nodes and %s pods", len(cluster.nodes), len(cluster.pods))
    return app


def write_kubeconfig(path: str | Path, server_url: str, token: str = "greenkube-demo") -> Path:
    """Write a kubeconfig whose only context reaches ``server_url`` with a bearer token; return its path."""
    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": "greenkube-demo",
        "clusters": [{"name": "greenkube-demo", "cluster": {"server": server_url}}],
        "users": [{"name": "greenkube-demo", "user": {"token": token}}],
        "contexts": [{"name": "greenkube-demo", "context": {"cluster": "greenkube-demo", "user": "greenkube-demo"}}],
    }
    path = Path(path)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
    return path
