"""The deadline sweep on the in-memory adapters: only due alarms, only owned partitions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lienthong.bus import InMemoryBus
from lienthong.events import Event, decode
from lienthong.store import Document, InMemoryStore
from lienthong.topics import DOSSIER_EVENTS, agency_tasks
from lienthong_routing.alarms import partition_of
from lienthong_routing.app import Routing
from lienthong_routing.repository import WorkflowRepository, bucket_key
from lienthong_routing.service import DECIDERS
from tests.services.routing.helpers import (
    RULES,
    Stream,
    at,
    received,
    supplement_asked,
    supplement_provided,
)

MONDAY = at("2026-03-09T09:00:00+07:00")
PARTITIONS = 4


async def routing_with(stream: Stream) -> Routing:
    bus = InMemoryBus()
    await bus.ensure_topics({DOSSIER_EVENTS: PARTITIONS})
    await bus.start()
    routing = Routing(RULES, WorkflowRepository(InMemoryStore(), PARTITIONS), bus, lambda: MONDAY)
    for state in stream.states.values():
        await routing.save(state)
    return routing


async def recorded(routing: Routing) -> list[tuple[str, str]]:
    records = await routing.bus.read_topic(DOSSIER_EVENTS)
    return [(e.subject, e.type) for e in map(decode, records)]


def two_dossiers_on_different_partitions() -> tuple[Stream, str, str]:
    stream = Stream()
    ids: dict[int, str] = {}
    n = 0
    while len(ids) < 2:
        dossier_id = f"d-sweep-{n}"
        ids.setdefault(partition_of(dossier_id, PARTITIONS), dossier_id)
        n += 1
    first, second = ids.values()
    for dossier_id in (first, second):
        stream.feed(
            received("HCM-GPXD-NORL", MONDAY, "26506", "TTHCC-26506", dossier_id=dossier_id)
        )
    return stream, first, second


async def test_a_sweep_records_a_warning_then_an_overdue_step_once_each() -> None:
    stream, first, _ = two_dossiers_on_different_partitions()
    routing = await routing_with(stream)
    due = stream.states[first].steps["appraise"].due_at
    assert due is not None

    assert await routing.sweep(now=MONDAY) == 0
    assert await routing.sweep(now=due - timedelta(hours=1)) == 2  # a warning per dossier
    assert await routing.sweep(now=due - timedelta(hours=1)) == 0  # rung already
    assert await routing.sweep(now=due + timedelta(minutes=1)) == 2
    types = [t for subject, t in await recorded(routing) if subject == first]
    assert types == ["dossier.deadline-approaching", "dossier.step-overdue"]
    await routing.bus.stop()


async def test_a_replica_sweeps_only_the_partitions_it_owns() -> None:
    stream, first, second = two_dossiers_on_different_partitions()
    routing = await routing_with(stream)
    due = stream.states[first].steps["appraise"].due_at
    assert due is not None
    owned = {partition_of(first, PARTITIONS)}
    assert await routing.sweep(now=due + timedelta(minutes=1), partitions=owned) == 2
    subjects = {subject for subject, _ in await recorded(routing)}
    assert subjects == {first}
    assert second not in subjects
    await routing.bus.stop()


async def test_a_sweep_warns_before_the_dossiers_appointment() -> None:
    stream = Stream()
    appointment = at("2026-03-27T17:00:00+07:00")
    dossier = received("HCM-GPXD-NORL", MONDAY, "26506", "TTHCC-26506", appointment_at=appointment)
    stream.feed(dossier)
    routing = await routing_with(stream)
    steps_late = at("2026-03-26T16:59:00+07:00")  # after the appraisal's own alarms
    assert await routing.sweep(now=steps_late) == 2
    assert await routing.sweep(now=at("2026-03-26T17:00:00+07:00")) == 1
    warning = [e for e in map(decode, await routing.bus.read_topic(DOSSIER_EVENTS))][-1]
    assert warning.type == "dossier.deadline-approaching"
    assert warning.data["step"] is None
    assert warning.data["unit"] == "TTHCC-26506"
    await routing.bus.stop()


async def test_alarms_follow_the_clock_and_a_rung_alarm_is_gone() -> None:
    stream = Stream()
    routing = await routing_with(stream)
    await routing.bus.ensure_topics({agency_tasks(a): 1 for a in RULES.agencies()})

    async def handle(event: Event) -> None:
        await routing.handle(event, DECIDERS[event.type])

    dossier = received("HCM-GPXD-NORL", MONDAY, "26506", "TTHCC-26506")
    await handle(dossier)

    async def pending() -> set[str]:
        return {a.id for a in await routing.repository.pending_alarms()}

    first = await pending()
    assert {i.split("/")[2] for i in first} == {"warning", "overdue"}

    state = await routing.repository.load(dossier.subject)
    assert state is not None
    await handle(supplement_asked(state, "appraise", ["ban-ve"], at=MONDAY))
    assert await pending() == set()  # the clock is stopped: nothing can fall due
    await handle(supplement_provided(state, at=MONDAY + timedelta(days=2)))
    resumed = await pending()
    # new due moments, new alarms; the appointment moved by the pause, so it is watched too
    assert {i.split("/")[2] for i in resumed} == {"warning", "overdue", "appointment"}
    assert resumed.isdisjoint(first)

    seen = len(await routing.bus.read_topic(DOSSIER_EVENTS))
    assert await routing.sweep(now=MONDAY + timedelta(days=60)) == 3
    assert await pending() == resumed  # the sweep only publishes; the consumer folds
    for fact in map(decode, (await routing.bus.read_topic(DOSSIER_EVENTS))[seen:]):
        await handle(fact)
    left = await pending()  # the rung alarms are gone; the apology's new appointment is watched
    assert left.isdisjoint(resumed)
    assert {i.split("/")[2] for i in left} == {"appointment"}
    assert await routing.sweep(now=MONDAY + timedelta(days=61)) == 0
    await routing.bus.stop()


async def test_a_sweep_reads_only_the_slots_between_its_mark_and_now(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sweep reads, per partition, its late slot and the slots of the buckets between its
    mark and now, by equality on the indexed slot: never the alarms still to come."""
    stream, first, _ = two_dossiers_on_different_partitions()
    routing = await routing_with(stream)
    due = stream.states[first].steps["appraise"].due_at
    assert due is not None
    repository = routing.repository
    queried: list[str] = []
    original = repository.alarms_in

    async def alarms_in(slot: str) -> list[Document]:
        queried.append(slot)
        return await original(slot)

    monkeypatch.setattr(repository, "alarms_in", alarms_in)
    await routing.sweep(now=due - timedelta(minutes=1))
    queried.clear()
    assert await routing.sweep(now=due + timedelta(minutes=1)) == 2
    # per marked partition: the late slot, and the mark is two minutes back, less the overlap:
    # one or two buckets of 15 minutes
    buckets = {slot.split("/")[1] for slot in queried} - {"late"}
    assert 1 <= len(buckets) <= 2
    assert buckets <= {bucket_key(due - timedelta(minutes=6)), bucket_key(due)}
    partitions = {slot.split("/")[0] for slot in queried}
    assert {f"{p}/late" for p in partitions} <= set(queried)
    assert len(queried) <= len(partitions) * 3
    await routing.bus.stop()
