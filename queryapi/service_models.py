"""Models of the platform endpoints: configuration, runtime changes, health of services.

Pure: no aiohttp, no I/O. The configuration view is built from `ApiSettings` itself, so a
setting added there shows up in GET /api/v1/config without a change here, and a secret
(`SecretStr`, header values, any field named like a credential) is redacted by its type or
name, never by a list someone has to remember to update.
"""

import re
import typing
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import AnyUrl, BaseModel, ConfigDict, Field, HttpUrl, SecretStr, create_model, model_validator

from exporter.config import TOKEN_CHARACTERS, TOKEN_MAX_LENGTH
from queryapi.config import ApiSettings
from queryapi.models import ParameterError

REDACTED = "***"
SERVICE_NAMES = ("prometheus", "kubernetes", "electricity_maps", "opencost", "exporter")
ServiceName = Literal["prometheus", "kubernetes", "electricity_maps", "opencost", "exporter"]
ServiceStatus = Literal["healthy", "degraded", "unreachable", "unconfigured"]
# A field whose name says it holds a credential is redacted even if typed as a plain string.
_CREDENTIAL_NAME = re.compile(r"(token|password|secret|api_key)")
_HEADERS_FIELD = "prometheus_headers"


class HealthQuery(BaseModel):
    """Query string of the health endpoints."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    force: bool = Field(False, description="Check again now instead of answering from the 30 s cache")


class ServiceHealth(BaseModel):
    """Health of one outside service the API or the exporter depends on."""

    status: ServiceStatus = Field(description="unconfigured: not set up, so not checked")
    url: str | None = Field(description="Where it was checked (credentials removed); null when checked "
                                        "through Prometheus series or not configured")
    latency_ms: float | None = Field(description="Duration of the check in milliseconds; null when not checked")
    message: str = Field(description="What the check found, for a person")
    checked_at: datetime = Field(description="When the check ran (UTC)")


class ServicesHealth(BaseModel):
    """Health of every service; `ok` when every configured one is healthy."""

    status: Literal["ok", "degraded"]
    services: dict[ServiceName, ServiceHealth]


_Token = typing.Annotated[
    str,
    Field(min_length=1, max_length=TOKEN_MAX_LENGTH, pattern=f"^{TOKEN_CHARACTERS}$",
          json_schema_extra={"format": "password", "writeOnly": True}),
]


class ServicesUpdate(BaseModel):
    """Body of POST /api/v1/config/services: the fields given are changed (null clears an optional one)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prometheus_url: HttpUrl | None = Field(None, description="Base URL of the Prometheus-compatible engine "
                                                             "(http or https, no credentials or query)")
    prometheus_token: _Token | None = Field(None, description="Bearer token for the engine; null removes it")
    opencost_url: HttpUrl | None = Field(None, description="OpenCost API base URL; null removes it")
    electricity_maps_token: _Token | None = Field(None, description="Electricity Maps token; null removes it")

    @model_validator(mode="after")
    def _check(self) -> "ServicesUpdate":
        if not self.model_fields_set:
            raise ParameterError("body", "give at least one of: " + ", ".join(type(self).model_fields))
        if "prometheus_url" in self.model_fields_set and self.prometheus_url is None:
            raise ParameterError("prometheus_url", "cannot be removed, only replaced")
        for name in ("prometheus_url", "opencost_url"):
            url = getattr(self, name)
            if url is not None and (url.username or url.password or url.query or url.fragment):
                raise ParameterError(name, "must have no user-info, query or fragment (put tokens in *_token)")
        return self

    def changes(self) -> dict[str, Any]:
        """Setting name -> new value (tokens as SecretStr) for the fields the body gave."""
        out: dict[str, Any] = {}
        for name in sorted(self.model_fields_set):
            value = getattr(self, name)
            out[name] = SecretStr(value) if isinstance(value, str) else value
        return out


def redact_url(url: str) -> str:
    """Scheme, host, port and path only: user-info and query may carry credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _is_secret(name: str, annotation: Any) -> bool:
    return SecretStr in _members(annotation) or bool(_CREDENTIAL_NAME.search(name))


def _members(annotation: Any) -> set[Any]:
    args = typing.get_args(annotation)
    return {annotation, *args} if args else {annotation}


def _view_type(name: str, annotation: Any) -> Any:
    """The type a setting has in the configuration view."""
    members = _members(annotation)
    optional = type(None) in members
    if _is_secret(name, annotation):
        return Literal["***"] | None
    if name == _HEADERS_FIELD:
        return dict[str, Literal["***"]]
    if any(isinstance(m, type) and issubclass(m, AnyUrl) for m in members):
        return str | None if optional else str
    if any(getattr(m, "__name__", "") in ("Path", "PosixPath") for m in members):
        return str | None
    if typing.get_origin(annotation) is tuple:
        return list[str]
    return annotation


def _view_model() -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, field in ApiSettings.model_fields.items():
        description = field.description or ""
        if _is_secret(name, field.annotation) or name == _HEADERS_FIELD:
            description = (description + "; " if description else "") + 'secret: "***" when set, else null'
        fields[name] = (_view_type(name, field.annotation), Field(description=description or None))
    return create_model("EffectiveConfig", __doc__="Effective configuration, secrets redacted.", **fields)


EffectiveConfig = _view_model()


def config_view(settings: ApiSettings) -> BaseModel:
    """The effective configuration with every secret shown as "***" (set) or null (unset)."""
    values: dict[str, Any] = {}
    for name, field in type(settings).model_fields.items():
        value = getattr(settings, name)
        if value is None:
            values[name] = None
        elif _is_secret(name, field.annotation):
            values[name] = REDACTED
        elif name == _HEADERS_FIELD:
            values[name] = {header: REDACTED for header in value}
        elif isinstance(value, AnyUrl):
            values[name] = redact_url(str(value))
        elif hasattr(value, "__fspath__"):
            values[name] = str(value)
        else:
            values[name] = list(value) if isinstance(value, tuple) else value
    return EffectiveConfig.model_validate(values)
