"""The agency adapter's use cases: accept a task, acknowledge it, record an answer.

Built once by the composition root (`service.build`), started and stopped by the runtime.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import structlog

from lienthong.bus import PermanentError
from lienthong.events import Event
from lienthong.http import Problem
from lienthong.runtime import ServiceContext
from lienthong.runtime.health import Snapshot, Tally
from lienthong.schemas.health import AgencyHealthReported
from lienthong.schemas.tasks import TaskAssigned
from lienthong.store.port import Document
from lienthong_agency_adapter.config import AdapterSettings, AgencyBook, AgencyConfig
from lienthong_agency_adapter.connectors import (
    AgencyAnswer,
    ConnectorContext,
    build_connector,
    connector_types,
)
from lienthong_agency_adapter.courier import Courier
from lienthong_agency_adapter.health import agency_health
from lienthong_agency_adapter.outbox import TaskOutbox
from lienthong_agency_adapter.recorder import AnswerConflict, TaskRecorder

log = structlog.get_logger("lienthong.agency_adapter")


class AgencyAdapter:
    def __init__(
        self, context: ServiceContext, settings: AdapterSettings, book: AgencyBook
    ) -> None:
        self.settings = settings
        self.book = book
        self.outbox = TaskOutbox(context.store)
        self.recorder = TaskRecorder(context.bus, self.outbox, context.name)
        self.public_url = (
            settings.public_url or f"http://{context.settings.host}:{context.settings.port}"
        ).rstrip("/")
        self.couriers: dict[str, Courier] = {}
        self.tally = Tally()  # the couriers' calls and failures, for the health snapshots
        # Names this process in its delivery leases (for operators; never compared).
        self.holder = f"{context.settings.instance_id}/{uuid.uuid4().hex[:8]}"
        self._http: httpx.AsyncClient | None = None

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        self._http = httpx.AsyncClient(follow_redirects=False)
        context = ConnectorContext(http=self._http, public_url=self.public_url)
        types = connector_types()
        for agency in self.book.agencies:
            connector = build_connector(agency, context, types)
            courier = Courier(
                agency,
                connector,
                self.outbox,
                self.recorder,
                self.settings,
                self.public_url,
                self.tally,
                holder=self.holder,
            )
            self.couriers[agency.code] = courier
            await courier.start()

    async def stop(self) -> None:
        await asyncio.gather(*(courier.stop() for courier in self.couriers.values()))
        if self._http is not None:
            await self._http.aclose()

    # --- Kafka: agency.tasks.<agency> --------------------------------------------------

    async def accept_task(self, event: Event) -> None:
        """Store and forward: keep the task in the outbox and wake its agency's courier."""
        task = TaskAssigned.model_validate(event.data)
        agency = self.book.get(task.agency)
        if agency is None:
            raise PermanentError(f"task {task.task_id}: agency {task.agency!r} is not configured")
        if await self.outbox.accept(agency.code, event, task):
            log.info("task_accepted", task_id=task.task_id, agency=agency.code)
        courier = self.couriers.get(agency.code)
        if courier is not None:
            courier.wake()

    # --- HTTP: the agency's inbox and callbacks -----------------------------------------

    def agency(self, code: str) -> AgencyConfig:
        agency = self.book.get(code)
        if agency is None:
            raise Problem(404, "Not Found", f"no agency {code}")
        return agency

    async def task_of(self, agency: AgencyConfig, task_id: str) -> Document:
        """The task if it is this agency's; the same 404 whether absent or someone else's."""
        document = await self.outbox.get(task_id)
        if document is None or document["agency"] != agency.code:
            raise Problem(404, "Not Found", f"agency {agency.code} has no task {task_id}")
        return document

    async def acknowledge(self, agency: AgencyConfig, task_id: str) -> Document:
        document = await self.task_of(agency, task_id)
        if document["state"] == "pending":
            raise Problem(409, "Conflict", "the task is not in the inbox yet; try again shortly")
        if document["state"] == "failed":
            raise Problem(409, "Conflict", "the task's delivery failed; it is not open")
        if document["state"] == "waiting":
            await self.recorder.delivered(document, agency.connector, attempts=1)
        return await self.task_of(agency, task_id)

    async def answer(self, agency: AgencyConfig, task_id: str, answer: AgencyAnswer) -> Document:
        document = await self.task_of(agency, task_id)
        if document["state"] == "failed":
            raise Problem(409, "Conflict", "the task's delivery failed; it is not open")
        if document["state"] in ("pending", "waiting"):  # an answer proves receipt
            await self.recorder.delivered(document, agency.connector, attempts=1)
            document = await self.task_of(agency, task_id)
        try:
            await self.recorder.answered(document, answer)
        except AnswerConflict as exc:
            raise Problem(409, "Conflict", str(exc)) from None
        return await self.task_of(agency, task_id)

    async def health_snapshot(self, snapshot: Snapshot) -> AgencyHealthReported:
        """What the periodic `ops.health` snapshot says about every agency served."""
        return await agency_health(self.couriers, self.outbox, snapshot)

    async def health(self) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for agency in self.book.agencies:
            courier = self.couriers.get(agency.code)
            counts = {
                state: await self.outbox.count(agency.code, state)
                for state in ("pending", "waiting", "delivered", "failed")
            }
            breaker = courier.breaker.state if courier else "not-started"
            row = {"agency": agency.code, "connector": agency.connector, "circuit": breaker}
            rows.append({**row, "tasks": counts})
        return rows
