"""Typed keys of the objects the application holds (settings, engine client)."""

from aiohttp import web

from queryapi.config import ApiSettings
from queryapi.engine import QueryEngine

SETTINGS = web.AppKey("settings", ApiSettings)
ENGINE = web.AppKey("engine", QueryEngine)
