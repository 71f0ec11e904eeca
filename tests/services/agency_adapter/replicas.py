"""Helpers for the replica tests: a counting agency system, tasks, and couriers of
"replicas" that share one outbox, each through its own store client."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse
from prometheus_client import REGISTRY

from lienthong.bus import InMemoryBus
from lienthong.events import Event, new_id
from lienthong.schemas.tasks import TaskAssigned
from lienthong.store import Store
from lienthong.topics import DOSSIER_EVENTS
from lienthong_agency_adapter.config import AdapterSettings, AgencyConfig
from lienthong_agency_adapter.connectors import ConnectorContext, build_connector, connector_types
from lienthong_agency_adapter.courier import Courier
from lienthong_agency_adapter.outbox import TaskOutbox
from lienthong_agency_adapter.recorder import TaskRecorder

# The REST connector's mapping for the counting agency: the callback URL names the replica
# that called (each has its own public URL); nobody calls it back.
MAPPING = {
    "request": {"ma_cong_viec": "{task_id}", "callback": "{callback_url}"},
    "response": {"reference": "ma_tiep_nhan"},
}


@dataclass
class CountingAgency:
    """An agency's system that counts every call per idempotency key and who made it.
    `hold` names keys whose calls wait until `release(key)` (a call in flight)."""

    calls: Counter[str] = field(default_factory=Counter)
    callers: dict[str, list[str]] = field(default_factory=dict)
    delay_s: float = 0.0
    hold: dict[str, asyncio.Event] = field(default_factory=dict)

    def release(self, key: str) -> None:
        self.hold[key].set()

    def app(self) -> FastAPI:
        app = FastAPI()
        numbers = itertools.count(1)

        @app.post("/api/records")
        async def receive(
            request: Request, idempotency_key: Annotated[str, Header()]
        ) -> JSONResponse:
            body: dict[str, Any] = await request.json()
            self.calls[idempotency_key] += 1
            caller = str(body["callback"]).split("/v1/")[0]
            self.callers.setdefault(idempotency_key, []).append(caller)
            if idempotency_key in self.hold:
                await self.hold[idempotency_key].wait()
            await asyncio.sleep(self.delay_s)
            return JSONResponse({"ma_tiep_nhan": f"R-{next(numbers)}"}, status_code=201)

        return app


def agency_at(url: str, code: str | None = None) -> AgencyConfig:
    return AgencyConfig(
        code=code or f"a{new_id()[:8]}",
        connector="rest",
        endpoint=f"{url}/api/records",
        mapping=MAPPING,
        timeout_s=30,
    )


def task_for(agency: str) -> tuple[Event, TaskAssigned]:
    task_id = f"task-{new_id()[:10]}"
    task = TaskAssigned(
        task_id=task_id,
        dossier_id=f"dossier-{task_id}",
        dossier_code=f"HS-{task_id}",
        procedure="1.001193",
        step="verify",
        unit="26743",
        due_at=datetime.now(UTC) + timedelta(days=3),
        idempotency_key=f"idem-{task_id}",
        agency=agency,
    )
    return task.to_event(task_id, source="/tests"), task


async def accept_tasks(outbox: TaskOutbox, agency: str, count: int) -> list[TaskAssigned]:
    tasks = []
    for _ in range(count):
        event, task = task_for(agency)
        assert await outbox.accept(agency, event, task)
        tasks.append(task)
    return tasks


async def replica(
    name: str, store: Store, agency: AgencyConfig, http: httpx.AsyncClient, **settings: Any
) -> Courier:
    """One replica's courier for `agency`: its own outbox over `store`, its own bus."""
    outbox = TaskOutbox(store)
    bus = InMemoryBus()
    await bus.ensure_topics({DOSSIER_EVENTS: 1})
    recorder = TaskRecorder(bus, outbox, "agency-adapter")
    public_url = f"http://{name}.replica"
    connector = build_connector(agency, ConnectorContext(http, public_url), connector_types())
    adapter_settings = AdapterSettings(poll_interval_s=0.1, **settings)
    return Courier(agency, connector, outbox, recorder, adapter_settings, public_url, holder=name)


def lease_events(agency: str, event: str) -> float:
    """How many lease events of a kind this process has counted for an agency."""
    labels = {"agency": agency, "event": event}
    return REGISTRY.get_sample_value("lienthong_agency_leases_total", labels) or 0.0


async def states(outbox: TaskOutbox, tasks: list[TaskAssigned]) -> list[str]:
    found = [await outbox.get(task.task_id) for task in tasks]
    return [document["state"] if document else "missing" for document in found]
