"""The live tail's hub on the in-memory bus: filters, a slow client, and a page reloaded."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import anyio
import pytest

from lienthong.bus import InMemoryBus, KafkaBus
from lienthong.security import mint_token
from lienthong.settings import Settings
from lienthong.store import InMemoryStore
from lienthong.topics import DOSSIER_EVENTS
from lienthong_console.config import ConsoleConfig
from lienthong_console.tail import Filters, TailHub
from tests.conftest import Infra
from tests.services.console.dossiers import (
    dossier_completed,
    near,
    new_dossier_id,
    received,
    step_opened,
)
from tests.services.console.served import RunningConsole, running_console


async def hub_on_a_bus(queue_size: int = 1000) -> tuple[InMemoryBus, TailHub]:
    bus = InMemoryBus()
    await bus.ensure_topics({DOSSIER_EVENTS: 3})
    return bus, TailHub(bus, InMemoryStore().collection("dossiers"), queue_size)


async def test_a_client_that_comes_back_while_the_last_one_leaves_is_still_followed() -> None:
    """A page reload: the old stream closes and the new one opens at once. The follower the
    old one stops must not leave the new one listening to nothing."""
    bus, hub = await hub_on_a_bus()
    old = hub.listen(Filters())
    await old.__aenter__()
    leaving = asyncio.create_task(old.__aexit__(None, None, None))
    await asyncio.sleep(0)  # the old client's exit is stopping the follower
    async with hub.listen(Filters()) as new:
        await leaving
        event = received(new_dossier_id(), "UBND-P1")
        await bus.publish(DOSSIER_EVENTS, event)
        line = await asyncio.wait_for(new.queue.get(), timeout=5)
    assert line.id == event.id
    await hub.stop()


async def test_a_slow_client_loses_the_oldest_events_and_is_told_how_many() -> None:
    bus, hub = await hub_on_a_bus(queue_size=10)
    dossier = new_dossier_id()
    events = [step_opened(dossier, f"s{i}", "UBND-P1") for i in range(25)]
    async with hub.listen(Filters()) as slow:
        await bus.publish(DOSSIER_EVENTS, *events)
        for _ in range(100):
            if slow.dropped == 15:
                break
            await asyncio.sleep(0.01)
        kept = [slow.queue.get_nowait().id for _ in range(slow.queue.qsize())]
    assert slow.dropped == 15
    assert kept == [e.id for e in events[15:]]
    await hub.stop()


async def test_the_stream_filters_by_dossier_type_unit_and_procedure(
    embedded: RunningConsole,
) -> None:
    it = embedded
    mine, other = new_dossier_id(), new_dossier_id()
    first = [received(mine, "UBND-P1", "1.001193"), received(other, "UBND-P2", "2.000986")]
    await it.publish(*first)
    await it.settled()
    later = [
        step_opened(mine, "s1", "UBND-P1"),
        near(mine, "s1", "UBND-P1"),
        step_opened(other, "s1", "UBND-P2"),
    ]
    code = first[0].data["code"]
    async with (
        it.tail("operator") as everything,
        it.tail("operator", dossier=code) as by_code,
        it.tail("operator", type="dossier.deadline-*") as by_type,
        it.tail("operator", unit_filter="UBND-P2") as by_unit,
        it.tail("operator", procedure="1.001193") as by_procedure,
    ):
        await it.publish(*later)
        await everything.until_ids(*(e.id for e in later))
        last = later[-1].id
        await by_unit.until_ids(last)
        await by_procedure.until_ids(later[1].id)
        await by_code.until_ids(later[1].id)
        await by_type.until_ids(later[1].id)
    ids = [e.id for e in later]
    assert [line["id"] for line in by_code.dossier_events()] == ids[:2]
    assert [line["id"] for line in by_type.dossier_events()] == ids[1:2]
    assert [line["id"] for line in by_unit.dossier_events()] == ids[2:]
    assert [line["id"] for line in by_procedure.dossier_events()] == ids[:2]
    (opened,) = [line for line in everything.dossier_events() if line["id"] == ids[0]]
    assert (opened["code"], opened["procedure"], opened["unit"]) == (code, "1.001193", "UBND-P1")


def _kafka_fetchers() -> int:
    """aiokafka consumers alive in this loop (each runs one fetch routine)."""
    return sum(
        1
        for task in asyncio.all_tasks()
        if "_fetch_requests_routine" in repr(task.get_coro()) and not task.done()
    )


@pytest.mark.kafka
async def test_a_client_cancelled_as_the_web_server_does_leaves_no_kafka_consumer(
    infra: Infra, unique: str
) -> None:
    """sse-starlette ends a stream by cancelling its scope (anyio) when the client goes; the
    follower's consumer must still stop. Seen before: one consumer leaked per closed tail."""
    bus = KafkaBus(infra.kafka_bootstrap, topic_prefix=f"{unique}.")
    await bus.ensure_topics({DOSSIER_EVENTS: 3})
    await bus.start()
    hub = TailHub(bus, InMemoryStore().collection("dossiers"))
    try:
        before = _kafka_fetchers()
        for _ in range(5):
            with anyio.move_on_after(1.5):
                async with hub.listen(Filters()) as listener:
                    await listener.queue.get()  # nothing comes: cancelled while waiting
        for _ in range(100):  # the stopping followers finish on their own
            if _kafka_fetchers() == before:
                break
            await asyncio.sleep(0.1)
        assert _kafka_fetchers() == before
    finally:
        await hub.stop()
        await bus.stop()


async def test_a_unit_sees_its_dossiers_unitless_events_before_the_read_model_has_them() -> None:
    """`dossier.completed` names no unit: the tail gives it the receiving unit it saw in the
    dossier's `dossier.received` (same partition, earlier), not what the console's read model
    (here: never written) would say."""
    bus, hub = await hub_on_a_bus()
    dossier = new_dossier_id()
    async with hub.listen(Filters(units=frozenset({"UBND-P1"}))) as officer:
        await bus.publish(DOSSIER_EVENTS, received(dossier, "UBND-P1"), dossier_completed(dossier))
        lines = [await asyncio.wait_for(officer.queue.get(), timeout=5) for _ in range(2)]
    assert [line.type for line in lines] == ["dossier.received", "dossier.completed"]
    assert {line.unit for line in lines} == {"UBND-P1"}
    assert lines[1].code == lines[0].code
    await hub.stop()


async def test_a_stream_ends_when_the_token_it_was_opened_with_expires() -> None:
    settings = Settings()
    config = ConsoleConfig(sample_interval_s=0, heartbeat_s=1)
    async with running_console(settings, config=config) as it:
        short = mint_token(settings, role="operator", ttl=timedelta(seconds=2))
        events = []
        async with it.client.stream(
            "GET", "/v1/console/stream", headers={"Authorization": f"Bearer {short}"}
        ) as response:
            assert response.status_code == 200
            async with asyncio.timeout(15):
                async for text in response.aiter_lines():
                    if text.startswith("event: "):
                        events.append(text.removeprefix("event: "))
    assert events[0] == "ready"
    assert events[-1] == "expired", events
