"""Rate limiting of /api/ with the `limits` library (in-memory storage, fixed one-minute window).

GREENKUBE_RATE_LIMIT requests per minute per client; 0 disables. A client is the API key
when the request presents the right one, else the remote address: a wrong or made-up token
counts against the address, so inventing tokens buys no extra requests. Every limited answer
carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (Unix time in
seconds when the window restarts); a 429 adds `Retry-After` (seconds). The headers are set
when the response is prepared, so streamed answers (CSV export) carry them too.
/health, the docs and /prometheus/metrics are not limited: probes and scrapes never see 429.
"""

import hashlib
import math
import time
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler
from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import FixedWindowRateLimiter

from queryapi.auth import bearer_token, is_preflight, token_matches
from queryapi.config import ApiSettings
from queryapi.errors import error_response

LIMITED_PREFIX = "/api/"


@dataclass(frozen=True)
class RateState:
    """Where a client stands after a request: allowed or not, remaining, window reset (Unix s)."""

    allowed: bool
    limit: int
    remaining: int
    reset: float

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset)),
        }

    def retry_after(self) -> int:
        """Whole seconds until the window restarts, at least 1."""
        return max(1, math.ceil(self.reset - time.time()))


class RateLimiter:
    """Per-client request counts for the application's lifetime (one per app)."""

    def __init__(self, per_minute: int):
        self.enabled = per_minute > 0
        self._item = RateLimitItemPerMinute(max(per_minute, 1))
        self._storage = MemoryStorage()
        self._strategy = FixedWindowRateLimiter(self._storage)

    async def hit(self, client: str) -> RateState:
        """Count one request of `client`; say whether it is within the limit."""
        allowed = await self._strategy.hit(self._item, client)
        stats = await self._strategy.get_window_stats(self._item, client)
        return RateState(allowed, self._item.amount, stats.remaining, stats.reset_time)

    async def close(self) -> None:
        """Stop the storage's expiry task (it would outlive the event loop otherwise)."""
        timer = self._storage.timer
        if timer is not None and not timer.done():
            timer.cancel()
            try:
                await timer
            except BaseException:  # noqa: BLE001 - the cancellation we asked for
                pass


def client_key(request: web.Request, settings: ApiSettings) -> str:
    """`key:<hash>` for a request with the right API key, else `addr:<remote address>`."""
    token = bearer_token(request)
    if settings.api_key is not None and token_matches(token, settings.api_key):
        return "key:" + hashlib.sha256(token.encode()).hexdigest()[:16]
    return f"addr:{request.remote or 'unknown'}"


def make_rate_middleware(settings: ApiSettings) -> Handler:
    """Middleware counting /api/ requests and refusing those over the limit with 429."""

    @web.middleware
    async def limit_rate(request: web.Request, handler: Handler) -> web.StreamResponse:
        limiter = request.app[LIMITER]
        if not limiter.enabled or is_preflight(request) or not request.path.startswith(LIMITED_PREFIX):
            return await handler(request)
        state = await limiter.hit(client_key(request, settings))
        request[RATE_STATE] = state
        if not state.allowed:
            message = f"more than {state.limit} requests per minute; retry in {state.retry_after()} s"
            return error_response(429, "rate_limited", message,
                                  headers={**state.headers(), "Retry-After": str(state.retry_after())})
        return await handler(request)

    return limit_rate


async def add_rate_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: put the client's X-RateLimit-* headers on any answer, streamed or not."""
    state = request.get(RATE_STATE)
    if isinstance(state, RateState):
        response.headers.update(state.headers())


LIMITER = web.AppKey("rate_limiter", RateLimiter)
RATE_STATE = web.RequestKey("rate_state", RateState)
