"""Configuration changed at run time (POST /api/v1/config/services), kept in memory until restart.

`app[SETTINGS]` stays the configuration the process started with (currency, limits, ...);
`app[RUNTIME].settings` is the effective one, the startup settings with the services' URLs and
tokens as last changed. Changing the engine's URL or token swaps the engine's HTTP client:
requests already running keep the old client, which is closed once they can no longer need it
(after the engine timeout), so no request fails because of the swap.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from exporter.config import PrometheusAccess
from queryapi.config import ApiSettings
from queryapi.engine import EngineClient, QueryEngine
from queryapi.errors import InvalidParameter
from queryapi.service_models import ServicesUpdate, redact_url

log = logging.getLogger("greenkube.queryapi")

ENGINE_FIELDS = frozenset({"prometheus_url", "prometheus_token"})


class SwappableEngine(QueryEngine):
    """The engine client whose connection settings can be replaced while requests run."""

    def __init__(self, access: PrometheusAccess):
        super().__init__(access)
        self._retiring: set[asyncio.Task] = set()

    def reconfigure(self, access: PrometheusAccess, grace_seconds: float) -> None:
        """Use `access` for new queries; close the old client after `grace_seconds`."""
        old, self._client = self._client, EngineClient(access)
        task = asyncio.get_running_loop().create_task(_close_later(old, grace_seconds))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def close(self) -> None:
        """Close the current client and, at once, every client still waiting to retire."""
        for task in list(self._retiring):
            task.cancel()
        await asyncio.gather(*self._retiring, return_exceptions=True)
        await super().close()


async def _close_later(client: EngineClient, delay: float) -> None:
    try:
        await asyncio.sleep(delay)
    finally:
        await client.close()


class RuntimeConfig:
    """The effective settings; `apply` changes them under a lock, one change at a time."""

    def __init__(self, settings: ApiSettings):
        self.settings = settings
        self._lock = asyncio.Lock()
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener()` after every change (e.g. to drop cached health results)."""
        self._listeners.append(listener)

    async def apply(self, update: ServicesUpdate, engine: QueryEngine) -> ApiSettings:
        """Apply the fields of `update`; swap the engine client when its URL or token changed."""
        changes = update.changes()
        async with self._lock:
            _check_authorization(self.settings, changes)
            new = self.settings.model_copy(update=changes)
            if ENGINE_FIELDS & changes.keys() and isinstance(engine, SwappableEngine):
                # Old queries may run for up to the engine timeout; keep their client that long.
                engine.reconfigure(new, grace_seconds=new.prometheus_timeout_seconds + 1)
            self.settings = new
            for listener in self._listeners:
                listener()
        log.info("runtime configuration changed (until restart): %s", _describe(changes))
        return new


def _check_authorization(settings: ApiSettings, changes: dict[str, Any]) -> None:
    """A token cannot join an Authorization header of GREENKUBE_PROMETHEUS_HEADERS (start-up refuses it too)."""
    if changes.get("prometheus_token") is None:
        return
    if settings.authorization_header is not None:
        raise InvalidParameter(
            "invalid body field 'prometheus_token': GREENKUBE_PROMETHEUS_HEADERS already sends an "
            "Authorization header; remove it there to use a token",
            [{"parameter": "prometheus_token", "message": "clashes with the configured Authorization header"}],
        )


def _describe(changes: dict[str, Any]) -> str:
    """Field names with URLs shown redacted and tokens never shown."""
    parts = []
    for name, value in changes.items():
        if value is None:
            parts.append(f"{name} removed")
        elif name.endswith("_url"):
            parts.append(f"{name}={redact_url(str(value))}")
        else:
            parts.append(f"{name} set")
    return ", ".join(parts)


RUNTIME = web.AppKey("runtime_config", RuntimeConfig)
