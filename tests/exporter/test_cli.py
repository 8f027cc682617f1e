"""The `greenkube` command as a real process: help, usage errors, bad settings, start and SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from exporter.demo.server import write_kubeconfig
from tests.fixtures.prometheus import free_port

TIMEOUT_SECONDS = 30
SECRET = "s3cret-token-42"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _clean_env(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("GREENKUBE_")}
    return {**env, **extra}


def _greenkube(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exporter.cli", *args], env=_clean_env(**env),
                          capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)


@pytest.mark.parametrize(
    ("args", "usage"),
    [((), "usage: greenkube "), (("exporter",), "usage: greenkube exporter "),
     (("api",), "usage: greenkube api "), (("demo",), "usage: greenkube demo ")],
)
def test_cli_help_exit_zero_usage(args: tuple[str, ...], usage: str) -> None:
    result = _greenkube(*args, "--help")

    assert result.returncode == 0
    assert result.stdout.startswith(usage)


def test_cli_no_command_exit_two_usage() -> None:
    result = _greenkube()

    assert result.returncode == 2
    assert result.stderr.startswith("usage: greenkube ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("command", "variable", "value", "expected"),
    [
        ("exporter", "GREENKUBE_CYCLE_SECONDS", "abc", "GREENKUBE_CYCLE_SECONDS='abc'"),
        ("api", "GREENKUBE_PROMETHEUS_URL", "ftp://x", "GREENKUBE_PROMETHEUS_URL='ftp://x'"),
        ("exporter", "GREENKUBE_IDLE_ATTRIBUTION", "sometimes", "GREENKUBE_IDLE_ATTRIBUTION='sometimes'"),
        ("api", "GREENKUBE_PROMETHEUS_HEADERS", f"{{Authorization: {SECRET}}}", "GREENKUBE_PROMETHEUS_HEADERS"),
    ],
)
def test_cli_bad_env_setting_one_line_exit_two(command: str, variable: str, value: str, expected: str) -> None:
    result = _greenkube(command, **{variable: value})

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"greenkube: invalid setting {expected}")
    assert "Traceback" not in result.stderr and SECRET not in result.stderr


@pytest.mark.parametrize(("command", "field"), [("exporter", "electricity_maps_token"), ("api", "prometheus_token")])
def test_cli_bad_token_in_yaml_value_hidden(tmp_path: Path, command: str, field: str) -> None:
    config = tmp_path / "token.yaml"
    config.write_text(f"{field}: [{SECRET}]\n")

    result = _greenkube(command, "--config", str(config))

    assert result.returncode == 2
    variable = f"GREENKUBE_{field.upper()}"
    assert result.stderr == f"greenkube: invalid setting {variable}=***: Input should be a valid string\n"


@pytest.mark.parametrize(
    ("command", "text", "expected"),
    [
        ("exporter", None, "cannot read config file {path}: No such file or directory"),
        ("api", "a: [\n", "config file {path} is not valid YAML: "),
        ("api", "- cycle_seconds\n", "config file {path} must hold a mapping of setting: value"),
        ("exporter", "cycle_seconds: 5\ncycle_second: 5\n", "unknown setting 'cycle_second'"),
    ],
)
def test_cli_bad_config_file_one_line_exit_two(tmp_path: Path, command: str, text: str | None, expected: str) -> None:
    config = tmp_path / "greenkube.yaml"
    if text is not None:
        config.write_text(text)

    result = _greenkube(command, "--config", str(config))

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("greenkube: " + expected.format(path=config))
    assert "Traceback" not in result.stderr


def _scrape(url: str) -> str | None:
    try:
        with _OPENER.open(url, timeout=2) as response:
            return response.read().decode()
    except OSError:
        return None


def test_cli_exporter_dead_sources_serves_until_sigterm(tmp_path: Path) -> None:
    metrics_port, dead_port = free_port(), free_port()
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{dead_port}")
    config = tmp_path / "good.yaml"
    config.write_text(f"metrics_port: {metrics_port}\nprometheus_url: http://127.0.0.1:{dead_port}\n"
                      f"kubeconfig: {kubeconfig}\ncycle_seconds: 1\n")
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("w") as stderr, (tmp_path / "stdout.log").open("w") as stdout:
        process = subprocess.Popen([sys.executable, "-m", "exporter.cli", "exporter", "--config", str(config)],
                                   env=_clean_env(), stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
    try:
        deadline, body = time.monotonic() + 15, None
        while time.monotonic() < deadline and process.poll() is None:
            body = _scrape(f"http://127.0.0.1:{metrics_port}/metrics")
            if body and 'greenkube_source_up{source="prometheus"} 0.0' in body:
                break
            time.sleep(0.2)

        assert body is not None and 'greenkube_source_up{source="prometheus"} 0.0' in body, stderr_path.read_text()
        time.sleep(1.5)  # a few more cycles against dead sources
        assert process.poll() is None

        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert code in (0, -signal.SIGTERM)
    assert "Traceback" not in stderr_path.read_text()


@pytest.mark.parametrize("command,variable", [("exporter", "METRICS_PORT"), ("api", "API_PORT")])
def test_cli_listen_port_taken_one_line_exit_one(command: str, variable: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _greenkube(command, **{f"GREENKUBE_{variable}": str(port),
                                        "GREENKUBE_PROMETHEUS_URL": "http://127.0.0.1:9"})
    assert result.returncode == 1
    assert result.stderr.strip().startswith("greenkube: cannot start:")
    assert "Traceback" not in result.stderr


def test_cli_bad_url_with_credentials_masked() -> None:
    result = _greenkube("api", GREENKUBE_PROMETHEUS_URL="https://admin:hunter2@prom:99999")
    assert result.returncode == 2
    assert "hunter2" not in result.stderr and "admin" not in result.stderr
    assert "GREENKUBE_PROMETHEUS_URL" in result.stderr


def test_cli_api_long_parameter_gets_json_400() -> None:
    """A 20 kB parameter reaches validation (JSON error shape), not aiohttp's plain 8 kB refusal;
    a request line over the 64 kB limit is refused with a 400 and one log line, no traceback."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "exporter.cli", "api"],
                               env=_clean_env(GREENKUBE_API_PORT=str(port),
                                              GREENKUBE_PROMETHEUS_URL=f"http://127.0.0.1:{free_port()}"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while _scrape(f"http://127.0.0.1:{port}/health") is None and time.monotonic() < deadline:
            time.sleep(0.2)
        url = f"http://127.0.0.1:{port}/api/v1/metrics/pods?namespace={'a' * 20_000}"
        with pytest.raises(urllib.error.HTTPError) as refused:
            _OPENER.open(url, timeout=10)  # no proxy: loopback only
        body = refused.value.read().decode()
        with pytest.raises(urllib.error.HTTPError) as too_long:
            _OPENER.open(url.replace("a" * 20_000, "a" * 70_000), timeout=10)
        too_long.value.close()
        header = urllib.request.Request(f"http://127.0.0.1:{port}/health",
                                        headers={"Authorization": "Bearer " + "s3cret" * 2_000})
        with pytest.raises(urllib.error.HTTPError) as header_too_long:
            _OPENER.open(header, timeout=10)
        header_too_long.value.close()
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=TIMEOUT_SECONDS)
    assert refused.value.code == 400
    assert '"code": "invalid_parameter"' in body and "namespace" in body
    assert too_long.value.code == 400
    assert header_too_long.value.code == 400
    assert "Traceback" not in stderr
    assert stderr.count("refused with HTTP 400") == 2
    assert "s3cret" not in stderr


def _fake_prometheus(folder: Path, marker: Path) -> Path:
    """A stand-in for the Prometheus binary: notes that it was started, then fails (exit 3)."""
    script = folder / "fake-prometheus"
    script.write_text(f"#!/bin/sh\ntouch {marker}\nexit 3\n")
    script.chmod(0o755)
    return script


def _demo(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, Path, Path]:
    """`greenkube demo` on free ports with a fake Prometheus and its own TMPDIR."""
    tmp, marker = tmp_path / "tmp", tmp_path / "prometheus-started"
    tmp.mkdir(exist_ok=True)
    ports = [arg for flag in ("--api-port", "--prometheus-port", "--exporter-port", "--cluster-port")
             for arg in (flag, str(free_port()))]
    prometheus = _fake_prometheus(tmp_path, marker)
    result = _greenkube("demo", *ports, "--prometheus-bin", str(prometheus), *args, TMPDIR=str(tmp))
    return result, tmp, marker


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--speed", "0"), "argument --speed: must be a number above 0 and at most 1000000, not '0'"),
        (("--speed", "-1"), "argument --speed: must be a number above 0 and at most 1000000, not '-1'"),
        (("--speed", "nan"), "argument --speed: must be a number above 0 and at most 1000000, not 'nan'"),
        (("--speed", "inf"), "argument --speed: must be a number above 0 and at most 1000000, not 'inf'"),
        (("--api-port", "99999"), "argument --api-port: must be a port number from 1 to 65535, not '99999'"),
        (("--prometheus-port", "0"), "argument --prometheus-port: must be a port number from 1 to 65535, not '0'"),
        (("--exporter-port", "x"), "argument --exporter-port: must be a port number from 1 to 65535, not 'x'"),
        (("--cluster-port", "-5"), "argument --cluster-port: must be a port number from 1 to 65535, not '-5'"),
        (("--scrape-interval-seconds", "0"), "argument --scrape-interval-seconds: must be a number from 0.5 to 600"),
        (("--scrape-interval-seconds", "601"), "argument --scrape-interval-seconds: must be a number from 0.5 to 600"),
        (("--cycle-seconds", "0"), "argument --cycle-seconds: must be a number from 0.2 to 3600, not '0'"),
        (("--cycle-seconds", "nan"), "argument --cycle-seconds: must be a number from 0.2 to 3600, not 'nan'"),
        (("--data-dir", ""), "argument --data-dir: must be a folder path, not an empty string"),
    ],
)
def test_cli_demo_bad_option_one_line_exit_two_nothing_started(tmp_path: Path, args: tuple[str, ...],
                                                               expected: str) -> None:
    result, tmp, marker = _demo(tmp_path, *args)

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"greenkube: {expected}")
    assert result.stderr.rstrip().endswith("(see greenkube demo --help)")
    assert not marker.exists() and list(tmp.iterdir()) == []


def test_cli_demo_two_ports_the_same_one_line_exit_two(tmp_path: Path) -> None:
    port = str(free_port())
    result, tmp, marker = _demo(tmp_path, "--exporter-port", port, "--cluster-port", port)

    assert result.returncode == 2
    assert result.stderr == f"greenkube: --exporter-port and --cluster-port are both {port}: give each demo " \
                            "server its own port\n"
    assert not marker.exists() and list(tmp.iterdir()) == []


@pytest.mark.parametrize(("layout", "expected"), [
    ("under-a-file", "cannot be created or written: Not a directory"),
    ("a-file", "is not a folder"),
])
def test_cli_demo_unusable_data_dir_one_line_exit_two(tmp_path: Path, layout: str, expected: str) -> None:
    (tmp_path / "plain-file").write_text("not a folder\n")
    data_dir = tmp_path / "plain-file" / "data" if layout == "under-a-file" else tmp_path / "plain-file"

    result, tmp, marker = _demo(tmp_path, "--data-dir", str(data_dir))

    assert result.returncode == 2
    assert result.stderr == f"greenkube: --data-dir {data_dir} {expected}\n"
    assert not marker.exists() and list(tmp.iterdir()) == []


def test_cli_demo_failed_start_removes_what_it_made(tmp_path: Path) -> None:
    """Prometheus exits at once: the work folder in TMPDIR and the --data-dir the demo created
    (with its missing parent) are removed, and the demo cluster's port is free again."""
    cluster_port = free_port()
    data_dir = tmp_path / "new" / "data"
    result, tmp, marker = _demo(tmp_path, "--data-dir", str(data_dir), "--cluster-port", str(cluster_port))

    assert marker.exists()  # it got as far as starting Prometheus
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "fake-prometheus exited with code 3 before it was ready" in result.stderr
    assert list(tmp.iterdir()) == [] and not (tmp_path / "new").exists()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", cluster_port))


def test_cli_demo_failed_start_keeps_an_existing_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "kept"
    data_dir.mkdir()
    (data_dir / "old-block").write_text("earlier data\n")

    result, tmp, _ = _demo(tmp_path, "--data-dir", str(data_dir))

    assert result.returncode == 2
    assert (data_dir / "old-block").read_text() == "earlier data\n" and list(tmp.iterdir()) == []


def test_cli_api_unknown_greenkube_variable_warned_once_by_name() -> None:
    port = free_port()
    env = _clean_env(GREENKUBE_API_PORT=str(port), GREENKUBE_PROMETHEUS_URL=f"http://127.0.0.1:{free_port()}",
                     GREENKUBE_CYCLE_SECONDS="5", GREENKUBE_BOGUS_SETTING="1")  # an exporter setting is known
    process = subprocess.Popen([sys.executable, "-m", "exporter.cli", "api"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while _scrape(f"http://127.0.0.1:{port}/health") is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=TIMEOUT_SECONDS)

    warnings = [line for line in stderr.splitlines() if "unknown environment variable" in line]
    assert len(warnings) == 1 and "GREENKUBE_BOGUS_SETTING" in warnings[0]
    assert "GREENKUBE_CYCLE_SECONDS" not in warnings[0] and "GREENKUBE_API_PORT" not in warnings[0]
