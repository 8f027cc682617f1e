"""GreenKube / Recommendations and score: active recommendations, savings, sustainability scores."""

from dashboards.common import (
    COUNT,
    GRAMS,
    JOULES,
    MONEY,
    SCORE,
    Board,
    Column,
    bargauge_panel,
    currency_variable,
    query_variable,
    stat_panel,
    table_panel,
    target,
    timeseries_panel,
)
from exporter import catalogue as cat
from rules.rollups import rate_name

FILE_NAME = "greenkube-recommendations.json"
NS = 'namespace=~"$namespace"'
LABELS = ", ".join(cat.RECOMMENDATION_LABELS)
# Column header and unit of each yearly savings series in the table.
SAVINGS_COLUMNS = {
    cat.RECOMMENDATION_SAVINGS_ENERGY: ("Energy / year", JOULES),
    cat.RECOMMENDATION_SAVINGS_CO2E: ("CO2e / year", GRAMS),
    cat.RECOMMENDATION_SAVINGS_COST: ("Cost / year ($currency)", MONEY),
}


def _savings(metric: cat.MetricDef) -> str:
    return f"sum({metric.name}{{{NS}}}) or vector(0)"


def build() -> Board:
    namespace = query_variable("namespace", "Namespace", rate_name("namespace", cat.POD_ENERGY), "namespace")
    board = Board(FILE_NAME, "Recommendations and score",
                  "What to change to cut energy, carbon and cost, what each change would save per year, and "
                  "the sustainability scores of the namespaces and the cluster.",
                  [namespace, currency_variable()])
    board.row("Now")
    board.add(stat_panel("Active recommendations", COUNT,
                         target(f"count({cat.RECOMMENDATION_INFO.name}{{{NS}}}) or vector(0)", instant=True)))
    board.add(stat_panel("Critical recommendations", COUNT, target(
        f'count({cat.RECOMMENDATION_INFO.name}{{severity="critical", {NS}}}) or vector(0)', instant=True)))
    board.add(stat_panel("CO2e savings per year", GRAMS,
                         target(_savings(cat.RECOMMENDATION_SAVINGS_CO2E), instant=True)))
    board.add(stat_panel("Energy savings per year", JOULES,
                         target(_savings(cat.RECOMMENDATION_SAVINGS_ENERGY), instant=True)))
    board.add(stat_panel("Cost savings per year ($currency)", MONEY,
                         target(_savings(cat.RECOMMENDATION_SAVINGS_COST), instant=True)))
    board.add(stat_panel("Cluster score", SCORE,
                         target(f"max({cat.CLUSTER_SUSTAINABILITY_SCORE.name})", instant=True),
                         description="0 (worst) to 100 (best)."))
    columns = [Column(target(f"max by ({LABELS}) ({metric.name}{{{NS}}})", instant=True, table_format=True),
                      header, unit) for metric, (header, unit) in SAVINGS_COLUMNS.items()]
    board.add(table_panel(
        "Active recommendations and yearly savings", *columns,
        description="One row per active recommendation and what it would save per year ("
                    + ", ".join(header for header, _ in SAVINGS_COLUMNS.values()) + ")."))

    board.row("By type and over time")
    board.add(bargauge_panel(
        "CO2e savings per year by type", GRAMS,
        target(f"sort_desc(sum by (type) ({cat.RECOMMENDATION_SAVINGS_CO2E.name}{{{NS}}}))", "{{type}}",
               instant=True)))
    board.add(timeseries_panel(
        "Active recommendations by severity", COUNT,
        target(f"count by (severity) ({cat.RECOMMENDATION_INFO.name}{{{NS}}})", "{{severity}}"), stacked=True))
    board.add(timeseries_panel(
        "Sustainability scores", SCORE,
        target(f"max by (namespace) ({cat.SUSTAINABILITY_SCORE.name}{{{NS}}})", "{{namespace}}"),
        target(f"max({cat.CLUSTER_SUSTAINABILITY_SCORE.name})", "cluster"),
        target(f"max({cat.SUSTAINABILITY_SCORE_THRESHOLD.name})", "alert threshold"), span=24))
    return board
