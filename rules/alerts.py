"""GreenKube's alerting rules (docs/runbooks.md has one section per alert).

Every alert has a severity (warning: each needs a person, none is an outage of the
workloads, so none is critical), a `for` from `RuleOptions`, a static one-sentence summary, a templated description
with the values, and a runbook URL: the base plus `#` plus the lowercased alert name.

Budgets and thresholds are series the exporter exports from its settings (exporter/budgets.py),
so these rules never change per namespace. Description templates fetch them with `query`.
"""

import textwrap

from exporter import catalogue as cat
from rules.options import DEFAULT_OPTIONS, BudgetPeriod, RuleOptions
from rules.rollups import CARBON_BUDGET_COUNTERS, COST_BUDGET_COUNTERS, period_name

EXPORTER_GROUP = "greenkube-exporter"
BUDGET_GROUP = "greenkube-budgets"
SUSTAINABILITY_GROUP = "greenkube-sustainability"

# What a failing input changes in the numbers, per greenkube_source_up{source}.
SOURCE_EFFECTS = {
    cat.SOURCE_PROMETHEUS: "pod CPU and memory are unknown, so counters are held and usage gauges dropped",
    cat.SOURCE_KUBERNETES: "nodes and pods are unknown, so counters are held",
    cat.SOURCE_KUBE_STATE_METRICS: "pod requests are unknown, so idle power and cost follow usage only",
    cat.SOURCE_ELECTRICITY_MAPS: "live grid intensity is missing, so the yearly table is used",
    cat.SOURCE_OPENCOST: "OpenCost prices are missing, so the price table is used",
}
# The deployment's currency, from greenkube_build_info{currency}.
CURRENCY = ("{{ with query `max by (currency) (" + cat.BUILD_INFO.name + ")` }}"
            '{{ . | first | label "currency" }}{{ end }}')


def _clean(expr: str) -> str:
    return textwrap.dedent(expr).strip() + "\n" if "\n" in expr.strip() else expr.strip()


def _query_value(expr: str, *args: str) -> str:
    """A template running `expr` (printf-formatted with `args`) and showing its first value."""
    query = f"printf `{expr}` {' '.join(args)} | query" if args else f"query `{expr}`"
    return "{{ with " + query + " }}{{ . | first | value | humanize }}{{ end }}"


def _alert(name: str, options: RuleOptions, expr: str, severity: str, summary: str, description: str,
           labels: dict[str, str] | None = None) -> dict:
    return {
        "alert": name,
        "expr": _clean(expr),
        "for": options.for_of(name),
        "labels": {"severity": severity, **(labels or {})},
        "annotations": {
            "summary": summary,
            "description": description,
            "runbook_url": f"{options.runbook_url_base}#{name.lower()}",
        },
    }


def exporter_alerts(options: RuleOptions) -> list[dict]:
    job = f'up{{job="{options.exporter_job}"}}'
    effects = "".join(
        f'{{{{ {"if" if i == 0 else "else if"} eq $labels.source "{source}" }}}}{effect}'
        for i, (source, effect) in enumerate(SOURCE_EFFECTS.items())
    ) + "{{ else }}see the runbook{{ end }}"
    down = "GreenKubeExporterDown"
    return [
        _alert(down, options, f"{job} == 0 or absent({job})", "warning",
               "The GreenKube exporter is down or not scraped.",
               "{{ with $labels.instance }}Prometheus cannot scrape the GreenKube exporter at {{ . }}"
               "{{ else }}Prometheus has no GreenKube exporter target{{ end }} (job {{ $labels.job }}): "
               "energy, carbon and cost series are not being updated.", {"reason": "unreachable"}),
        # The gauge is 0 until the first successful cycle: that branch's value 0 means "never".
        _alert(down, options, f"""
            time() - ({cat.LAST_SUCCESS.name} > 0) > {options.exporter_stale_seconds}
            or
            {cat.LAST_SUCCESS.name} == 0
            """, "warning",
               "The GreenKube exporter has had no successful cycle for a while.",
               "The GreenKube exporter {{ $labels.instance }} has had no successful cycle "
               "{{ if eq $value 0.0 }}since it started{{ else }}for {{ $value | humanizeDuration }}{{ end }}: "
               "an input it requires (Prometheus or the Kubernetes API) keeps failing, so its counters are held.",
               {"reason": "stalled"}),
        _alert("GreenKubeInputMissing", options, f"{cat.SOURCE_UP.name} == 0", "warning",
               "An input source of the GreenKube exporter is failing.",
               "The GreenKube exporter {{ $labels.instance }} cannot read its input {{ $labels.source }}: "
               + effects + "."),
        _alert("GreenKubeEstimatesDegraded", options, f"""
            label_replace(count({cat.NODE_INFO.name}{{power_source="default"}}), "estimate", "power", "", "")
            or
            label_replace(count({cat.NODE_INFO.name}{{intensity_source="default"}}), "estimate", "intensity", "", "")
            """, "warning",
               "Some nodes' estimates use default coefficients.",
               "{{ $value }} node(s) have {{ $labels.estimate }}_source=\"default\" in " + cat.NODE_INFO.name + ": "
               "{{ if eq $labels.estimate \"power\" }}their watts per vCPU are the on-premises defaults, not "
               "coefficients of their hardware{{ else }}their grid intensity is the configured default (world "
               "average), not their zone's{{ end }}, so their figures are rough."),
    ]


def budget_alerts(options: RuleOptions) -> list[dict]:
    alerts = []
    for period in options.periods:
        alerts.append(_budget_alert("GreenKubeCarbonBudgetExceeded", options, period, CARBON_BUDGET_COUNTERS,
                                    cat.NAMESPACE_CO2E_BUDGET, "A namespace is over its carbon budget.",
                                    "emitted {{ $value | humanize }}g CO2e (operational and embodied)", "g"))
        alerts.append(_budget_alert("GreenKubeCostBudgetExceeded", options, period, COST_BUDGET_COUNTERS,
                                    cat.NAMESPACE_COST_BUDGET, "A namespace is over its cost budget.",
                                    "cost {{ $value | humanize }} " + CURRENCY, " " + CURRENCY))
    return alerts


def _budget_alert(name: str, options: RuleOptions, period: BudgetPeriod, counters: tuple[cat.MetricDef, ...],
                  budget: cat.MetricDef, summary: str, spent: str, unit: str) -> dict:
    usage = [period_name(counter, period) for counter in counters]
    left = ["(", f"  {usage[0]}", *(f"  + {name}" for name in usage[1:]), ")"] if len(usage) > 1 else usage
    expr = "\n".join([
        *left,
        "> on (namespace)",
        f'  max by (namespace) ({budget.name}{{period="{period.name}"}})',
    ])
    limit = _query_value(f'max({budget.name}{{namespace="%s",period="{period.name}"}})', "$labels.namespace")
    description = (f"Namespace {{{{ $labels.namespace }}}} {spent} in the last {period.words}, above its "
                   f"{period.name} budget of {limit}{unit}.")
    return _alert(name, options, expr, "warning", summary, description, {"period": period.name})


def sustainability_alerts(options: RuleOptions) -> list[dict]:
    intensity_limit = _query_value(f"max({cat.GRID_INTENSITY_THRESHOLD.name})")
    score_limit = _query_value(f"max({cat.SUSTAINABILITY_SCORE_THRESHOLD.name})")
    savings = (f'{{{{ with printf `sum({cat.RECOMMENDATION_SAVINGS_CO2E.name}{{id="%s"}})` $labels.id | query }}}}'
               "; applying it would save {{ . | first | value | humanize }}g CO2e per year{{ end }}")
    grid, score = "GreenKubeHighGridIntensity", "GreenKubeSustainabilityScoreLow"
    return [
        _alert(grid, options, f"""
            max by (zone, source) ({cat.GRID_INTENSITY.name})
            > on () group_left ()
              max({cat.GRID_INTENSITY_THRESHOLD.name})
            """, "warning",
               "A grid zone the cluster runs in has a high carbon intensity.",
               "Grid zone {{ $labels.zone }} has been at {{ $value | humanize }} g CO2e/kWh (source "
               f"{{{{ $labels.source }}}}) for {options.for_of(grid)}, above the threshold of {intensity_limit} "
               "g/kWh: every kWh used there emits more; move flexible workloads to a cleaner zone or time."),
        _alert("GreenKubeCriticalRecommendation", options, f"""
            max by (id, type, scope, namespace, target) ({cat.RECOMMENDATION_INFO.name}{{severity="critical"}})
            """, "warning",
               "A critical GreenKube recommendation is active.",
               "Critical {{ $labels.type }} recommendation {{ $labels.id }} for {{ $labels.scope }} "
               "{{ $labels.target }} in namespace {{ $labels.namespace }} is active" + savings + "."),
        _alert(score, options, f"""
            min by (namespace) ({cat.SUSTAINABILITY_SCORE.name})
            < on () group_left ()
              max({cat.SUSTAINABILITY_SCORE_THRESHOLD.name})
            or
            min({cat.CLUSTER_SUSTAINABILITY_SCORE.name})
            < on () group_left ()
              max({cat.SUSTAINABILITY_SCORE_THRESHOLD.name})
            """, "warning",
               "A GreenKube sustainability score is low.",
               "{{ with $labels.namespace }}Namespace {{ . }}{{ else }}The cluster{{ end }} has scored "
               f"{{{{ $value | humanize }}}} out of 100 for {options.for_of(score)}, below the threshold of "
               f"{score_limit}: its score dimensions and active recommendations say what to improve."),
    ]


def render_alerts(options: RuleOptions = DEFAULT_OPTIONS) -> dict:
    """The alert rule file's content: exporter health, budgets, and sustainability groups."""
    return {"groups": [
        {"name": EXPORTER_GROUP, "interval": options.interval, "rules": exporter_alerts(options)},
        {"name": BUDGET_GROUP, "interval": options.interval, "rules": budget_alerts(options)},
        {"name": SUSTAINABILITY_GROUP, "interval": options.interval, "rules": sustainability_alerts(options)},
    ]}
