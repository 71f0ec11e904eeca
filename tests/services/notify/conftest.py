"""A notify host on real Kafka and FerretDB, with a real SMTP server, an SMS gateway double
and an injected clock; helpers to publish what intake and routing would publish."""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from lienthong.events import Event, decode
from lienthong.runtime import ServiceContext
from lienthong.runtime.host import Host
from lienthong.schemas.dossier import Applicant, DossierReceived, DossierSubmitted
from lienthong.security import mint_token
from lienthong.settings import Settings
from lienthong.store import MongoStore, Store
from lienthong.topics import DOSSIER_EVENTS
from lienthong_notify.config import NotifySettings, SmsGatewayConfig
from lienthong_notify.service import build
from tests.conftest import Infra
from tests.services.notify.doubles import GatewayDouble, MailRecorder, sms_gateway, smtp_server

Row = dict[str, Any]
DAYTIME = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 10:00 in Hồ Chí Minh City


class Clock:
    """Moves with real time from a settable start, so backoffs elapse; `jump` skips ahead."""

    def __init__(self) -> None:
        self.set(DAYTIME)

    def set(self, moment: datetime) -> None:
        self._base, self._started = moment, time.monotonic()

    def jump(self, delta: timedelta) -> None:
        self.set(self() + delta)

    def __call__(self) -> datetime:
        return self._base + timedelta(seconds=time.monotonic() - self._started)


@dataclass
class Citizen:
    dossier_id: str
    code: str
    phone: str
    email: str
    secret: str
    events: list[Event] = field(default_factory=list)


@dataclass
class NotifyWorld:
    host: Host
    client: httpx.AsyncClient
    mail: MailRecorder
    sms: GatewayDouble
    clock: Clock
    store: Store

    def staff_headers(self) -> dict[str, str]:
        token = mint_token(self.host.settings, role="officer", unit="26743")
        return {"authorization": f"Bearer {token}"}

    async def publish(self, *events: Event) -> None:
        await self.host.bus.publish(DOSSIER_EVENTS, *events)

    async def events_of(self, dossier_id: str) -> list[Event]:
        records = await self.host.bus.read_topic(DOSSIER_EVENTS)
        return [e for e in map(decode, records) if e.subject == dossier_id]

    async def listing(self, code: str) -> list[Row]:
        answer = await self.client.get(
            "/v1/notifications", params={"dossier": code}, headers=self.staff_headers()
        )
        assert answer.status_code == 200, answer.text
        return list(answer.json())

    async def wait_event(self, dossier_id: str, event_type: str, timeout: float = 30.0) -> Event:
        """The first event of `event_type` about the dossier, once it is on the topic."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            found = [e for e in await self.events_of(dossier_id) if e.type == event_type]
            if found:
                return found[0]
            await asyncio.sleep(0.1)
        raise AssertionError(f"no {event_type} for the dossier within {timeout}s")

    async def wait_status(self, code: str, status: str, timeout: float = 30.0) -> list[Row]:
        """The dossier's messages once every one has `status`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            rows = await self.listing(code)
            if rows and all(row["status"] == status for row in rows):
                return rows
            if loop.time() > deadline:
                raise AssertionError(f"messages of {code} never all {status}: {rows}")
            await asyncio.sleep(0.1)

    async def submit(self, contact_channel: str = "email") -> tuple[Citizen, Event]:
        """A dossier submitted and received, as intake publishes it; returns the receipt."""
        citizen, receipt = await self.submit_later(contact_channel)
        await self.publish(*citizen.events)
        return citizen, receipt

    async def submit_later(self, contact_channel: str = "email") -> tuple[Citizen, Event]:
        """The events of a submitted and received dossier, not yet published."""
        n = uuid.uuid4().int
        citizen = Citizen(
            dossier_id=str(uuid.uuid4()),
            code=f"000.00.01.H29-260310-{n % 10000:04d}",
            phone=f"09{n % 10**8:08d}",
            email=f"citizen-{n % 10**6}@example.vn",
            secret="ABCDEFGHJKMNPQRSTVWXYZ2345",
        )
        applicant = Applicant(
            full_name="Nguyễn Thị Ánh",
            id_number="079200001234",
            phone=citizen.phone,
            email=citizen.email,
            ward_code="26743",
            contact_channel=contact_channel,
        )
        submitted = DossierSubmitted(
            procedure="1.001193", channel="online", ward_code="26743", applicant=applicant
        )
        received = DossierReceived(
            code=citizen.code,
            procedure="1.001193",
            procedure_version="1",
            receiving_unit="TTHCC-26743",
            received_at=self.clock(),
            appointment_at=datetime(2026, 3, 12, 8, 30, tzinfo=UTC),
            tracking_secret_sha256=hashlib.sha256(citizen.secret.encode()).hexdigest(),
        )
        receipt = received.to_event(citizen.dossier_id, source="/services/intake")
        first = submitted.to_event(citizen.dossier_id, source="/services/intake")
        citizen.events = [first, receipt]
        return citizen, receipt


def notify_settings(mail_port: int, gateway: GatewayDouble) -> NotifySettings:
    return NotifySettings(
        smtp_host="127.0.0.1",
        smtp_port=mail_port,
        tracking_base_url="https://dichvucong.example.vn/tra-cuu",
        sms_providers=[
            SmsGatewayConfig(
                name=name,
                url=gateway.url(name),
                token=f"token-{name}",
                callback_token=f"callback-{name}",
            )
            for name in ("alpha", "beta")
        ],
        max_attempts=3,
        backoff_initial_s=0.2,
        backoff_max_s=0.5,
        send_lease_s=5,
        dispatch_interval_s=0.1,
        health_interval_s=0.2,
    )


@pytest.fixture(scope="module")
async def notify_world(infra: Infra) -> AsyncIterator[NotifyWorld]:
    unique = f"n{uuid.uuid4().hex[:10]}"
    settings = Settings(
        kafka_bootstrap=infra.kafka_bootstrap,
        mongo_url=infra.mongo_url,
        topic_prefix=f"{unique}.",
        database_prefix=unique,
    )
    clock = Clock()
    with smtp_server() as (mail, mail_port):
        async with sms_gateway() as gateway:
            host = Host(settings, ["notify"])
            store = host.stores["notify"]
            context = ServiceContext("notify", settings, host.bus, store)
            host.specs = [build(context, notify_settings(mail_port, gateway), clock)]
            app = host.app()
            async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://n") as client:
                    yield NotifyWorld(host, client, mail, gateway, clock, store)
                    if isinstance(store, MongoStore):
                        await store.drop_database()


@pytest.fixture
async def world(notify_world: NotifyWorld) -> NotifyWorld:
    """The shared world, reset: daytime, every gateway answering."""
    notify_world.clock.set(DAYTIME)
    notify_world.sms.answers.clear()
    return notify_world
