"""The survey service driven in-process: on the in-memory adapters with a settable clock, or
hosted on real Kafka and FerretDB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from lienthong.bus import Bus, InMemoryBus, RetryPolicy, Subscription
from lienthong.events import Event, decode
from lienthong.http import install_problem_handlers
from lienthong.runtime import ServiceContext, ServiceSpec
from lienthong.schemas.survey import SurveyInvited
from lienthong.security import mint_token
from lienthong.settings import Settings
from lienthong.store import InMemoryStore
from lienthong.topics import DOSSIER_EVENTS
from lienthong_survey.service import build
from lienthong_survey.settings import SurveySettings
from tests.support import eventually_async as until

MOBILE = "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36"


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime(2026, 3, 10, 3, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


async def events_of(bus: Bus, type: str) -> list[Event]:
    decoded = [decode(record) for record in await bus.read_topic(DOSSIER_EVENTS)]
    return [event for event in decoded if event.type == type]


async def token_for(bus: Bus, dossier_id: str, attempt: int = 1) -> str:
    """The token notify would send, from the invitation on dossier.events."""
    found: list[str] = []

    async def invited() -> bool:
        for event in await events_of(bus, "survey.invited"):
            fact = SurveyInvited.model_validate(event.data)
            if event.subject == dossier_id and fact.attempt == attempt:
                found.append(fact.link_path.removeprefix("/s/"))
        return bool(found)

    await until(invited, what=f"survey.invited for {dossier_id}")
    return found[0]


def staff_headers(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(settings, role='supervisor')}"}


@dataclass
class Embedded:
    settings: Settings
    bus: InMemoryBus
    store: InMemoryStore
    spec: ServiceSpec
    clock: FakeClock
    client: httpx.AsyncClient

    async def publish(self, events: list[Event]) -> None:
        await self.bus.publish(DOSSIER_EVENTS, *events)


@asynccontextmanager
async def embedded_service(survey: SurveySettings) -> AsyncIterator[Embedded]:
    settings, clock = Settings(), FakeClock()
    bus = InMemoryBus(policy=RetryPolicy(2, 0.01, 0.02))
    store = InMemoryStore()
    spec = build(ServiceContext("survey", settings, bus, store), survey, clock)
    await bus.ensure_topics({DOSSIER_EVENTS: 3})
    bus.subscribe(Subscription(spec.group, spec.consumes, spec.dispatch))
    await bus.start()
    for hook in spec.on_start:
        await hook()
    app = FastAPI()
    app.state.settings = settings
    install_problem_handlers(app)
    assert spec.router is not None
    app.include_router(spec.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://survey") as client:
        yield Embedded(settings, bus, store, spec, clock, client)
    for hook in spec.on_stop:
        await hook()
    await bus.stop()


@pytest.fixture
async def embedded() -> AsyncIterator[Embedded]:
    survey = SurveySettings(
        answers_per_client=8, lookups_failed_per_client=3, reminder_sweep_s=3600
    )
    async with embedded_service(survey) as it:
        yield it
