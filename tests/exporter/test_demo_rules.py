"""The demo's Prometheus gets GreenKube's rule files, and they ship inside the installed package.

A wheel built from the project holds rules/*.yml; installed on its own (no checkout on the
path), `write_rule_files` copies the same text the repository has. The demo's prometheus.yml,
rule files included, passes `promtool check config`, fractional scrape intervals too.
"""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from exporter.demo.runner import RULE_FILES, prometheus_config, prometheus_duration, write_rule_files
from tests.fixtures.tools import require_tool

ROOT = Path(__file__).parents[2]
_NOT_BUILT = shutil.ignore_patterns(".*", "build", "*.egg-info", "__pycache__", "tests", "chart", "docs", "dashboards")


def _pip(*args: str, cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of the project, built from a copy (the checkout gets no build/ folder)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_BUILT)
    _pip("wheel", "--no-deps", "--quiet", "--wheel-dir", str(base / "dist"), str(source), cwd=base)
    [built] = (base / "dist").glob("greenkube-*.whl")
    return built


@pytest.mark.e2e
def test_wheel_holds_the_rule_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())

    assert {f"rules/{name}" for name in RULE_FILES} | {"rules/__init__.py"} <= names


@pytest.mark.e2e
def test_wheel_installed_alone_copies_the_repository_rule_files(wheel: Path, tmp_path: Path) -> None:
    target, copies = tmp_path / "site", tmp_path / "copies"
    copies.mkdir()
    _pip("install", "--no-deps", "--quiet", "--target", str(target), str(wheel), cwd=tmp_path)
    script = ("import sys, exporter; from pathlib import Path; from exporter.demo.runner import write_rule_files; "
              "write_rule_files(Path(sys.argv[1])); print(exporter.__file__)")

    done = subprocess.run([sys.executable, "-c", script, str(copies)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=False, env={"PYTHONPATH": str(target), "PATH": "/usr/bin"})

    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(target)  # the installed copy, not the checkout
    for name in RULE_FILES:
        assert (copies / name).read_text() == (ROOT / "rules" / name).read_text()


@pytest.mark.parametrize(("seconds", "text"), [(10, "10s"), (1.5, "1500ms"), (0.5, "500ms"), (600, "600s")])
def test_prometheus_duration_whole_seconds_or_milliseconds(seconds: float, text: str) -> None:
    assert prometheus_duration(seconds) == text


@pytest.mark.parametrize("scrape_seconds", [1.5, 10, 600])
def test_demo_prometheus_config_with_rule_files_passes_promtool(tmp_path: Path, scrape_seconds: float) -> None:
    promtool = require_tool("promtool")
    rule_files = write_rule_files(tmp_path)
    config = prometheus_config(scrape_seconds, "http://127.0.0.1:9", ["node-a"], "http://127.0.0.1:10", rule_files)
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))

    done = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True,
                          text=True, timeout=60, check=False)

    assert done.returncode == 0, done.stdout + done.stderr
    assert config["rule_files"] == [str(tmp_path / name) for name in RULE_FILES]
    assert f"SUCCESS: {len(RULE_FILES)} rule files found" in done.stdout
