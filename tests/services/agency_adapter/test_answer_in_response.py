"""An agency that answers in its response (SOAP systems do): if publishing that answer fails
(the broker restarting), the task stays due, the next round calls the agency again with the
same idempotency key and publishes the same facts; the step is never left open. The fault
test found the opposite (the task marked delivered first, the answer lost)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import ClassVar

import pytest
from aiokafka.errors import KafkaTimeoutError

from lienthong.bus import InMemoryBus
from lienthong.events import Event
from lienthong.events.codec import decode
from lienthong.store import InMemoryStore, MongoStore, Store
from lienthong.topics import DOSSIER_EVENTS
from lienthong_agency_adapter.config import AdapterSettings
from lienthong_agency_adapter.connectors.base import AgencyAnswer, Delivery, Receipt
from lienthong_agency_adapter.courier import Courier
from lienthong_agency_adapter.outbox import TaskOutbox
from lienthong_agency_adapter.recorder import TaskRecorder
from tests.conftest import Infra
from tests.services.agency_adapter.replicas import accept_tasks, agency_at
from tests.support import eventually_async

ANSWERED = "agency.result-returned"


class AnsweringAgency:
    """A connector whose agency approves every task in its response."""

    kind: ClassVar[str] = "soap"

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    async def deliver(self, delivery: Delivery) -> Receipt:
        self.calls[delivery.idempotency_key] += 1
        return Receipt(reference="R-1", answer=AgencyAnswer(kind="result", outcome="approved"))


class BrokerRestartingOnce(InMemoryBus):
    """Refuses the first publish of an answer, as a broker that is restarting."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    async def publish(self, topic: str, *events: Event) -> None:
        if not self.refused and any(e.type == ANSWERED for e in events):
            self.refused += 1
            raise KafkaTimeoutError()
        await super().publish(topic, *events)


@pytest.fixture(params=[pytest.param("ferretdb", marks=pytest.mark.mongo), "memory"])
async def store(request: pytest.FixtureRequest, unique: str) -> Store:
    if request.param == "memory":
        return InMemoryStore("agency-adapter")
    infra: Infra = request.getfixturevalue("infra")
    return MongoStore.connect(infra.mongo_url, f"{unique}_agency_adapter")


async def test_an_answer_whose_publish_fails_is_published_by_the_next_round(
    store: Store,
) -> None:
    bus, agency, connector = BrokerRestartingOnce(), agency_at("http://unused"), AnsweringAgency()
    await bus.ensure_topics({DOSSIER_EVENTS: 1})
    outbox = TaskOutbox(store)
    await outbox.prepare()
    recorder = TaskRecorder(bus, outbox, "agency-adapter")
    settings = AdapterSettings(poll_interval_s=0.1)
    courier = Courier(agency, connector, outbox, recorder, settings, "http://a.replica")
    (task,) = await accept_tasks(outbox, agency.code, 1)

    async def answered() -> bool:
        document = await outbox.get(task.task_id)
        return document is not None and document["state"] == "answered"

    await courier.start()
    try:
        await eventually_async(answered, 30, "the task answered")
    finally:
        await courier.stop()
        if isinstance(store, MongoStore):
            await store.drop_database()
            await store.close()
    assert bus.refused == 1
    assert connector.calls == {task.idempotency_key: 2}  # called again, with the same key
    types = [decode(record).type for record in await bus.read_topic(DOSSIER_EVENTS)]
    assert types.count(ANSWERED) == 1
    assert types.index("agency.task-delivered") < types.index(ANSWERED)


class AnsweredMeanwhile(AnsweringAgency):
    """Its callback refuses the task while the call is in flight; the response approves."""

    def __init__(self, outbox: TaskOutbox, recorder: TaskRecorder) -> None:
        super().__init__()
        self.outbox, self.recorder = outbox, recorder

    async def deliver(self, delivery: Delivery) -> Receipt:
        document = await self.outbox.get(delivery.task_id)
        assert document is not None
        refused = AgencyAnswer(kind="result", outcome="refused", reasons=("thiếu giấy tờ",))
        await self.recorder.answered(document, refused)
        return await super().deliver(delivery)


async def test_an_answer_contradicting_the_callbacks_leaves_the_first_and_ends_delivery(
    store: Store,
) -> None:
    bus, agency = InMemoryBus(), agency_at("http://unused")
    await bus.ensure_topics({DOSSIER_EVENTS: 1})
    outbox = TaskOutbox(store)
    await outbox.prepare()
    recorder = TaskRecorder(bus, outbox, "agency-adapter")
    connector = AnsweredMeanwhile(outbox, recorder)
    settings = AdapterSettings(poll_interval_s=0.05)
    courier = Courier(agency, connector, outbox, recorder, settings, "http://a.replica")
    (task,) = await accept_tasks(outbox, agency.code, 1)
    await courier.start()
    try:
        await eventually_async(
            lambda: _state_is(outbox, task.task_id, "answered"), 30, "the task answered"
        )
        await asyncio.sleep(0.5)  # ten more rounds: none calls the agency again
        stored = await outbox.get(task.task_id)
    finally:
        await courier.stop()
        if isinstance(store, MongoStore):
            await store.drop_database()
            await store.close()
    assert connector.calls == {task.idempotency_key: 1}
    assert stored is not None
    assert (stored["reference"], stored["attempts"]) == ("R-1", 1)  # delivery recorded
    results = [
        decode(record).data["outcome"]
        for record in await bus.read_topic(DOSSIER_EVENTS)
        if decode(record).type == ANSWERED
    ]
    assert results == ["refused"]


async def _state_is(outbox: TaskOutbox, task_id: str, state: str) -> bool:
    document = await outbox.get(task_id)
    return document is not None and document["state"] == state
