"""Reading the committed dashboards: their panels, targets and variables (shared by the tests)."""

import json
import re
from collections.abc import Iterator
from pathlib import Path

DASHBOARDS_DIR = Path(__file__).parents[2] / "dashboards"
DASHBOARD_FILES = sorted(DASHBOARDS_DIR.glob("*.json"))
# Grafana's built-in variables, as a 1-minute-step dashboard over the last hour would fill them.
BUILTINS = {"__rate_interval": "1m", "__interval": "15s", "__range_s": "3600", "__range": "1h"}
# `${name}`, `${name:format:args}` (Grafana's `${__from:date:seconds}`) or `$name`.
_VARIABLE = re.compile(r"\$\{(\w+(?::\w+)*)\}|\$(\w+)")
RANGE_FROM, RANGE_TO = "__from:date:seconds", "__to:date:seconds"


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def panels(dashboard: dict) -> Iterator[dict]:
    """Every panel that shows data (rows excluded)."""
    return (panel for panel in dashboard["panels"] if panel["type"] != "row")


def targets(dashboard: dict) -> Iterator[tuple[dict, dict]]:
    for panel in panels(dashboard):
        for query in panel.get("targets", []):
            yield panel, query


def range_values(at: float, range_seconds: int = int(BUILTINS["__range_s"])) -> dict[str, str]:
    """Grafana's range variables for a range of `range_seconds` ending at `at` (Unix seconds)."""
    return {RANGE_TO: str(int(at)), RANGE_FROM: str(int(at) - range_seconds),
            "__range": f"{range_seconds}s", "__range_s": str(range_seconds)}


def substitute(expr: str, values: dict[str, str]) -> str:
    """`expr` with `$name` / `${name}` / `${name:format}` replaced from `values` (built-ins
    included); `$1` stays."""

    def replace(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        if name in values:
            return values[name]
        if name in BUILTINS:
            return BUILTINS[name]
        for builtin in sorted(BUILTINS, key=len, reverse=True):  # `$__range_s` before `$__range`
            if name.startswith(builtin):
                return BUILTINS[builtin] + name[len(builtin):]
        return match.group(0)

    return _VARIABLE.sub(replace, expr)
