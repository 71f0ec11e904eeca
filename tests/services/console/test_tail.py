"""The live tail's hub on the in-memory bus: filters, a slow client, and a page reloaded."""

from __future__ import annotations

import asyncio

from lienthong.bus import InMemoryBus
from lienthong.store import InMemoryStore
from lienthong.topics import DOSSIER_EVENTS
from lienthong_console.tail import Filters, TailHub
from tests.services.console.dossiers import near, new_dossier_id, received, step_opened
from tests.services.console.served import RunningConsole


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
