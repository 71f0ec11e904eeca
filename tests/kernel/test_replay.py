"""Read models are projections: dropped and rebuilt by replaying the stream."""

from __future__ import annotations

import asyncio

from lienthong.bus import Subscription
from lienthong.events import Event, RawMessage, new_event
from lienthong.runtime.replay import replay_service
from lienthong.runtime.service import ServiceSpec
from lienthong.store import Store
from tests.kernel.conftest import BusWorld

TOPIC = "dossier.events"


def counting_service(store: Store) -> ServiceSpec:
    views = store.collection("views")

    async def count(event: Event) -> None:
        current = await views.get(event.subject) or {"_id": event.subject, "seen": []}
        if event.id not in current["seen"]:
            current["seen"].append(event.id)
            await views.replace(current)

    return ServiceSpec(
        name="counting",
        summary="counts events per subject",
        consumes=[TOPIC],
        handlers={"t.happened": [count]},
        projections=["views"],
    )


async def snapshot(store: Store) -> dict[str, int]:
    return {d["_id"]: len(d["seen"]) for d in await store.collection("views").find()}


async def test_replay_rebuilds_the_same_projection(world: BusWorld, store: Store) -> None:
    bus = await world.member()
    await bus.ensure_topics({TOPIC: 3})
    spec = counting_service(store)
    bus.subscribe(Subscription("counting", spec.consumes, spec.dispatch))
    events = [new_event("t.happened", f"D{i % 7}", {"i": i}, source="/t") for i in range(40)]
    await bus.publish(TOPIC, *events)
    await bus.publish(TOPIC, new_event("other.type", "D1", {}, source="/t"))
    await bus.publish_raw([RawMessage(TOPIC, b"D9", b"poison")])
    live: dict[str, int] = {}

    async def settled() -> None:
        live.update(await snapshot(store))

    for _ in range(400):
        await settled()
        if sum(live.values()) == 40:
            break
        await asyncio.sleep(0.02)
    assert sum(live.values()) == 40

    totals: list[int] = []
    replayed = await replay_service(spec, bus, store, on_total=totals.append)
    assert replayed == 41, "every decodable event is replayed (the poison one is skipped)"
    assert totals[-1] == 42
    assert await snapshot(store) == live
