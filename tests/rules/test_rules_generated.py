"""The generated rule files: up to date, conventions of STYLE.md §7, one definition per series;
every recorded series of every rule file checked with exact values, and every alert variant
pinned at its `for`, by the promtool unit tests (tests/rules/promtool_coverage.py)."""

import re
from pathlib import Path

import pytest
import yaml

from rules.alerts import SOURCE_EFFECTS, render_alerts
from rules.options import DEFAULT_FOR, DEFAULT_OPTIONS, RUNBOOK_URL_BASE
from rules.render import ALERTS_FILE, render_files
from rules.rollups import render_rollups
from tests.rules.promtool_coverage import (
    OTHER,
    alert_variants,
    loaded_rule_files,
    records_without_exact_test,
    variants_without_for_boundary,
)

ROOT = Path(__file__).parents[2]
TESTS_DIR = Path(__file__).parent
UNIT_TEST_FILES = sorted(TESTS_DIR.glob("*.yml"))
ALERTS = [rule for group in render_alerts()["groups"] for rule in group["rules"]]
# Issue 4: warning by default, critical only for "act now"; no info alerts.
_SEVERITIES = {"warning", "critical"}
_TEMPLATE = re.compile(r"\{\{.*\}\}")


@pytest.mark.parametrize("path", list(render_files()), ids=lambda p: p.name)
def test_rule_file_committed_matches_generator(path):
    assert path.read_text(encoding="utf-8") == render_files()[path], \
        f"{path.name} is stale: run `python -m rules.render`"


@pytest.mark.parametrize("path", list(render_files()), ids=lambda p: p.name)
def test_rule_file_text_loads_back_to_generator_content(path):
    content = render_rollups() if "rollups" in path.name else render_alerts()

    assert yaml.safe_load(render_files()[path]) == content


def test_recorded_series_every_file_defines_each_name_once():
    names = [rule["record"] for path in sorted((ROOT / "rules").glob("*.yml"))
             for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"] if "record" in rule]

    assert len(names) == len(set(names)), sorted(n for n in set(names) if names.count(n) > 1)


def _alert_id(alert: dict) -> str:
    labels = alert["labels"]
    return "-".join(filter(None, (alert["alert"], labels.get("reason"), labels.get("period"))))


@pytest.mark.parametrize("alert", ALERTS, ids=_alert_id)
def test_alert_rule_conventions_are_followed(alert):
    name = alert["alert"]
    annotations = alert["annotations"]

    assert re.fullmatch(r"GreenKube[A-Z][A-Za-z]+", name)
    assert alert["labels"]["severity"] in _SEVERITIES
    assert alert["for"] == DEFAULT_FOR[name]
    assert annotations["summary"].endswith(".") and not _TEMPLATE.search(annotations["summary"])
    assert _TEMPLATE.search(annotations["description"])
    assert annotations["runbook_url"] == f"{RUNBOOK_URL_BASE}#{name.lower()}"


def test_alert_names_match_the_for_defaults():
    assert {alert["alert"] for alert in ALERTS} == set(DEFAULT_FOR)


def test_runbooks_every_alert_has_a_section():
    headings = re.findall(r"^## (\S+)$", (ROOT / "docs" / "runbooks.md").read_text(), flags=re.MULTILINE)

    assert set(DEFAULT_FOR) <= set(headings)


def test_promtool_unit_tests_every_recorded_series_in_every_rule_file_has_exact_values():
    rule_files = sorted((ROOT / "rules").glob("*.yml"))

    assert {path.name for path in rule_files} >= {"history.yml", "greenkube-rollups.rules.yml"}
    assert records_without_exact_test(rule_files, UNIT_TEST_FILES) == []


def test_alert_variants_found_per_source_period_reason_and_estimate():
    variants = alert_variants(ALERTS)

    def values(alert: str, label: str) -> set[str]:
        return {variant.value for variant in variants if (variant.alert, variant.label) == (alert, label)}

    assert values("GreenKubeInputMissing", "source") == set(SOURCE_EFFECTS) | {OTHER}
    assert values("GreenKubeCostBudgetExceeded", "period") == {"daily", "monthly"}
    assert values("GreenKubeCarbonBudgetExceeded", "period") == {"daily", "monthly"}
    assert values("GreenKubeExporterDown", "reason") == {"unreachable", "stalled"}
    assert values("GreenKubeEstimatesDegraded", "estimate") == {"power", "intensity"}
    assert {variant.alert for variant in variants} == set(DEFAULT_FOR)


def test_promtool_unit_tests_every_alert_variant_absent_before_for_and_firing_after():
    tests = [path for path in UNIT_TEST_FILES if ALERTS_FILE.resolve() in loaded_rule_files(path)]

    assert tests
    assert variants_without_for_boundary(alert_variants(ALERTS), DEFAULT_FOR, tests, DEFAULT_OPTIONS.interval) == []
