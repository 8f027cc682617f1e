"""The generated rule files: up to date, conventions of STYLE.md §7, one definition per series,
and every rule covered by a promtool unit test."""

import re
from pathlib import Path

import pytest
import yaml

from rules.alerts import render_alerts
from rules.options import DEFAULT_FOR, RUNBOOK_URL_BASE
from rules.render import render_files
from rules.rollups import render_rollups

ROOT = Path(__file__).parents[2]
TESTS_DIR = Path(__file__).parent
ALERTS = [rule for group in render_alerts()["groups"] for rule in group["rules"]]
RECORDS = [rule["record"] for group in render_rollups()["groups"] for rule in group["rules"]]
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


def test_promtool_unit_tests_cover_every_recorded_series_and_alert():
    rollups_test = (TESTS_DIR / "rollups-test.yml").read_text()
    alerts_test = yaml.safe_load((TESTS_DIR / "alerts-test.yml").read_text())
    tested_alerts = {case["alertname"] for test in alerts_test["tests"] for case in test.get("alert_rule_test", [])}
    fired = {case["alertname"] for test in alerts_test["tests"] for case in test.get("alert_rule_test", [])
             if case["exp_alerts"]}

    assert [name for name in RECORDS if f"- expr: {name}\n" not in rollups_test] == []
    assert tested_alerts == fired == set(DEFAULT_FOR)
