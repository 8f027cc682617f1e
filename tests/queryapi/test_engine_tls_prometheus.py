"""The engine client over HTTPS against a real Prometheus serving TLS with a test certificate.

GREENKUBE_PROMETHEUS_CA_FILE verifies it, verification on without that CA refuses it (503,
the certificate is not trusted), and GREENKUBE_PROMETHEUS_TLS_VERIFY=false accepts it.
"""

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from queryapi.config import ApiSettings
from queryapi.engine import QueryEngine
from queryapi.errors import EngineUnavailable
from tests.fixtures.tools import require_tool


@pytest.fixture
def tls_prometheus(prometheus_factory, tmp_path: Path):
    """A real Prometheus serving HTTPS with a fresh self-signed certificate for 127.0.0.1."""
    openssl = require_tool("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return prometheus_factory(tls=(cert, key)), cert


async def _one(settings: ApiSettings) -> float:
    engine = QueryEngine(settings)
    try:
        return await engine.query_value("vector(7)", datetime.now(UTC))
    finally:
        await engine.close()


async def test_engine_https_with_ca_file_queries(tls_prometheus) -> None:
    prom, cert = tls_prometheus
    assert prom.url.startswith("https://")

    assert await _one(ApiSettings(prometheus_url=prom.url, prometheus_ca_file=cert)) == 7.0


async def test_engine_https_untrusted_certificate_refused_503(tls_prometheus) -> None:
    prom, _ = tls_prometheus

    with pytest.raises(EngineUnavailable) as refused:
        await _one(ApiSettings(prometheus_url=prom.url))

    assert refused.value.status == 503
    assert "Certificate" in refused.value.log_detail  # aiohttp's certificate error, for the operator


async def test_engine_https_verify_off_accepts_untrusted(tls_prometheus) -> None:
    prom, _ = tls_prometheus

    assert await _one(ApiSettings(prometheus_url=prom.url, prometheus_tls_verify=False)) == 7.0
