"""All rule files: promtool accepts them and their unit tests pass; rules/history.yml is what
queryapi/recorded.py generates (so the API reads exactly the series the rules record)."""

import re
import subprocess
from pathlib import Path

import yaml

from queryapi.recorded import GROUP_NAME, RECORDED, SPARSE, SPARSE_GROUP_NAME, render_rules, render_rules_yaml
from tests.fixtures.tools import require_tool

ROOT = Path(__file__).parents[2]
RULE_FILES = sorted(str(path) for path in (ROOT / "rules").glob("*.yml"))
TEST_FILES = sorted(str(path) for path in (ROOT / "tests" / "rules").glob("*.yml"))


def _promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([require_tool("promtool"), *args], capture_output=True, text=True, timeout=120,
                          check=False, cwd=ROOT)


def test_promtool_check_rules_all_files_pass() -> None:
    result = _promtool("check", "rules", *RULE_FILES)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(RECORDED) + len(SPARSE)} rules found" in result.stdout


def test_promtool_test_rules_all_tests_pass() -> None:
    assert TEST_FILES
    result = _promtool("test", "rules", *TEST_FILES)

    assert result.returncode == 0, result.stdout + result.stderr


def test_history_rules_file_is_generated_text() -> None:
    assert (ROOT / "rules" / "history.yml").read_text(encoding="utf-8") == render_rules_yaml()


def test_history_rules_minute_group_level_metric_operation_names() -> None:
    group, _ = yaml.safe_load((ROOT / "rules" / "history.yml").read_text(encoding="utf-8"))["groups"]

    assert (group["name"], group["interval"]) == (GROUP_NAME, "1m") == ("greenkube.rules", "1m")
    names = [rule["record"] for rule in group["rules"]]
    assert len(names) == len(set(names)) == 26
    for name in names:
        level, metric, operation = name.split(":")
        assert level in ("namespace", "node", "cluster")
        assert metric.startswith("greenkube_") and not metric.endswith("_total")
        assert operation in ("sum_increase1h", "sum")
    assert render_rules()["groups"][0]["rules"] == group["rules"]


def test_history_rules_hourly_group_sparse_copies_of_every_hourly_increase() -> None:
    minute, group = yaml.safe_load((ROOT / "rules" / "history.yml").read_text(encoding="utf-8"))["groups"]

    assert (group["name"], group["interval"]) == (SPARSE_GROUP_NAME, "1h") == ("greenkube.sparse.rules", "1h")
    hourly = [rule["record"] for rule in minute["rules"] if rule["record"].endswith(":sum_increase1h")]
    names = [rule["record"] for rule in group["rules"]]
    operations = [f"sum{span}_{phase}" for span in ("1h", "1d") for phase in ("before", "after")]
    assert names == [f"{name}_{operation}" for name in hourly for operation in operations]
    assert len(names) == 80
    for rule in group["rules"]:
        hourly_name, span, phase = re.fullmatch(r"(.*)_sum(1h|1d)_(before|after)", rule["record"]).groups()
        offset = "3600s" if phase == "before" else "3540s"
        steps = "[3599999ms:1h]" if span == "1h" else "[86399999ms:1h]"
        assert f"({hourly_name} offset {offset}){steps}" in rule["expr"], rule
    assert render_rules()["groups"][1]["rules"] == group["rules"]
