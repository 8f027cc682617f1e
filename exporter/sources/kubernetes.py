"""Nodes and pods from the Kubernetes API through the official `kubernetes.aio` client.

Lists are read raw (the client's `*_without_preload_content` calls) and only the fields GreenKube needs are kept:
building the client's model objects for 100k pods would cost seconds per cycle.
"""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from kubernetes.aio import client, config
from kubernetes.aio.config import kube_config
from kubernetes.aio.config.config_exception import ConfigException
from kubernetes.utils.quantity import parse_quantity

from exporter.sources.prometheus import SourceError

log = logging.getLogger("greenkube.exporter")

INSTANCE_TYPE_LABELS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
REGION_LABELS = ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")
ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
ARCH_LABELS = ("kubernetes.io/arch", "beta.kubernetes.io/arch")


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """A node as the API describes it; capacity in cores and bytes."""

    name: str
    labels: dict[str, str]
    provider_id: str
    instance_type: str
    region: str
    zone: str
    arch: str
    vcpu: float
    memory_bytes: float


@dataclass(frozen=True, slots=True)
class PodFacts:
    namespace: str
    name: str
    uid: str
    node: str
    owner_kind: str
    owner_name: str


class KubernetesSource:
    """Reads nodes and pods each cycle; `kubeconfig` None means in-cluster, then ~/.kube/config.

    Without any configuration each cycle fails with a SourceError that says what to set
    (greenkube_source_up{source="kubernetes"} 0); the exporter keeps running and retries.
    """

    def __init__(self, kubeconfig: Path | None, page_size: int = 500):
        self._kubeconfig = kubeconfig
        self.page_size = page_size  # objects per list call
        self._api: client.ApiClient | None = None

    async def _core(self) -> client.CoreV1Api:
        if self._api is None:  # tried again each cycle until it loads (a service account mounted late)
            configuration = client.Configuration()
            if self._kubeconfig is not None:
                await _load_file(self._kubeconfig, configuration, "GREENKUBE_KUBECONFIG")
            else:
                try:
                    config.load_incluster_config(client_configuration=configuration)
                except ConfigException:
                    await _load_default(configuration)
            self._api = client.ApiClient(configuration)
        return client.CoreV1Api(self._api)

    async def close(self) -> None:
        if self._api is not None:
            await self._api.close()
            self._api = None

    async def read(self) -> tuple[dict[str, NodeFacts], list[PodFacts]]:
        """Return nodes by name and the pods not yet finished; raise SourceError on failure."""
        core = await self._core()
        try:
            nodes = await _list_all(core.list_node_without_preload_content, parse_node, self.page_size)
            pods = await _list_all(
                core.list_pod_for_all_namespaces_without_preload_content, parse_pod, self.page_size,
                field_selector="status.phase!=Succeeded,status.phase!=Failed",
            )
        except SourceError:
            raise
        except Exception as err:  # noqa: BLE001 - connection, timeout, TLS and JSON errors alike
            message = f"cannot reach the Kubernetes API: {type(err).__name__}"
            raise SourceError("kubernetes_unreachable", message) from None
        return {node.name: node for node in nodes}, pods


NO_CONFIGURATION = (
    "no Kubernetes configuration: not running in a pod (no service account) and no kubeconfig at {paths}; "
    "set GREENKUBE_KUBECONFIG to a kubeconfig file, or run the exporter in a pod with a service account"
)


async def _load_default(configuration: client.Configuration) -> None:
    """Out of a pod: the client's default kubeconfig ($KUBECONFIG, else ~/.kube/config), if there is one.

    Checked first so that, with none, the error says what to set instead of the client's own
    "Config not found" warning and "Expected key current-context" of an empty configuration.
    """
    paths = [Path(p).expanduser() for p in kube_config.KUBE_CONFIG_DEFAULT_LOCATION.split(
        kube_config.ENV_KUBECONFIG_PATH_SEPARATOR) if p]
    if not any(path.is_file() for path in paths):
        shown = ", ".join(str(path) for path in paths) or "~/.kube/config"
        raise SourceError("kubernetes_config", NO_CONFIGURATION.format(paths=shown))
    try:
        await config.load_kube_config(client_configuration=configuration)
    except Exception as err:  # noqa: BLE001 - the client fails on odd files with any exception
        raise SourceError("kubernetes_config", f"cannot load the kubeconfig {_shown_paths(paths)}: "
                                               f"{_reason(err)}") from None


async def _load_file(path: Path, configuration: client.Configuration, setting: str) -> None:
    """Load the kubeconfig `setting` names; a missing file is said so, naming the setting."""
    if not path.expanduser().is_file():
        raise SourceError("kubernetes_config", f"{setting}={path}: no such kubeconfig file")
    try:
        await config.load_kube_config(config_file=str(path.expanduser()), client_configuration=configuration)
    except Exception as err:  # noqa: BLE001 - as above
        raise SourceError("kubernetes_config", f"cannot load the kubeconfig {setting}={path}: "
                                               f"{_reason(err)}") from None


def _shown_paths(paths: list[Path]) -> str:
    return ", ".join(str(path) for path in paths if path.is_file())


def _reason(err: Exception) -> str:
    """The first line of the client's own message, or "not a kubeconfig" for an internal error."""
    if isinstance(err, ConfigException | OSError | yaml.YAMLError) and str(err).strip():
        return str(err).strip().splitlines()[0]
    return f"not a kubeconfig file ({type(err).__name__})"


T = TypeVar("T")


async def _list_all(call, parse: Callable[[dict], T], page_size: int, **selectors: str) -> list[T]:
    """Every item of a list call, fetched in pages (`limit` / `continue`) and parsed page by page.

    Only the parsed facts are kept; each page's JSON is dropped once read, so memory is bounded
    by one page of full objects. An HTTP error becomes a SourceError (a 410 Gone on an expired
    continue token too: the next cycle starts afresh).
    """
    found: list[T] = []
    token = None
    while True:
        extra = {"_continue": token} if token else {}
        async with await call(limit=page_size, _request_timeout=60, **selectors, **extra) as response:
            if response.status != 200:
                raise SourceError("kubernetes_error", f"Kubernetes API answered HTTP {response.status}")
            page = json.loads(await response.read())
        found.extend(parse(item) for item in page.get("items") or [])
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return found


def parse_node(item: dict) -> NodeFacts:
    """Extract NodeFacts from a v1 Node object (both topology and the old beta labels)."""
    meta, spec, status = item.get("metadata", {}), item.get("spec", {}), item.get("status", {})
    labels = meta.get("labels") or {}
    capacity = status.get("capacity") or {}
    arch = _first(labels, ARCH_LABELS) or (status.get("nodeInfo") or {}).get("architecture", "")
    return NodeFacts(
        name=meta.get("name", ""),
        labels=labels,
        provider_id=spec.get("providerID", ""),
        instance_type=_first(labels, INSTANCE_TYPE_LABELS),
        region=_first(labels, REGION_LABELS),
        zone=_first(labels, ZONE_LABELS),
        arch=arch,
        vcpu=_quantity(capacity.get("cpu")),
        memory_bytes=_quantity(capacity.get("memory")),
    )


def parse_pod(item: dict) -> PodFacts:
    """Extract PodFacts from a v1 Pod object; the owner is the controller reference."""
    meta, spec = item.get("metadata", {}), item.get("spec", {})
    owner = next((o for o in meta.get("ownerReferences") or [] if o.get("controller")), {})
    return PodFacts(
        namespace=meta.get("namespace", ""),
        name=meta.get("name", ""),
        uid=meta.get("uid", ""),
        node=spec.get("nodeName", ""),
        owner_kind=owner.get("kind", ""),
        owner_name=owner.get("name", ""),
    )


def _first(labels: dict[str, str], names: tuple[str, ...]) -> str:
    return next((labels[n] for n in names if labels.get(n)), "")


def _quantity(text: str | None) -> float:
    try:
        return float(parse_quantity(text)) if text else 0.0
    except ValueError:
        return 0.0
