"""Checks `greenkube demo` makes before it starts anything: ports, and the --data-dir."""

import shutil
import socket
import tempfile
from pathlib import Path

from exporter.config import ConfigError

HOST = "127.0.0.1"


class DemoError(ConfigError):
    """A demo start-up problem, told in one line (busy port, missing binary, unusable --data-dir)."""


def check_distinct_ports(ports: list[tuple[str, str, int]]) -> None:
    """Raise DemoError when two of the (flag, what, port) entries share a port."""
    seen: dict[int, str] = {}
    for flag, _, port in ports:
        if port in seen:
            raise DemoError(f"{seen[port]} and {flag} are both {port}: give each demo server its own port")
        seen[port] = flag


def prepare_data_dir(path: Path) -> Path | None:
    """Create the --data-dir `path` if missing and check a file can be written in it; return the
    topmost folder this created (None when `path` existed), for removal if the start fails."""
    path = path.absolute()
    created = next((folder for folder in (*reversed(path.parents), path) if not folder.exists()), None)
    if path.exists() and not path.is_dir():
        raise DemoError(f"--data-dir {path} is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        if created is not None and created.exists():
            shutil.rmtree(created, ignore_errors=True)
        raise DemoError(f"--data-dir {path} cannot be created or written: {err.strerror or err}") from None
    return created


def check_port_free(port: int, what: str) -> None:
    """Raise DemoError naming the port when something already listens on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers themselves do: a closed connection in TIME_WAIT does not make a port busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            raise DemoError(f"port {port} ({what}) is busy on {HOST}: stop what uses it or pass "
                            f"another port (see greenkube demo --help)") from None
