"""The console hosted in-process behind a real HTTP server (uvicorn on a free port), on the
in-memory adapters or on real Kafka and FerretDB, and a reader of its live tail."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import uvicorn
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from pymongo import AsyncMongoClient

from lienthong.bus import InMemoryBus
from lienthong.clock import Clock, utc_now
from lienthong.events import Event
from lienthong.runtime.host import Host
from lienthong.security import mint_token
from lienthong.settings import Settings
from lienthong.topics import DOSSIER_EVENTS
from lienthong_console.config import ConsoleConfig
from lienthong_console.console import Console
from lienthong_console.service import compose
from tests.support import eventually, free_port

CONSOLE_PREFIXES = ("/console", "/v1/console")


def console_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path template) the app serves under the console's prefixes."""
    found = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if not path.startswith(CONSOLE_PREFIXES):
            continue
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, path))
    return found


def token(settings: Settings, role: str, unit: str | None = None) -> str:
    if role == "agency":
        return mint_token(settings, role="agency", agency="police-1")
    return mint_token(settings, role=role, unit=unit)


def token_of_another_staff_role(settings: Settings, role: str = "clerk") -> str:
    """A validly signed staff token naming a role the console does not know (`mint_token`
    refuses to make one, so it is signed here the way `mint_token` signs)."""
    claims = {
        "iss": settings.token_issuer,
        "sub": f"{role}:-",
        "kind": "staff",
        "role": role,
        "unit": None,
        "agency": None,
        "exp": 4_102_444_800,  # 2100-01-01
    }
    return jwt.encode(claims, settings.token_key.get_secret_value(), algorithm="HS256")


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


@dataclass
class RunningConsole:
    host: Host
    console: Console
    app: FastAPI
    base_url: str
    client: httpx.AsyncClient

    @property
    def settings(self) -> Settings:
        return self.host.settings

    def auth(self, role: str = "operator", unit: str | None = None) -> dict[str, str]:
        return bearer(token(self.settings, role, unit))

    async def publish(self, *events: Event, topic: str = DOSSIER_EVENTS) -> None:
        await self.host.bus.publish(topic, *events)

    async def settled(self) -> None:
        """Until the console's consumer has applied everything published (in memory only;
        on Kafka the tests wait for what they expect to see)."""
        assert isinstance(self.host.bus, InMemoryBus)
        await self.host.bus.wait_idle()

    async def get_json(
        self, path: str, role: str = "operator", unit: str | None = None, **params: Any
    ) -> Any:
        self.client.cookies.clear()
        response = await self.client.get(path, headers=self.auth(role, unit), params=params)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        return response.json()

    def tail(
        self, role: str = "operator", unit: str | None = None, **filters: str
    ) -> contextlib.AbstractAsyncContextManager[LiveTail]:
        """The live tail as `role` (of `unit`) sees it, with the stream's own filters
        (`dossier`, `type`, `procedure`, and `unit_filter` for its `unit`)."""
        if "unit_filter" in filters:
            filters["unit"] = filters.pop("unit_filter")
        return live_tail(self.client, self.auth(role, unit), filters)


@asynccontextmanager
async def running_console(
    settings: Settings,
    *,
    config: ConsoleConfig | None = None,
    clock: Clock = utc_now,
    keep_database: bool = False,
) -> AsyncIterator[RunningConsole]:
    """One `Host(["console"])` served by uvicorn (which runs the app's lifespan: the host's
    start and stop) until the block ends."""
    host = Host(settings, ["console"])
    spec, console = compose(host.contexts["console"], config or ConsoleConfig(), clock)
    host.specs = [spec]
    app = host.app()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=5
        )
    )
    serving = asyncio.create_task(server.serve())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 120
    while not server.started:
        if serving.done() or loop.time() > deadline:
            raise AssertionError("the console did not start")
        await asyncio.sleep(0.05)
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            yield RunningConsole(host, console, app, base_url, client)
    finally:
        server.should_exit = True
        await serving
        if settings.mongo_url and not keep_database:
            cleaner: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
            await cleaner.drop_database(f"{settings.database_prefix}_console")
            await cleaner.close()


# --- the live tail (server-sent events) -------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """One server-sent event."""

    event: str
    data: str
    id: str | None = None

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class LiveTail:
    """What one connected client of `/v1/console/stream` has received so far."""

    response: httpx.Response
    events: list[Sent] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    async def read(self) -> None:
        fields: dict[str, str] = {}
        async for line in self.response.aiter_lines():
            self.lines.append(line)
            if not line:
                if fields:
                    self.events.append(
                        Sent(
                            fields.get("event", "message"), fields.get("data", ""), fields.get("id")
                        )
                    )
                fields = {}
            elif not line.startswith(":"):  # a comment is a keep-alive
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")

    def dossier_events(self) -> list[dict[str, Any]]:
        return [sent.json() for sent in self.events if sent.event == "dossier-event"]

    async def until(
        self, predicate: Callable[[list[dict[str, Any]]], bool], what: str, timeout: float = 30
    ) -> list[dict[str, Any]]:
        """Waits until `predicate` holds of the dossier events received; returns them."""
        await eventually(lambda: predicate(self.dossier_events()), timeout, what)
        return self.dossier_events()

    async def until_ids(self, *ids: str, timeout: float = 30) -> list[dict[str, Any]]:
        wanted = set(ids)
        return await self.until(
            lambda got: wanted <= {line["id"] for line in got}, f"events {sorted(wanted)}", timeout
        )


@asynccontextmanager
async def live_tail(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, str] | None = None
) -> AsyncIterator[LiveTail]:
    """An open `/v1/console/stream`, once its first event (`ready`) has arrived: whatever is
    published from then on reaches it."""
    async with client.stream(
        "GET", "/v1/console/stream", headers=headers, params=params or {}
    ) as response:
        assert response.status_code == 200, response.status_code
        tail = LiveTail(response)
        reading = asyncio.create_task(tail.read())
        try:
            await eventually(lambda: bool(tail.events) or reading.done(), 60, "the ready event")
            assert tail.events, tail.lines
            assert tail.events[0].event == "ready", tail.lines
            yield tail
        finally:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await reading
