"""An intake host driven over HTTP in-process: embedded (fast) or on real Kafka and FerretDB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from lienthong.events import Event, decode
from lienthong.runtime.host import Host
from lienthong.settings import Settings
from lienthong.store import MongoStore
from lienthong.topics import DOSSIER_EVENTS
from tests.conftest import Infra


@dataclass
class Running:
    host: Host
    app: FastAPI
    client: httpx.AsyncClient

    def client_from(self, address: str) -> httpx.AsyncClient:
        """Another HTTP client of the same app, seen as coming from `address`."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 4000))
        return httpx.AsyncClient(transport=transport, base_url="http://intake")

    async def all_events(self) -> list[Event]:
        return [decode(record) for record in await self.host.bus.read_topic(DOSSIER_EVENTS)]

    async def dossier_events(self, dossier_id: str) -> list[Event]:
        return [event for event in await self.all_events() if event.subject == dossier_id]


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Running]:
    host = Host(settings, ["intake"])
    app = host.app()
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield Running(host, app, client)
            store = host.stores["intake"]
            if isinstance(store, MongoStore):
                await store.drop_database()


@pytest.fixture
async def embedded(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Running]:
    """Embedded, with small limits so that the tests of limits stay fast."""
    monkeypatch.setenv("LIENTHONG_INTAKE_FORM_WAIT_S", "0.3")
    monkeypatch.setenv("LIENTHONG_INTAKE_MAX_ATTACHMENT_BYTES", "4096")
    async with running(Settings()) as it:
        yield it


@pytest.fixture
async def real(
    infra: Infra, unique: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Running]:
    monkeypatch.setenv("LIENTHONG_INTAKE_BLOB_DIR", str(tmp_path / "blobs"))
    settings = Settings(
        kafka_bootstrap=infra.kafka_bootstrap,
        mongo_url=infra.mongo_url,
        topic_prefix=f"{unique}.",
        database_prefix=unique,
    )
    async with running(settings) as it:
        yield it
