"""The real `greenkube exporter|api` refusing the settings that used to pass start-up and then
fail every cycle or request: exit 2, one line naming the setting, no traceback, no secret."""

import os
import subprocess
import sys

import pytest

SECRET = "s3cret-token-42"


def _greenkube(command: str, **env: str) -> subprocess.CompletedProcess:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("GREENKUBE_")}
    return subprocess.run([sys.executable, "-m", "exporter.cli", command], env={**clean, **env},
                          capture_output=True, text=True, timeout=30, check=False)


@pytest.mark.parametrize(
    ("command", "env", "expected"),
    [
        ("exporter", {"GREENKUBE_ONPREM_MIN_WATTS_PER_VCPU": "5"},
         "invalid setting GREENKUBE_ONPREM_MIN_WATTS_PER_VCPU=5.0: must not be above "
         "GREENKUBE_ONPREM_MAX_WATTS_PER_VCPU (3.5)"),
        ("exporter", {"GREENKUBE_NODE_OVERRIDES": '{"rack-1": {"min_watts_per_vcpu": 3, "max_watts_per_vcpu": 1}}'},
         "invalid setting GREENKUBE_NODE_OVERRIDES (rack-1)="),
        ("api", {"GREENKUBE_PROMETHEUS_CA_FILE": "/nonexistent.pem"},
         "invalid setting GREENKUBE_PROMETHEUS_CA_FILE='/nonexistent.pem': cannot read the CA file"),
        ("exporter", {"GREENKUBE_PROMETHEUS_CA_FILE": "/nonexistent.pem"},
         "invalid setting GREENKUBE_PROMETHEUS_CA_FILE='/nonexistent.pem': cannot read the CA file"),
        ("api", {"GREENKUBE_PROMETHEUS_HEADERS": f'{{"X-Ok": "{SECRET}\\nb"}}'},
         "invalid setting GREENKUBE_PROMETHEUS_HEADERS=***: the value of header 'X-Ok' has a control"),
        ("exporter", {"GREENKUBE_PROMETHEUS_HEADERS": '{"X Bad": "v"}'},
         "invalid setting GREENKUBE_PROMETHEUS_HEADERS=***: header name 'X Bad' is not an HTTP token"),
        ("api", {"GREENKUBE_API_KEY": ""}, "invalid setting GREENKUBE_API_KEY=***: is empty"),
        ("api", {"GREENKUBE_API_KEY": f"{SECRET} x"}, "invalid setting GREENKUBE_API_KEY=***: must be printable"),
        ("exporter", {"GREENKUBE_PROMETHEUS_TOKEN": f"{SECRET}\n"},
         "invalid setting GREENKUBE_PROMETHEUS_TOKEN=***: must be printable"),
        ("api", {"GREENKUBE_ELECTRICITY_MAPS_TOKEN": ""}, "invalid setting GREENKUBE_ELECTRICITY_MAPS_TOKEN=***: "),
    ],
)
def test_cli_refused_setting_one_line_exit_two(command: str, env: dict[str, str], expected: str) -> None:
    result = _greenkube(command, **env)

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"greenkube: {expected}")
    assert "Traceback" not in result.stderr and SECRET not in result.stderr
