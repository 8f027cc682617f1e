"""`greenkube demo` as a real process: numbers appear, the rules are loaded, Ctrl-C stops every
child, a SIGKILLed demo takes its children with it, busy ports fail fast.

The demo runs in its own session with a dead `http_proxy` in its environment: its loopback
readiness probes and clients must not go through a proxy. Its TMPDIR is the test's own, so
what it leaves behind can be seen.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from exporter.demo.runner import RULE_FILES
from tests.fixtures.prometheus import free_port
from tests.fixtures.tools import require_tool

pytestmark = pytest.mark.e2e
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
ROOT = Path(__file__).parents[2]


class Demo:
    def __init__(self, workdir: Path, ports: list[int], extra_env: dict[str, str] | None = None):
        self.api, self.prometheus, self.exporter, self.cluster = ports
        self.stdout, self.stderr = workdir / "stdout.log", workdir / "stderr.log"
        self.tmp = workdir / "tmp"
        self.tmp.mkdir()
        dead = f"http://127.0.0.1:{free_port()}"
        env = {name: value for name, value in os.environ.items() if not name.startswith("GREENKUBE_")}
        env |= {"http_proxy": dead, "HTTP_PROXY": dead, "TMPDIR": str(self.tmp), **(extra_env or {})}
        names = ["--api-port", "--prometheus-port", "--exporter-port", "--cluster-port"]
        args = [arg for name, port in zip(names, ports, strict=True) for arg in (name, str(port))]
        with self.stdout.open("w") as out, self.stderr.open("w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "exporter.cli", "demo", *args, "--cycle-seconds", "1",
                 "--scrape-interval-seconds", "1"],
                env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_for(self, check, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"demo exited early:\n{self.stderr.read_text()[-3000:]}"
            if result := check():
                return result
            time.sleep(0.5)
        pytest.fail(f"{what} not seen within {timeout:g} s:\n{self.stderr.read_text()[-3000:]}")

    def kill_group(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


def _get(url: str) -> str | None:
    try:
        with _OPENER.open(url, timeout=5) as response:
            return response.read().decode()
    except OSError:
        return None


def _children(pid: int) -> set[tuple[int, str]]:
    """(pid, start time) of every process whose parent is `pid`, read from /proc/*/stat."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # fields[0] is the state, [1] the parent, [19] the start time
            found.add((int(stat.parent.name), fields[19]))
    return found


def _alive(pid: int, start: str) -> bool:
    """The process `pid` started at `start` still runs (a zombie waiting for its reaper does not)."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == start and fields[0] != "Z"


def _prometheus_on(port: int) -> list[int]:
    """PIDs of processes started with --web.listen-address=127.0.0.1:<port> (orphans included)."""
    flag = f"--web.listen-address=127.0.0.1:{port}".encode()
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if flag in cmdline.read_bytes().split(b"\0"):
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    require_tool("prometheus")
    started = Demo(tmp_path, [free_port() for _ in range(4)])
    yield started
    started.kill_group()


def _seed_ci_check(demo: Demo, curl_options: str = "") -> str:
    """The seed's CI carbon check, run by a shell as a user types it: curl piped into jq."""
    script = f"curl -s {curl_options} $API/api/v1/metrics | jq '.total_carbon_grams'"
    env = {"PATH": os.environ["PATH"], "API": f"http://127.0.0.1:{demo.api}", "no_proxy": "127.0.0.1"}
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _positive(text: str) -> bool:
    try:
        return float(text) > 0
    except ValueError:
        return False


def _rule_groups(demo: Demo) -> list[dict]:
    body = _get(f"http://127.0.0.1:{demo.prometheus}/api/v1/rules")
    return json.loads(body)["data"]["groups"] if body else []


def _shipped_groups() -> set[tuple[str, str, int]]:
    """(file, group, rule count) of every group in the repository's rules/ files the demo loads."""
    return {(name, group["name"], len(group["rules"])) for name in RULE_FILES
            for group in yaml.safe_load((ROOT / "rules" / name).read_text())["groups"]}


def _carbon(demo: Demo) -> float | None:
    body = _get(f"http://127.0.0.1:{demo.api}/api/v1/metrics")
    value = json.loads(body).get("total_carbon_grams") if body else None
    return value if value else None


# Ctrl-C in a terminal signals the whole foreground process group (the demo and its children
# at once); `kill -INT <pid>` signals the demo alone, which must then stop its children itself;
# `timeout -s INT` (or an impatient second Ctrl-C) signals the demo, then the group again.
@pytest.mark.parametrize("ctrl_c", ["process_group", "parent_only", "parent_then_group"])
def test_demo_command_running_serves_numbers_and_stops_on_sigint(demo: Demo, ctrl_c: str) -> None:
    banner = f"curl -s http://127.0.0.1:{demo.api}/api/v1/metrics | jq .total_carbon_grams"
    demo.wait_for(lambda: banner in demo.stdout.read_text(), 60, "banner")

    assert demo.wait_for(lambda: _carbon(demo), 60, "total_carbon_grams > 0") > 0
    require_tool("curl"), require_tool("jq")
    assert _positive(_seed_ci_check(demo))  # the seed's example, as written
    assert json.loads(_get(f"http://127.0.0.1:{demo.api}/health")) == {"status": "ok"}
    metrics = _get(f"http://127.0.0.1:{demo.exporter}/metrics") or ""
    assert len([line for line in metrics.splitlines() if line.startswith("greenkube_node_info{")]) == 4
    groups = _rule_groups(demo)
    assert {(Path(g["file"]).name, g["name"], len(g["rules"])) for g in groups} == _shipped_groups()
    assert [rule["name"] for group in groups for rule in group["rules"] if rule["health"] == "err"] == []

    children = _children(demo.process.pid)
    assert len(children) == 3  # prometheus, exporter, api
    if ctrl_c == "process_group":
        os.killpg(demo.process.pid, signal.SIGINT)  # the demo leads its own session and group
    else:
        demo.process.send_signal(signal.SIGINT)
    if ctrl_c == "parent_then_group":
        # The second signal must land while the demo is stopping, not merge with the first.
        demo.wait_for(lambda: "stopping the demo" in demo.stderr.read_text() + demo.stdout.read_text(), 20,
                      "the demo stopping")
        os.killpg(demo.process.pid, signal.SIGINT)
    code = demo.process.wait(timeout=20)

    assert code == 0, demo.stderr.read_text()[-3000:]
    assert [pid for pid, start in children if _alive(pid, start)] == []
    assert _prometheus_on(demo.prometheus) == []
    assert [port for port in (demo.api, demo.prometheus, demo.exporter, demo.cluster) if not _port_free(port)] == []
    stderr = demo.stderr.read_text()
    assert "Traceback" not in stderr, stderr[-3000:]
    assert stderr.rstrip().splitlines()[-1] == "greenkube demo: stopped"
    assert list(demo.tmp.iterdir()) == []  # the work folder is gone


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
def test_demo_command_killed_with_sigkill_children_exit_too(demo: Demo) -> None:
    demo.wait_for(lambda: "Press Ctrl-C" in demo.stdout.read_text(), 60, "banner")
    children = _children(demo.process.pid)
    assert len(children) == 3  # prometheus, exporter, api

    demo.process.send_signal(signal.SIGKILL)  # the demo alone: no chance to stop anything itself
    demo.process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid, start) for pid, start in children):
        time.sleep(0.2)

    assert [pid for pid, start in children if _alive(pid, start)] == []
    assert _prometheus_on(demo.prometheus) == []


def test_demo_command_with_api_key_seed_bearer_example_works(tmp_path: Path) -> None:
    require_tool("prometheus"), require_tool("curl"), require_tool("jq")
    demo = Demo(tmp_path, [free_port() for _ in range(4)], {"GREENKUBE_API_KEY": "ci-key-0123"})
    try:
        bearer = '-H "Authorization: Bearer ci-key-0123"'
        printed = demo.wait_for(lambda: _positive(text := _seed_ci_check(demo, bearer)) and text, 90, "carbon")

        assert float(printed) > 0
        assert _seed_ci_check(demo) == "null"  # no token: a 401 error body, which has no such field
        with pytest.raises(urllib.error.HTTPError) as refused:
            _OPENER.open(f"http://127.0.0.1:{demo.api}/api/v1/metrics", timeout=5)
        refused.value.close()
        assert refused.value.code == 401
        assert _seed_ci_check(demo, '-H "Authorization: Bearer wrong"') == "null"
    finally:
        demo.kill_group()


def test_demo_command_busy_api_port_exits_with_one_line(tmp_path: Path) -> None:
    require_tool("prometheus")
    ports = [free_port() for _ in range(4)]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", ports[0]))
        busy.listen()
        demo = Demo(tmp_path, ports)
        try:
            code = demo.process.wait(timeout=10)
        finally:
            demo.kill_group()
    stderr = demo.stderr.read_text()

    assert code == 2
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr
    assert stderr.startswith(f"greenkube: port {ports[0]} (query API) is busy on 127.0.0.1")
    assert _prometheus_on(ports[1]) == [] and _port_free(ports[1])
