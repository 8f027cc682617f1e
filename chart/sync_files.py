"""Copy rules/*.yml and dashboards/*.json into chart/files/: `python chart/sync_files.py`.

Helm reads only files inside the chart directory, so the chart carries copies. rules/ and
dashboards/ stay the one source of truth: run this after `python -m rules.render` or
`python -m dashboards.render`; tests/chart fails while a copy differs or is missing.
"""

import shutil
from pathlib import Path

CHART_DIR = Path(__file__).resolve().parent
ROOT = CHART_DIR.parent
# Source folder, file pattern, destination inside chart/files/.
COPIES = ((ROOT / "rules", "*.yml", CHART_DIR / "files" / "rules"),
          (ROOT / "dashboards", "*.json", CHART_DIR / "files" / "dashboards"))


def expected_copies() -> dict[Path, Path]:
    """Destination -> source for every file the chart must carry."""
    return {dest / src.name: src for folder, pattern, dest in COPIES for src in sorted(folder.glob(pattern))}


def sync() -> None:
    """Make chart/files/ hold exactly the expected copies (stale copies are removed)."""
    wanted = expected_copies()
    for _, pattern, dest in COPIES:
        dest.mkdir(parents=True, exist_ok=True)
        for stale in set(dest.glob(pattern)) - set(wanted):
            stale.unlink()
            print(f"removed {stale.relative_to(ROOT)}")
    for dest, src in wanted.items():
        shutil.copyfile(src, dest)
        print(f"copied {src.relative_to(ROOT)} -> {dest.relative_to(ROOT)}")


if __name__ == "__main__":
    sync()
