"""The one catalogue of GreenKube metric names, types, help texts and labels.

Every other part (exporter, query API, rules tests, dashboards) imports names from here,
so a metric name is written exactly once.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MetricDef:
    name: str
    kind: str  # "counter" | "gauge" | "histogram" (query API only)
    help: str
    labels: tuple[str, ...]


# `uid` keeps two pods of one namespace and name (a pod recreated under the same name, or the
# same-name twins real clusters show) on separate series: each counter is its own and stays
# monotonic. It is "" (the label absent) only when no source knows the UID.
POD_LABELS = ("namespace", "pod", "node", "uid")

POD_ENERGY = MetricDef(
    "greenkube_pod_energy_joules_total", "counter",
    "Estimated IT energy used by the pod in joules (CCF power model: per-vCPU min/max watts, memory watts), "
    "before PUE; power is rate() of this.",
    POD_LABELS,
)
POD_CO2E = MetricDef(
    "greenkube_pod_co2e_grams_total", "counter",
    "Estimated operational emissions of the pod in grams CO2-equivalent: energy x PUE x grid intensity of "
    "the node's grid zone (Electricity Maps, Ember or a configured default).",
    POD_LABELS,
)
POD_EMBODIED_CO2E = MetricDef(
    "greenkube_pod_embodied_co2e_grams_total", "counter",
    "Estimated embodied emissions of the pod's hardware share in grams CO2-equivalent (CCF embodied "
    "coefficients amortised over 4 years, shared by max(request, usage) CPU).",
    POD_LABELS,
)
POD_COST = MetricDef(
    "greenkube_pod_cost_total", "counter",
    "Estimated cost of the pod in the configured currency (see greenkube_build_info) from the OpenCost "
    "allocation model: max(request, usage) x price per vCPU-hour and per GiB-hour.",
    POD_LABELS,
)
POD_CPU_USAGE = MetricDef(
    "greenkube_pod_cpu_usage_cores", "gauge",
    "CPU used by the pod in cores (rate of cAdvisor container_cpu_usage_seconds_total).",
    POD_LABELS,
)
POD_CPU_REQUEST = MetricDef(
    "greenkube_pod_cpu_request_cores", "gauge",
    "CPU requested by the pod in cores (kube-state-metrics); absent when requests are unknown.",
    POD_LABELS,
)
POD_MEMORY_USAGE = MetricDef(
    "greenkube_pod_memory_usage_bytes", "gauge",
    "Memory working set of the pod in bytes (cAdvisor container_memory_working_set_bytes).",
    POD_LABELS,
)
POD_MEMORY_REQUEST = MetricDef(
    "greenkube_pod_memory_request_bytes", "gauge",
    "Memory requested by the pod in bytes (kube-state-metrics); absent when requests are unknown.",
    POD_LABELS,
)
POD_INFO = MetricDef(
    "greenkube_pod_info", "gauge",
    "Pod facts, always 1: owner kind and name, UID, and whether its requests are known.",
    ("namespace", "pod", "node", "uid", "owner_kind", "owner_name", "requests_known"),
)

POD_COUNTERS = (POD_ENERGY, POD_CO2E, POD_EMBODIED_CO2E, POD_COST)
POD_GAUGES = (POD_CPU_USAGE, POD_CPU_REQUEST, POD_MEMORY_USAGE, POD_MEMORY_REQUEST)

NODE_INFO = MetricDef(
    "greenkube_node_info", "gauge",
    "Node facts and the source of each estimate, always 1 (power_source, intensity_source, "
    "embodied_source, price_source say how the numbers were made).",
    ("node", "provider", "instance_type", "region", "zone", "grid_zone", "arch",
     "power_source", "intensity_source", "embodied_source", "price_source", "idle_attribution"),
)
NODE_CPU_CAPACITY = MetricDef(
    "greenkube_node_cpu_capacity_cores", "gauge",
    "CPU capacity of the node in cores (vCPU) from the Kubernetes API.", ("node",),
)
NODE_MEMORY_CAPACITY = MetricDef(
    "greenkube_node_memory_capacity_bytes", "gauge",
    "Memory capacity of the node in bytes from the Kubernetes API.", ("node",),
)
NODE_PUE = MetricDef(
    "greenkube_node_pue_ratio", "gauge",
    "Power usage effectiveness applied to the node's energy (CCF provider averages, region overrides or "
    "configured).", ("node",),
)
NODE_UNALLOCATED_ENERGY = MetricDef(
    "greenkube_node_unallocated_energy_joules_total", "counter",
    "Estimated idle energy of the node in joules that no pod is attributed (CPU nobody requested), before PUE.",
    ("node",),
)
NODE_UNALLOCATED_CO2E = MetricDef(
    "greenkube_node_unallocated_co2e_grams_total", "counter",
    "Estimated operational emissions in grams CO2-equivalent of the node's unallocated idle energy.",
    ("node",),
)
NODE_UNALLOCATED_EMBODIED_CO2E = MetricDef(
    "greenkube_node_unallocated_embodied_co2e_grams_total", "counter",
    "Estimated embodied emissions in grams CO2-equivalent of the node share no pod holds (CCF, 4-year life).",
    ("node",),
)
NODE_UNALLOCATED_COST = MetricDef(
    "greenkube_node_unallocated_cost_total", "counter",
    "Estimated cost in the configured currency of node CPU and memory no pod holds (OpenCost idle).",
    ("node",),
)

# Pod counter and the node counter holding its unallocated remainder: cluster total = sum of both.
UNALLOCATED_OF = {
    POD_ENERGY.name: NODE_UNALLOCATED_ENERGY,
    POD_CO2E.name: NODE_UNALLOCATED_CO2E,
    POD_EMBODIED_CO2E.name: NODE_UNALLOCATED_EMBODIED_CO2E,
    POD_COST.name: NODE_UNALLOCATED_COST,
}
NODE_COUNTERS = tuple(UNALLOCATED_OF.values())
NODE_GAUGES = (NODE_CPU_CAPACITY, NODE_MEMORY_CAPACITY, NODE_PUE)

GRID_INTENSITY = MetricDef(
    "greenkube_grid_intensity_grams_per_kilowatt_hour", "gauge",
    "Carbon intensity of a grid zone in grams CO2-equivalent per kWh, with its source "
    "(electricitymaps live, table of yearly averages, or default).",
    ("zone", "source"),
)

BUILD_INFO = MetricDef(
    "greenkube_build_info", "gauge",
    "GreenKube build facts, always 1; currency names the unit of every cost metric.",
    ("version", "currency"),
)
CYCLE_DURATION = MetricDef(
    "greenkube_cycle_duration_seconds", "gauge",
    "Wall time of the last exporter cycle in seconds.", (),
)
LAST_SUCCESS = MetricDef(
    "greenkube_last_success_timestamp_seconds", "gauge",
    "Unix time in seconds of the last cycle whose required inputs all answered.", (),
)
SOURCE_UP = MetricDef(
    "greenkube_source_up", "gauge",
    "1 when the named input source answered in the last cycle, 0 when it failed, per source.",
    ("source",),
)
ERRORS = MetricDef(
    "greenkube_errors_total", "counter",
    "Errors met by the exporter, by reason (source failures, dropped NaN/Inf/negative samples).",
    ("reason",),
)
PODS_TRACKED = MetricDef(
    "greenkube_pods", "gauge",
    "Number of pods the exporter currently estimates.", (),
)

SELF_METRICS = (BUILD_INFO, CYCLE_DURATION, LAST_SUCCESS, SOURCE_UP, ERRORS, PODS_TRACKED)

# Names of the input sources reported by greenkube_source_up.
SOURCE_PROMETHEUS = "prometheus"
SOURCE_KUBE_STATE_METRICS = "kube_state_metrics"
SOURCE_KUBERNETES = "kubernetes"
SOURCE_ELECTRICITY_MAPS = "electricity_maps"
SOURCE_OPENCOST = "opencost"

# --- Query API self metrics (served by `greenkube api` on /prometheus/metrics, not by the exporter) ---
# `kind` "histogram": prometheus_client adds the _bucket, _sum and _count series.

API_REQUESTS = MetricDef(
    "greenkube_api_requests_total", "counter",
    "HTTP requests answered by the GreenKube query API, by method, route template and status code.",
    ("method", "route", "code"),
)
API_REQUEST_DURATION = MetricDef(
    "greenkube_api_request_duration_seconds", "histogram",
    "Time the GreenKube query API took to answer a request in seconds (engine queries included), "
    "by method and route template.",
    ("method", "route"),
)

API_SELF_METRICS = (BUILD_INFO, API_REQUESTS, API_REQUEST_DURATION)

# Recommendations: one series per active recommendation and per figure, all with the same labels,
# so that PromQL can filter and sum them without joins. `type` is the DESIGN.md label name.
RECOMMENDATION_LABELS = ("id", "type", "severity", "scope", "namespace", "target")
RECOMMENDATION_INFO = MetricDef(
    "greenkube_recommendation_info", "gauge",
    "One series per active recommendation, always 1: id, type, severity (critical|warning|info), "
    "scope (pod|workload|namespace|node), namespace and target name.",
    RECOMMENDATION_LABELS,
)
RECOMMENDATION_SAVINGS_ENERGY = MetricDef(
    "greenkube_recommendation_savings_energy_joules_per_year", "gauge",
    "IT energy in joules per year (before PUE) the recommendation would save, estimated with the "
    "CCF power model from current usage.",
    RECOMMENDATION_LABELS,
)
RECOMMENDATION_SAVINGS_CO2E = MetricDef(
    "greenkube_recommendation_savings_co2e_grams_per_year", "gauge",
    "Operational plus embodied emissions in grams CO2-equivalent per year the recommendation would "
    "save, at the current grid intensity of the nodes concerned.",
    RECOMMENDATION_LABELS,
)
RECOMMENDATION_SAVINGS_COST = MetricDef(
    "greenkube_recommendation_savings_cost_per_year", "gauge",
    "Cost per year in the configured currency (see greenkube_build_info) the recommendation would save, "
    "from the OpenCost allocation model.",
    RECOMMENDATION_LABELS,
)
# Current and recommended amounts differ in kind between recommendation types (cores, bytes,
# replicas, nodes), so their unit is a label here: the one exception to unit-suffixed names.
RECOMMENDATION_CURRENT = MetricDef(
    "greenkube_recommendation_current_value", "gauge",
    "Current amount the recommendation would change, in the unit named by the unit label "
    "(cores, bytes, replicas or nodes).",
    (*RECOMMENDATION_LABELS, "unit"),
)
RECOMMENDATION_RECOMMENDED = MetricDef(
    "greenkube_recommendation_recommended_value", "gauge",
    "Recommended amount, in the unit named by the unit label (cores, bytes, replicas or nodes).",
    (*RECOMMENDATION_LABELS, "unit"),
)
RECOMMENDATION_SAVINGS = (RECOMMENDATION_SAVINGS_ENERGY, RECOMMENDATION_SAVINGS_CO2E, RECOMMENDATION_SAVINGS_COST)
RECOMMENDATION_METRICS = (RECOMMENDATION_INFO, *RECOMMENDATION_SAVINGS, RECOMMENDATION_CURRENT,
                          RECOMMENDATION_RECOMMENDED)

SUSTAINABILITY_SCORE = MetricDef(
    "greenkube_sustainability_score", "gauge",
    "Sustainability score of the namespace from 0 (worst) to 100 (best): weighted dimensions "
    "(resource efficiency, carbon efficiency, waste, node efficiency, scaling, placement, stability).",
    ("namespace",),
)
CLUSTER_SUSTAINABILITY_SCORE = MetricDef(
    "greenkube_cluster_sustainability_score", "gauge",
    "Sustainability score of the whole cluster from 0 (worst) to 100 (best), same dimensions and "
    "weights as greenkube_sustainability_score.",
    (),
)

# --- Budgets and alert thresholds (exporter/budgets.py) ------------------------------------------
# Configuration exported as gauges, so the alerting rules in rules/ compare usage with them and
# need no editing per namespace. `period` names a rolling window: daily = the last 24 hours,
# monthly = the last 30 days (see docs/rules.md).

BUDGET_PERIOD_DAILY = "daily"
BUDGET_PERIOD_MONTHLY = "monthly"
BUDGET_PERIODS = (BUDGET_PERIOD_DAILY, BUDGET_PERIOD_MONTHLY)

NAMESPACE_CO2E_BUDGET = MetricDef(
    "greenkube_namespace_co2e_budget_grams", "gauge",
    "Configured carbon budget of the namespace in grams CO2-equivalent (operational plus embodied) per "
    "period (daily: last 24 hours, monthly: last 30 days); absent when no budget is set.",
    ("namespace", "period"),
)
NAMESPACE_COST_BUDGET = MetricDef(
    "greenkube_namespace_cost_budget", "gauge",
    "Configured cost budget of the namespace in the configured currency (see greenkube_build_info) per "
    "period (daily: last 24 hours, monthly: last 30 days); absent when no budget is set.",
    ("namespace", "period"),
)
GRID_INTENSITY_THRESHOLD = MetricDef(
    "greenkube_grid_intensity_threshold_grams_per_kilowatt_hour", "gauge",
    "Configured grid carbon intensity in grams CO2-equivalent per kWh above which a zone counts as high "
    "(alert GreenKubeHighGridIntensity).",
    (),
)
SUSTAINABILITY_SCORE_THRESHOLD = MetricDef(
    "greenkube_sustainability_score_threshold", "gauge",
    "Configured sustainability score from 0 to 100 below which a namespace or the cluster counts as low "
    "(alert GreenKubeSustainabilityScoreLow).",
    (),
)

ALERT_CONFIG_METRICS = (NAMESPACE_CO2E_BUDGET, NAMESPACE_COST_BUDGET, GRID_INTENSITY_THRESHOLD,
                        SUSTAINABILITY_SCORE_THRESHOLD)
