"""The bus port's reads for operator tools (`scan`, `partition_for`) and its record
subscriptions (`Subscription.records`), on the in-process bus and on a real Kafka broker."""

from __future__ import annotations

import pytest

from lienthong.bus import Subscription, UnknownTopic, dlq_topic
from lienthong.events import RawMessage, new_event
from tests.kernel.conftest import BusWorld
from tests.support import eventually

TOPIC = "dossier.events"


async def test_a_scan_streams_each_partition_in_log_order_up_to_its_end(world: BusWorld) -> None:
    bus = await world.member()
    await bus.ensure_topics({TOPIC: 3})
    keys = [f"D{n}" for n in range(8)]
    await bus.publish(
        TOPIC, *[new_event("t.x", k, {"n": i}, source="/t") for i, k in enumerate(keys * 3)]
    )
    everything = await bus.read_topic(TOPIC)
    async with bus.scan(TOPIC) as records:
        scanned = [record async for record in records]
    assert sorted((r.partition, r.offset) for r in scanned) == [
        (r.partition, r.offset) for r in scanned
    ]
    assert sorted(scanned, key=lambda r: (r.partition, r.offset)) == sorted(
        everything, key=lambda r: (r.partition, r.offset)
    )
    for key in keys:
        partition = await bus.partition_for(TOPIC, key.encode())
        assert {r.partition for r in everything if r.key == key.encode()} == {partition}
        async with bus.scan(TOPIC, partition) as records:
            mine = [r async for r in records]
        assert {r.partition for r in mine} == {partition}
        assert [r.value for r in mine if r.key == key.encode()] == [
            r.value for r in sorted(everything, key=lambda r: r.offset) if r.key == key.encode()
        ]


async def test_a_scan_stops_at_the_end_it_found(world: BusWorld) -> None:
    bus = await world.member()
    await bus.ensure_topics({TOPIC: 1})
    await bus.publish(TOPIC, *[new_event("t.x", "D1", {"n": n}, source="/t") for n in range(3)])
    async with bus.scan(TOPIC, 0) as records:
        await bus.publish(TOPIC, new_event("t.x", "D1", {"n": 3}, source="/t"))
        found = [record async for record in records]
    assert [r.offset for r in found] == [0, 1, 2], "the end as it was when the scan was opened"


async def test_a_scan_of_a_missing_topic_or_partition_is_refused(world: BusWorld) -> None:
    bus = await world.member()
    with pytest.raises(UnknownTopic):
        async with bus.scan("no.such.topic") as records:
            [r async for r in records]
    await bus.ensure_topics({TOPIC: 2})
    with pytest.raises(ValueError, match="no partition 5"):
        async with bus.scan(TOPIC, 5) as records:
            [r async for r in records]


async def test_a_record_subscription_gets_every_record_as_it_is(world: BusWorld) -> None:
    """Undecodable, unknown or keyless: handed over in log order, nothing dead-lettered; a
    handler that fails holds its record (the group is stalled, and says so) until it works."""
    bus = await world.member()
    await bus.ensure_topics({TOPIC: 1})
    seen: list[RawMessage] = []
    failures = {"left": 2}

    async def keep(record: RawMessage) -> None:
        if record.value == b"{not json" and failures["left"]:
            failures["left"] -= 1
            raise ValueError("the store said no")
        seen.append(record)

    bus.subscribe(Subscription("keeper", [TOPIC], records=keep))
    await bus.publish(TOPIC, new_event("t.x", "D1", {"n": 1}, source="/t"))
    await bus.publish_raw(
        [
            RawMessage(TOPIC, b"D1", b"{not json"),
            RawMessage(TOPIC, None, b"{}", (("ce_type", b"?"),)),
        ]
    )
    await bus.publish(TOPIC, new_event("t.unregistered", "D1", {}, source="/t"))
    await eventually(lambda: len(seen) == 4, what="four records")
    assert [r.offset for r in seen] == [0, 1, 2, 3]
    assert seen[1].value == b"{not json"
    assert failures["left"] == 0, "the failing record was tried again, not passed over"
    assert bus.consumer_health()["keeper"] == "ok"
    with pytest.raises(UnknownTopic):
        await bus.read_topic(dlq_topic("keeper"))


def test_a_subscription_takes_a_handler_or_records() -> None:
    async def record(_: RawMessage) -> None: ...

    with pytest.raises(ValueError, match="either a handler or records"):
        Subscription("g", [TOPIC])
    with pytest.raises(ValueError, match="either a handler or records"):
        Subscription("g", [TOPIC], handler=lambda e: record(None), records=record)  # type: ignore[arg-type]
