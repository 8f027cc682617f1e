"""Write the dashboards: `python -m dashboards.render` (from the repository root).

Each module in DASHBOARDS builds one dashboard; its JSON file (named by the module's
FILE_NAME, which is also the uid) is this module's output, and tests/dashboards checks the
committed files match it.
"""

from pathlib import Path

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from dashboards import cluster, intensity, namespaces, nodes, pods, recommendations

DASHBOARDS_DIR = Path(__file__).parent
DASHBOARDS = (cluster, namespaces, nodes, pods, recommendations, intensity)


def render_dashboards() -> dict[Path, str]:
    """Every dashboard file's path and JSON text (sorted keys, 2-space indent, final newline)."""
    encoder = JSONEncoder(sort_keys=True, indent=2)
    return {DASHBOARDS_DIR / module.FILE_NAME: encoder.encode(module.build().build()) + "\n" for module in DASHBOARDS}


def main() -> None:
    for path, text in render_dashboards().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
