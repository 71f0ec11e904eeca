"""The survey service hosted on real Kafka and FerretDB behind a real HTTP server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import uvicorn
from pymongo import AsyncMongoClient

from lienthong.events import Event
from lienthong.runtime.host import Host
from lienthong.settings import Settings
from lienthong.topics import DOSSIER_EVENTS
from tests.conftest import Infra
from tests.support import free_port


@dataclass
class Served:
    host: Host
    base_url: str
    client: httpx.AsyncClient

    @property
    def settings(self) -> Settings:
        return self.host.settings

    async def publish(self, events: list[Event]) -> None:
        await self.host.bus.publish(DOSSIER_EVENTS, *events)


@asynccontextmanager
async def served(infra: Infra, unique: str) -> AsyncIterator[Served]:
    settings = Settings(
        kafka_bootstrap=infra.kafka_bootstrap,
        mongo_url=infra.mongo_url,
        topic_prefix=f"{unique}.",
        database_prefix=unique,
        dossier_partitions=3,
    )
    host = Host(settings, ["survey"])
    port = free_port()
    config = uvicorn.Config(host.app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 120
    while not server.started:
        if task.done() or loop.time() > deadline:
            raise AssertionError("the survey service did not start")
        await asyncio.sleep(0.05)
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            yield Served(host, base_url, client)
    finally:
        server.should_exit = True
        await task
        cleaner: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infra.mongo_url)
        await cleaner.drop_database(f"{unique}_survey")
        await cleaner.close()
