"""Loopback stand-ins for the services the health checks and runtime config talk to.

Real aiohttp servers on 127.0.0.1 (started through pytest-aiohttp's `aiohttp_server`):
- `StubEngine`: answers POST /api/v1/query like Prometheus, one value per known query
  (a query it does not know gets an empty vector), and records what it was asked.
- `StubHttp`: answers GET on any path with a chosen status, and records the headers.
"""

import asyncio
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class StubEngine:
    values: dict[str, float] = field(default_factory=dict)
    delay: float = 0.0
    status: int = 200
    seen: list[dict] = field(default_factory=list)
    url: str = ""

    async def start(self, aiohttp_server) -> "StubEngine":
        app = web.Application()
        app.router.add_post("/{prefix:.*}api/v1/query", self._answer)
        server = await aiohttp_server(app)
        self.url = str(server.make_url("/")).rstrip("/")
        return self

    def queries(self) -> list[str]:
        return [one["query"] for one in self.seen]

    async def _answer(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.seen.append({"query": form["query"], "authorization": request.headers.get("Authorization")})
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"status": "error", "errorType": "internal", "error": "boom"},
                                     status=self.status)
        query = str(form["query"])
        result = [{"metric": {}, "value": [0, str(self.values[query])]}] if query in self.values else []
        return web.json_response({"status": "success", "data": {"resultType": "vector", "result": result}})


@dataclass
class StubHttp:
    status: int = 200
    delay: float = 0.0
    seen: list[dict] = field(default_factory=list)
    url: str = ""

    async def start(self, aiohttp_server, prefix: str = "") -> "StubHttp":
        app = web.Application()
        app.router.add_get("/{path:.*}", self._answer)
        server = await aiohttp_server(app)
        self.url = str(server.make_url("/")).rstrip("/") + prefix
        return self

    async def _answer(self, request: web.Request) -> web.Response:
        self.seen.append({"path": request.path, "headers": dict(request.headers)})
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response({}, status=self.status)
