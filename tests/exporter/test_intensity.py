"""Grid intensity: Electricity Maps v3 on a real loopback server, falling back to the table."""

import asyncio

import pytest
from aiohttp import web
from pydantic import HttpUrl, SecretStr

from exporter import tables
from exporter.sources.intensity import DEFAULT, ELECTRICITY_MAPS, TABLE, IntensitySource

TOKEN = "em-secret-token"


class FakeElectricityMaps:
    """Answers /v3/carbon-intensity/latest like Electricity Maps; `status` forces an error answer."""

    def __init__(self) -> None:
        self.status = 200
        self.delay = 0.0
        self.calls: list[tuple[str, str | None]] = []
        self.values = {"DE": 321.0, "FR": 45.0}

    def app(self) -> web.Application:
        async def latest(request: web.Request) -> web.Response:
            zone = request.query.get("zone", "")
            self.calls.append((zone, request.headers.get("auth-token")))
            await asyncio.sleep(self.delay)
            if request.headers.get("auth-token") != TOKEN:
                return web.json_response({"message": "unauthorized"}, status=401)
            if self.status != 200:
                return web.json_response({"message": "no"}, status=self.status)
            return web.json_response({"zone": zone, "carbonIntensity": self.values[zone],
                                      "datetime": "2026-12-03T18:00:00.000Z"})

        app = web.Application()
        app.router.add_get("/v3/carbon-intensity/latest", latest)
        return app


@pytest.fixture
async def fake_em(aiohttp_server):
    fake = FakeElectricityMaps()
    server = await aiohttp_server(fake.app())
    return fake, HttpUrl(str(server.make_url("/v3")))


async def test_intensity_live_value_cached_per_zone(fake_em):
    fake, url = fake_em
    source = IntensitySource(url, SecretStr(TOKEN), refresh_seconds=900, default_g_per_kwh=472.94)
    await source.refresh({"DE", "FR"}, now=1000.0)
    await source.refresh({"DE", "FR"}, now=1500.0)  # within the refresh interval: no new call
    await source.close()

    assert source.intensity("DE") == (321.0, ELECTRICITY_MAPS)
    assert source.intensity("FR") == (45.0, ELECTRICITY_MAPS)
    assert sorted(fake.calls) == [("DE", TOKEN), ("FR", TOKEN)]


async def test_intensity_refresh_after_interval_fetches_again(fake_em):
    fake, url = fake_em
    source = IntensitySource(url, SecretStr(TOKEN), refresh_seconds=900, default_g_per_kwh=472.94)
    await source.refresh({"DE"}, now=1000.0)
    fake.values["DE"] = 300.0
    await source.refresh({"DE"}, now=1900.0)
    await source.close()

    assert source.intensity("DE") == (300.0, ELECTRICITY_MAPS)
    assert len(fake.calls) == 2


@pytest.mark.parametrize("status", [401, 429, 500])
async def test_intensity_error_answer_falls_back_to_table_and_reports(fake_em, status):
    fake, url = fake_em
    fake.status = status
    token = SecretStr(TOKEN if status != 401 else "wrong")
    source = IntensitySource(url, token, refresh_seconds=900, default_g_per_kwh=472.94)
    await source.refresh({"DE"}, now=1000.0)
    await source.close()

    value, origin = source.intensity("DE")
    assert (value, origin) == (tables.yearly_intensity("DE")[0], TABLE)
    assert [e.reason for e in source.errors] == [f"electricity_maps_http_{status}"]
    assert TOKEN not in str(source.errors[0]) and "wrong" not in str(source.errors[0])


async def test_intensity_timeout_falls_back_to_table(fake_em):
    fake, url = fake_em
    fake.delay = 2.0
    source = IntensitySource(url, SecretStr(TOKEN), refresh_seconds=900, default_g_per_kwh=472.94)
    source.timeout_seconds = 0.2
    await source.refresh({"DE"}, now=1000.0)
    await source.close()

    assert source.intensity("DE")[1] == TABLE
    assert [e.reason for e in source.errors] == ["electricity_maps_timeout"]


async def test_intensity_unreachable_falls_back_to_table():
    dead = HttpUrl("http://127.0.0.1:9/v3")  # discard port: nothing listens
    source = IntensitySource(dead, SecretStr(TOKEN), refresh_seconds=900, default_g_per_kwh=472.94)
    await source.refresh({"FR"}, now=1000.0)
    assert source.intensity("FR")[1] == TABLE
    assert source.errors[0].reason == "electricity_maps_unreachable"
    await source.close()


def test_intensity_without_token_uses_table_then_default():
    source = IntensitySource(HttpUrl("http://127.0.0.1:9/v3"), None, 900, default_g_per_kwh=472.94)
    assert source.live is False
    assert source.intensity("DE") == (tables.yearly_intensity("DE")[0], TABLE)
    assert source.intensity("NOT-A-ZONE") == (472.94, DEFAULT)
    assert source.intensity("") == (472.94, DEFAULT)


async def test_intensity_failing_zone_backs_off_then_recovers(fake_em):
    fake, url = fake_em
    fake.status = 429
    source = IntensitySource(url, SecretStr(TOKEN), refresh_seconds=900, default_g_per_kwh=472.94)
    await source.refresh({"DE"}, now=1000.0)
    await source.refresh({"DE"}, now=1030.0)  # inside the 60 s backoff: not asked again
    assert len(fake.calls) == 1 and not source.healthy
    await source.refresh({"DE"}, now=1060.0)  # retried, fails again: next backoff 120 s
    await source.refresh({"DE"}, now=1150.0)
    assert len(fake.calls) == 2
    fake.status = 200
    await source.refresh({"DE"}, now=1180.0)
    await source.close()

    assert len(fake.calls) == 3
    assert source.healthy and source.errors == []
    assert source.intensity("DE") == (321.0, ELECTRICITY_MAPS)
