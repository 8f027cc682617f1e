"""GreenKube / Pods: top consumers and the least efficient pods, from the pod series.

Variables chain as in the mixin's pod dashboard: `namespace`, then the `node`s running its pods,
then the `pod`s of both (greenkube_pod_info lists every estimated pod); every panel filters on all three.
"""

from dashboards.common import (
    CORES,
    GRAMS,
    MONEY,
    RATIO,
    WATTS,
    Board,
    bargauge_panel,
    currency_variable,
    query_variable,
    target,
    timeseries_panel,
)
from exporter import catalogue as cat
from rules.rollups import rate_name

FILE_NAME = "greenkube-pods.json"
PODS = 'namespace=~"$namespace", node=~"$node", pod=~"$pod"'
TOP = 10


def _pod_rate(counter: cat.MetricDef) -> str:
    return f"sum by (namespace, pod) (rate({counter.name}{{{PODS}}}[$__rate_interval]))"


def _pod_increase(counter: cat.MetricDef) -> str:
    return f"sum by (namespace, pod) (increase({counter.name}{{{PODS}}}[$__range]))"


def _pod_sum(gauge: cat.MetricDef) -> str:
    return f"sum by (namespace, pod) ({gauge.name}{{{PODS}}})"


def build() -> Board:
    namespace = query_variable("namespace", "Namespace", rate_name("namespace", cat.POD_ENERGY), "namespace")
    node = query_variable("node", "Node", f'{cat.POD_INFO.name}{{namespace=~"$namespace"}}', "node")
    pod = query_variable("pod", "Pod", f'{cat.POD_INFO.name}{{namespace=~"$namespace", node=~"$node"}}', "pod")
    board = Board(FILE_NAME, "Pods",
                  f"The top {TOP} pods by power, carbon and cost, and the pods that request the most CPU and "
                  "memory they do not use. Reads the pod series (keep the range short on large clusters).",
                  [namespace, node, pod, currency_variable()])
    board.row("Top consumers")
    board.add(bargauge_panel(f"Top {TOP} by power now", WATTS,
                             target(f"topk({TOP}, {_pod_rate(cat.POD_ENERGY)})", "{{namespace}}/{{pod}}",
                                    instant=True), span=8))
    board.add(bargauge_panel(
        f"Top {TOP} by CO2e over the range", GRAMS,
        target(f"topk({TOP},\n  {_pod_increase(cat.POD_CO2E)}\n  + {_pod_increase(cat.POD_EMBODIED_CO2E)}\n)",
               "{{namespace}}/{{pod}}", instant=True),
        description="Operational plus embodied grams CO2e.", span=8))
    board.add(bargauge_panel(f"Top {TOP} by cost over the range ($currency)", MONEY,
                             target(f"topk({TOP}, {_pod_increase(cat.POD_COST)})", "{{namespace}}/{{pod}}",
                                    instant=True), span=8))
    board.add(timeseries_panel(f"Power of the top {TOP}", WATTS,
                               target(f"topk({TOP}, {_pod_rate(cat.POD_ENERGY)})", "{{namespace}}/{{pod}}"),
                               span=24))

    board.row("Efficiency")
    cpu = f"{_pod_sum(cat.POD_CPU_USAGE)}\n/ ({_pod_sum(cat.POD_CPU_REQUEST)} > 0)"
    memory = f"{_pod_sum(cat.POD_MEMORY_USAGE)}\n/ ({_pod_sum(cat.POD_MEMORY_REQUEST)} > 0)"
    board.add(bargauge_panel(f"Lowest {TOP} CPU efficiency (used / requested)", RATIO,
                             target(f"bottomk({TOP},\n  {cpu}\n)", "{{namespace}}/{{pod}}", instant=True),
                             description="Pods using a small share of the CPU they request.", span=8))
    board.add(bargauge_panel(f"Lowest {TOP} memory efficiency (used / requested)", RATIO,
                             target(f"bottomk({TOP},\n  {memory}\n)", "{{namespace}}/{{pod}}", instant=True),
                             span=8))
    board.add(bargauge_panel(
        f"Top {TOP} idle requested CPU (requested - used)", CORES,
        target(f"topk({TOP},\n  {_pod_sum(cat.POD_CPU_REQUEST)}\n  - {_pod_sum(cat.POD_CPU_USAGE)}\n)",
               "{{namespace}}/{{pod}}", instant=True),
        description="Cores requested but idle: they carry idle power, embodied carbon and cost.", span=8))
    return board
