"""Grid carbon intensity per zone: Electricity Maps v3 when a token is set, else the table.

Electricity Maps answers are cached per zone for the refresh interval. A 401, a 429, a
timeout or any other failure falls back to the built-in yearly table for that zone and is
reported (errors counter, source_up 0); the next refresh tries again.
"""

import asyncio
import logging
import math
import time

import aiohttp
from pydantic import HttpUrl, SecretStr

from exporter import tables
from exporter.sources.prometheus import SourceError

log = logging.getLogger("greenkube.exporter")

ELECTRICITY_MAPS = "electricitymaps"
TABLE = "table"
DEFAULT = "default"


class IntensitySource:
    """Intensity in g CO2e/kWh per grid zone, each value with its source."""

    def __init__(self, url: HttpUrl, token: SecretStr | None, refresh_seconds: float, default_g_per_kwh: float):
        self._url = str(url).rstrip("/") + "/carbon-intensity/latest"
        self._token = token
        self._refresh = refresh_seconds
        self._default = default_g_per_kwh
        self._live: dict[str, tuple[float, float]] = {}  # zone -> (g/kWh, fetched at)
        self._next_try: dict[str, float] = {}  # zone -> earliest time of the next request
        self._failures: dict[str, int] = {}  # zone -> failed requests in a row
        self._session: aiohttp.ClientSession | None = None
        self.timeout_seconds = 10.0
        self.errors: list[SourceError] = []  # failures of the last refresh only
        self.version = 0  # changes whenever any zone's value or source may have changed

    @property
    def live(self) -> bool:
        return self._token is not None

    @property
    def healthy(self) -> bool:
        """False while any zone's last request failed (it is then on the table value)."""
        return not self._failures

    async def refresh(self, zones: set[str], now: float | None = None) -> None:
        """Fetch zones that are due: never fetched, older than the refresh interval, or past a backoff.

        A failing zone is retried after 60 s, doubling per failure up to the refresh interval,
        so a 429 or an outage is not hammered every cycle.
        """
        self.errors = []
        if self._token is None:
            return
        now = time.time() if now is None else now
        due = sorted(z for z in zones if now >= self._next_try.get(z, -math.inf))
        results = await asyncio.gather(*(self._fetch(zone) for zone in due), return_exceptions=True)
        if due:
            self.version += 1
        for zone, result in zip(due, results, strict=True):
            if isinstance(result, SourceError):
                self._live.pop(zone, None)
                failures = self._failures[zone] = self._failures.get(zone, 0) + 1
                self._next_try[zone] = now + min(self._refresh, 60.0 * 2 ** (failures - 1))
                self.errors.append(result)
            elif isinstance(result, BaseException):
                raise result
            else:
                self._live[zone] = (result, now)
                self._failures.pop(zone, None)
                self._next_try[zone] = now + self._refresh

    def intensity(self, zone: str) -> tuple[float, str]:
        """Return (g/kWh, source) for `zone`: live value, else yearly table, else the default."""
        if zone in self._live:
            return self._live[zone][0], ELECTRICITY_MAPS
        found = tables.yearly_intensity(zone) if zone else None
        if found is not None:
            return found[0], TABLE
        return self._default, DEFAULT

    async def _fetch(self, zone: str) -> float:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        headers = {"auth-token": self._token.get_secret_value()} if self._token else {}
        try:
            request = self._session.get(self._url, params={"zone": zone}, headers=headers,
                                        timeout=aiohttp.ClientTimeout(total=self.timeout_seconds))
            async with request as response:
                if response.status != 200:
                    raise SourceError(f"electricity_maps_http_{response.status}",
                                      f"Electricity Maps answered HTTP {response.status} for zone {zone}")
                body = await response.json(content_type=None)
        except TimeoutError:
            raise SourceError("electricity_maps_timeout", f"Electricity Maps timed out for zone {zone}") from None
        except (aiohttp.ClientError, ValueError) as err:
            raise SourceError("electricity_maps_unreachable",
                              f"cannot read Electricity Maps for zone {zone}: {type(err).__name__}") from None
        value = body.get("carbonIntensity") if isinstance(body, dict) else None
        if not isinstance(value, int | float) or not 0 <= value < math.inf:
            raise SourceError("electricity_maps_bad_answer", f"Electricity Maps gave no intensity for zone {zone}")
        return float(value)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
