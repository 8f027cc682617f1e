"""What the chart is built from: the copies of rules/ and dashboards/, Chart.yaml, values.yaml."""

import re
import tomllib

import pytest
import yaml

from tests.chart.rendering import CHART_DIR, ROOT, require_module

# Blocks of values.yaml passed to Kubernetes as they are: their inner keys are Kubernetes'.
_PASSTHROUGH = {"resources", "podSecurityContext", "securityContext"}


def _copies() -> list[tuple[str, str]]:
    """(copy inside chart/files, source) for every rule and dashboard file."""
    pairs = [(f"files/rules/{p.name}", p) for p in sorted((ROOT / "rules").glob("*.yml"))]
    pairs += [(f"files/dashboards/{p.name}", p) for p in sorted((ROOT / "dashboards").glob("*.json"))]
    return pairs


def test_chart_files_copies_equal_rules_and_dashboards():
    hint = "run `python chart/sync_files.py`"
    carried = {p.relative_to(CHART_DIR).as_posix() for p in (CHART_DIR / "files").rglob("*") if p.is_file()}

    assert carried == {copy for copy, _ in _copies()}, hint
    for copy, source in _copies():
        assert (CHART_DIR / copy).read_bytes() == source.read_bytes(), f"{copy} differs from {source}: {hint}"


def test_chart_yaml_app_version_equals_pyproject_version():
    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    assert chart["apiVersion"] == "v2"
    assert (chart["name"], chart["version"]) == ("greenkube", "0.1.0")
    assert chart["appVersion"] == project["version"]


def test_chart_lint_strict_reports_no_warnings():
    helm = require_module("helm_python")

    report = helm.lint(CHART_DIR, strict=True)

    assert report["errors"] == []
    # Severity 1 is informational (e.g. "icon is recommended"); 2 and 3 are warnings and errors.
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_values_yaml_every_key_has_comment_above():
    lines = (CHART_DIR / "values.yaml").read_text().splitlines()
    parents: list[tuple[int, str]] = []  # (indent, key) of the enclosing mappings
    missing = []
    for number, line in enumerate(lines):
        match = re.match(r"^( *)([A-Za-z][\w-]*):", line)
        if not match:
            continue
        indent, key = len(match.group(1)), match.group(2)
        parents = [(i, k) for i, k in parents if i < indent]
        if not {k for _, k in parents} & _PASSTHROUGH and not lines[number - 1].strip().startswith("#"):
            missing.append(".".join([*(k for _, k in parents), key]))
        parents.append((indent, key))

    assert missing == []


def _leaf_paths(values: dict, prefix: str = "") -> list[str]:
    """Dotted paths of the documented values (Kubernetes passthrough blocks count as one)."""
    paths = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        descend = isinstance(value, dict) and value and key not in _PASSTHROUGH
        paths += _leaf_paths(value, f"{path}.") if descend else [path]
    return paths


def test_chart_readme_values_table_names_every_value():
    readme = (CHART_DIR / "README.md").read_text()
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())

    def documented(path: str) -> bool:
        parent, _, last = path.rpartition(".")
        return f"`{path}`" in readme or (f"`{parent}." in readme and f"`.{last}`" in readme)

    assert [path for path in _leaf_paths(values) if not documented(path)] == []


def test_require_module_missing_under_ci_fails_instead_of_skipping(monkeypatch):
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="no_such_chart_tool is not usable"):
        require_module("no_such_chart_tool")


def test_require_module_missing_outside_ci_skips(monkeypatch):
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match="no_such_chart_tool is not usable"):
        require_module("no_such_chart_tool")
