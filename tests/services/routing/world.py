"""Routing on the real Kafka broker and FerretDB, with the test playing the agencies."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
from asgi_lifespan import LifespanManager

from lienthong.bus import Subscription
from lienthong.events import Event
from lienthong.runtime import ServiceContext
from lienthong.runtime.host import Host
from lienthong.schemas.tasks import TaskAssigned
from lienthong.settings import Settings
from lienthong.topics import DOSSIER_EVENTS, agency_tasks
from lienthong_routing.app import Routing
from lienthong_routing.config import RoutingConfig
from lienthong_routing.service import compose
from lienthong_routing.state import WorkflowState
from tests.conftest import Infra


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


class RoutingWorld:
    """One routing instance (`name` is its consumer group) and a recorder of every event."""

    def __init__(self, infra: Infra, prefix: str, database: str, name: str = "routing") -> None:
        self.settings = Settings(
            kafka_bootstrap=infra.kafka_bootstrap,
            mongo_url=infra.mongo_url,
            topic_prefix=f"{prefix}.",
            database_prefix=database,
            dossier_partitions=2,
            agency_task_partitions=1,
            handler_max_attempts=2,
            handler_backoff_initial_s=0.05,
        )
        self.host = Host(self.settings, ["routing"])
        self.clock = FakeClock()
        context = ServiceContext(name, self.settings, self.host.bus, self.host.stores["routing"])
        spec, self.routing = compose(context, self.clock, RoutingConfig(sweep_interval_s=0))
        self.host.specs = [spec]
        self.events: list[Event] = []
        agencies = sorted(self.routing.rules.agencies())
        topics = [DOSSIER_EVENTS, *(agency_tasks(a) for a in agencies)]
        self.host.bus.subscribe(Subscription(f"{name}-recorder", topics, self._record))
        self.app = self.host.app()
        self._lifespan = LifespanManager(self.app, startup_timeout=60, shutdown_timeout=60)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://routing"
        )

    async def _record(self, event: Event) -> None:
        self.events.append(event)

    async def __aenter__(self) -> RoutingWorld:
        await self._lifespan.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()
        await self._lifespan.__aexit__(None, None, None)

    async def publish(self, *events: Event) -> None:
        await self.host.bus.publish(DOSSIER_EVENTS, *events)

    def types(self, dossier_id: str) -> list[str]:
        return [e.type for e in self.events if e.subject == dossier_id]

    def tasks(self, dossier_id: str) -> list[TaskAssigned]:
        return [
            TaskAssigned.model_validate(e.data)
            for e in self.events
            if e.type == "agency.task-assigned" and e.data["dossier_id"] == dossier_id
        ]

    async def state(self, dossier_id: str) -> WorkflowState | None:
        return await self.routing.repository.load(dossier_id)

    async def until(
        self, dossier_id: str, check: Callable[[WorkflowState], bool], timeout: float = 30
    ) -> WorkflowState:
        return await until(lambda: self.state(dossier_id), check, timeout)


async def until(
    load: Callable[[], Awaitable[WorkflowState | None]],
    check: Callable[[WorkflowState], bool],
    timeout: float = 30,
) -> WorkflowState:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        state = await load()
        if state is not None and check(state):
            return state
        if loop.time() > deadline:
            raise AssertionError(f"timed out; last state: {state}")
        await asyncio.sleep(0.1)


__all__ = ["FakeClock", "Routing", "RoutingWorld", "until"]
