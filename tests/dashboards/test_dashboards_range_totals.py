"""Range totals (dashboards/queries.py `range_total`) are exact to the minute, checked by promtool.

promtool's unit tests run the real Prometheus engine on given series. The series are the two
recorded families a range total reads, made consistent from one list of per-minute rates: the
per-minute `sum_rate5m` readings, and the hourly increases (`sum_increase1h`, one reading a
minute, each the sum of the last 60 minutes). The expected total over a range is the sum of the
minutes that end inside it; the query is the committed Namespaces panel's, variables filled in.
"""

import subprocess

import pytest
import yaml

from exporter import catalogue as cat
from queryapi.recorded import hourly_increase
from rules.rollups import CARBON_BUDGET_COUNTERS, rate_name
from tests.dashboards.conventions import DASHBOARDS_DIR, load, range_values, substitute, targets
from tests.fixtures.tools import require_tool

MINUTES = 300
# Namespace -> minutes it runs (its series stop after): `gone` ends before most ranges do.
LIFETIMES = {"kept": MINUTES, "gone": 100}
# (end of the range, its length) in minutes: across hours, inside one hour, whole-hour start,
# whole-hour end, and a namespace that disappears inside the range.
RANGES = [(277, 150), (277, 20), (240, 120), (277, 37), (130, 100), (300, 300)]


def _rate(namespace: str, counter: cat.MetricDef, minute: int) -> int:
    """A per-second rate of the minute ending at `minute` that changes every minute."""
    seed = sum(map(ord, namespace + counter.name))
    return 1 + (minute * 7 + seed) % 13


def _values(samples: list[int], last: int) -> str:
    """promtool `values`: one a minute from minute 0 to `last`, then a staleness marker."""
    return " ".join(str(v) for v in samples[: last + 1]) + " stale"


def _input_series() -> list[dict]:
    series = []
    for namespace, lifetime in LIFETIMES.items():
        for counter in CARBON_BUDGET_COUNTERS:
            rates = [_rate(namespace, counter, m) for m in range(lifetime + 1)]
            hourly = [60 * sum(rates[max(0, m - 59): m + 1]) for m in range(lifetime + 60)]
            labels = f'{{namespace="{namespace}"}}'
            series.append({"series": rate_name("namespace", counter) + labels, "values": _values(rates, lifetime)})
            series.append({"series": hourly_increase("namespace", counter).name + labels,
                           "values": _values(hourly, lifetime + 59)})
    return series


def _expected(namespace: str, end: int, length: int) -> int:
    """Grams over the range: 60 s times the rate of every minute that ends inside it."""
    minutes = range(end - length + 1, min(end, LIFETIMES[namespace]) + 1)
    return sum(60 * _rate(namespace, counter, m) for m in minutes for counter in CARBON_BUDGET_COUNTERS)


def _carbon_panel_expr() -> str:
    dashboard = load(DASHBOARDS_DIR / "greenkube-namespaces.json")
    return next(query["expr"] for panel, query in targets(dashboard) if panel["title"] == "CO2e")


@pytest.mark.parametrize(("end", "length"), RANGES, ids=[f"end{e}m-range{r}m" for e, r in RANGES])
def test_namespace_range_total_equals_sum_of_minutes(tmp_path, end, length):
    expr = substitute(_carbon_panel_expr(), {"namespace": ".+", **range_values(end * 60, length * 60)})
    samples = [{"labels": f'{{namespace="{ns}"}}', "value": _expected(ns, end, length)}
               for ns in LIFETIMES if _expected(ns, end, length)]
    test = {"rule_files": [], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": _input_series(),
        "promql_expr_test": [{"expr": expr, "eval_time": f"{end}m", "exp_samples": samples}]}]}
    (tmp_path / "range-total-test.yml").write_text(yaml.safe_dump(test, sort_keys=False), encoding="utf-8")

    result = subprocess.run([require_tool("promtool"), "test", "rules", "range-total-test.yml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
