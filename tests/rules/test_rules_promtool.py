"""promtool on the rule files: every file checks, and the unit tests of the generated rules pass."""

import subprocess
from pathlib import Path

import pytest

from tests.fixtures.tools import require_tool

RULES_DIR = Path(__file__).parents[2] / "rules"
TESTS_DIR = Path(__file__).parent
RULE_FILES = sorted(RULES_DIR.glob("*.yml"))
UNIT_TESTS = ("rollups-test.yml", "alerts-test.yml")


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([require_tool("promtool"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_promtool_check_rule_file_succeeds(path):
    result = _promtool("check", "rules", str(path), cwd=RULES_DIR)

    assert result.returncode == 0, result.stdout + result.stderr
    # promtool reports lint findings (e.g. duplicate rules) on stdout with exit 0: none allowed.
    assert "FAILED" not in result.stdout + result.stderr, result.stdout + result.stderr


@pytest.mark.parametrize("name", UNIT_TESTS)
def test_promtool_unit_tests_generated_rules_pass(name):
    result = _promtool("test", "rules", name, cwd=TESTS_DIR)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
