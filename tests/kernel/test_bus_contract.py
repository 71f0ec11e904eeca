"""The bus port's contract, proven on the in-process bus and on a real Kafka broker."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator

import pytest

from lienthong.bus import (
    Bus,
    InMemoryBus,
    KafkaBus,
    PermanentError,
    Subscription,
    UnknownTopic,
    dlq_topic,
)
from lienthong.events import Event, RawMessage, new_event
from lienthong.ops import Actor, DeadLetterBook
from lienthong.telemetry import configure_tracing, trace_ids, tracer
from tests.conftest import Infra
from tests.kernel.conftest import BusWorld
from tests.support import eventually, eventually_async

TOPIC = "dossier.events"


def event(subject: str, n: int, type: str = "test.happened") -> Event:
    return new_event(type, subject, {"n": n}, source="/tests")


class Crash(BaseException):
    """Stands for the process dying inside a handler (not an Exception: nothing catches it)."""


async def test_events_of_one_key_arrive_in_publish_order(world: BusWorld) -> None:
    bus = await world.member()
    await bus.ensure_topics({TOPIC: 4})
    seen: dict[str, list[int]] = defaultdict(list)

    async def record(e: Event) -> None:
        seen[e.subject].append(e.data["n"])

    bus.subscribe(Subscription("order", [TOPIC], record))
    keys = [f"D{k}" for k in range(10)]
    for batch in range(10):  # several publishes, keys interleaved within each
        await bus.publish(TOPIC, *[event(key, batch * 10 + i) for i, key in enumerate(keys * 1)])
    await eventually(lambda: sum(map(len, seen.values())) == 100, what="100 events")
    for key in keys:
        assert seen[key] == sorted(seen[key]), f"{key} out of order: {seen[key]}"
        assert len(seen[key]) == 10


async def test_a_crash_before_commit_redelivers_the_message(world: BusWorld) -> None:
    first = await world.member()
    await first.ensure_topics({TOPIC: 1})
    deliveries: list[int] = []

    async def crash_on_second(e: Event) -> None:
        deliveries.append(e.data["n"])
        if e.data["n"] == 2:
            raise Crash

    first.subscribe(Subscription("crashy", [TOPIC], crash_on_second))
    await first.publish(TOPIC, *[event("D1", n) for n in range(1, 4)])
    await eventually(lambda: 2 in deliveries, what="the crashing delivery")
    await asyncio.sleep(0.3)
    assert 3 not in deliveries, "the consumer went on past a crash"

    restarted = await world.member()  # a new process joins the same group
    survivors: list[int] = []

    async def record(e: Event) -> None:
        survivors.append(e.data["n"])

    restarted.subscribe(Subscription("crashy", [TOPIC], record))
    await eventually(lambda: 3 in survivors, timeout=60, what="redelivery after the crash")
    assert 2 in survivors, "the message being handled at the crash was lost"
    assert survivors[survivors.index(2) :] == [2, 3]


async def test_poison_message_is_dead_lettered_and_the_consumer_goes_on(world: BusWorld) -> None:
    bus = await world.member()
    await bus.ensure_topics({TOPIC: 1})
    handled: list[int] = []

    async def record(e: Event) -> None:
        handled.append(e.data["n"])

    bus.subscribe(Subscription("poisoned", [TOPIC], record))
    await bus.publish(TOPIC, event("D1", 1))
    await bus.publish_raw([RawMessage(TOPIC, b"D1", b"{not json", (("ce_type", b"x"),))])
    await bus.publish(TOPIC, event("D1", 3))
    await eventually(lambda: handled == [1, 3], what="the messages around the poison")

    async def dead() -> list[RawMessage]:
        return await bus.read_topic(dlq_topic("poisoned"))

    letters = await dead()
    assert len(letters) == 1
    letter = letters[0]
    assert letter.value == b"{not json"
    assert letter.header_str("dlq.error.type") == "MalformedEvent"
    assert letter.header_str("dlq.original.topic") == TOPIC
    assert letter.header_str("dlq.original.partition") == "0"
    assert letter.header_str("dlq.original.offset") == "1"
    assert letter.header_str("dlq.group") == "poisoned"


async def test_failures_are_retried_then_dead_lettered_and_replayable(world: BusWorld) -> None:
    bus = await world.member()
    await bus.ensure_topics({TOPIC: 2})
    attempts: dict[int, int] = defaultdict(int)
    healed = False

    async def flaky(e: Event) -> None:
        n = e.data["n"]
        attempts[n] += 1
        if n == 1 and attempts[n] < 3:
            raise TimeoutError("transient")  # retried, succeeds on the 3rd attempt
        if n == 2 and not healed:
            raise PermanentError("refused for good")  # no retry: dead letter at once
        if n == 3 and not healed:
            raise RuntimeError("always fails")  # retried up to the limit (3), then dead letter

    bus.subscribe(Subscription("flaky", [TOPIC], flaky))
    await bus.publish(TOPIC, event("A", 1), event("B", 2), event("C", 3))

    async def letters() -> list[RawMessage]:
        try:
            return await bus.read_topic(dlq_topic("flaky"))
        except LookupError:
            return []

    found: list[RawMessage] = []

    async def two_letters() -> bool:
        found[:] = await letters()
        return len(found) == 2

    for _ in range(600):
        if await two_letters():
            break
        await asyncio.sleep(0.05)
    assert attempts == {1: 3, 2: 1, 3: 3}
    by_type = {r.header_str("dlq.error.type"): r for r in found}
    assert set(by_type) == {"PermanentError", "RuntimeError"}
    assert by_type["PermanentError"].header_str("dlq.attempts") == "1"
    assert by_type["RuntimeError"].header_str("dlq.attempts") == "3"

    healed = True
    book, operator = DeadLetterBook(bus), Actor("tests", "operator")
    assert (await book.replay_group("flaky", operator, pace_per_s=1000)).count == 2
    await eventually(
        lambda: attempts[2] == 2 and attempts[3] == 4, what="replayed messages handled"
    )
    second = await book.replay_group("flaky", operator, pace_per_s=1000)
    assert second.count == 0, "a second replay must not repeat"
    assert len(await letters()) == 2


async def test_the_trace_survives_a_hop(world: BusWorld) -> None:
    configure_tracing("tests")
    bus = await world.member()
    await bus.ensure_topics({TOPIC: 1, "next.events": 1})
    seen: dict[str, str] = {}

    async def react(e: Event) -> None:
        ids = trace_ids()
        assert ids is not None
        seen["handler"] = ids[0]
        await bus.publish("next.events", e.caused("test.reacted", {}, source="/tests"))

    async def downstream(e: Event) -> None:
        ids = trace_ids()
        assert ids is not None
        seen["downstream"] = ids[0]
        seen["downstream_cause"] = e.causationid or ""

    bus.subscribe(Subscription("hop1", [TOPIC], react))
    bus.subscribe(Subscription("hop2", ["next.events"], downstream))
    with tracer().start_as_current_span("http request"):
        origin = trace_ids()
        first = event("D1", 1)
        await bus.publish(TOPIC, first)
    assert origin is not None
    await eventually(lambda: "downstream" in seen, what="the second hop")
    assert seen["handler"] == origin[0]
    assert seen["downstream"] == origin[0]
    assert seen["downstream_cause"] == first.id


async def test_publishing_to_a_missing_topic_fails_clearly(world: BusWorld) -> None:
    if world.kind == "kafka":
        # aiokafka waits for metadata until its timeout rather than failing at once; the
        # broker refuses auto-creation (auto.create.topics.enable=false), which is the point.
        bus = await world.member()
        with pytest.raises(Exception):  # noqa: B017, PT011 - KafkaTimeoutError, client-specific
            await asyncio.wait_for(bus.publish("never.created", event("D", 1)), timeout=5)
        return
    bus = await world.member()
    with pytest.raises(LookupError):
        await bus.publish("never.created", event("D", 1))


async def test_graceful_stop_finishes_the_message_in_hand_and_commits_it(world: BusWorld) -> None:
    bus = await world.member()
    await bus.ensure_topics({TOPIC: 1})
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[int] = []

    async def slow(e: Event) -> None:
        started.set()
        await release.wait()
        finished.append(e.data["n"])

    bus.subscribe(Subscription("graceful", [TOPIC], slow))
    await bus.publish(TOPIC, event("D1", 1))
    await asyncio.wait_for(started.wait(), timeout=30)
    stopping = asyncio.create_task(bus.stop())
    await asyncio.sleep(0.2)
    assert not stopping.done(), "stop() returned while a handler was still working"
    release.set()
    await asyncio.wait_for(stopping, timeout=30)
    assert finished == [1]

    again: list[int] = []

    async def record(e: Event) -> None:
        again.append(e.data["n"])

    restarted = await world.member()
    restarted.subscribe(Subscription("graceful", [TOPIC], record))
    await restarted.publish(TOPIC, event("D1", 2))
    await eventually(lambda: 2 in again, what="the next message after the restart")
    assert again == [2], "the message finished before the stop was delivered again"


async def test_a_lone_member_owns_every_partition(world: BusWorld) -> None:
    bus = await world.member()
    await bus.ensure_topics({TOPIC: 3})
    assert bus.assigned_partitions("owner", TOPIC) is None, "no consumer of that group here"

    async def nothing(_e: Event) -> None:
        return None

    bus.subscribe(Subscription("owner", [TOPIC], nothing))
    await bus.publish(TOPIC, event("D1", 1))  # the group is live once it has fetched
    await eventually(
        lambda: bus.assigned_partitions("owner", TOPIC) == {0, 1, 2}, what="the assignment"
    )


@pytest.mark.kafka
async def test_two_members_of_a_group_split_the_partitions(infra: Infra, unique: str) -> None:
    members = [
        KafkaBus(infra.kafka_bootstrap, client_id=f"{unique}-{i}", topic_prefix=f"{unique}.")
        for i in range(2)
    ]
    await members[0].ensure_topics({TOPIC: 4})

    async def nothing(_e: Event) -> None:
        return None

    for bus in members:
        bus.subscribe(Subscription("split", [TOPIC], nothing))
        await bus.start()
    try:

        def split() -> bool:
            owned = [bus.assigned_partitions("split", TOPIC) or set() for bus in members]
            return all(owned) and owned[0] | owned[1] == {0, 1, 2, 3} and not owned[0] & owned[1]

        await eventually(split, timeout=60, what="a rebalance giving each member a share")
    finally:
        for bus in members:
            await bus.stop()


async def test_a_subscription_with_types_is_handed_only_those(world: BusWorld) -> None:
    """Other types are passed over from the header, before decoding: even a record whose body
    would not decode is not this group's business when its type is another one."""
    bus = await world.member()
    await bus.ensure_topics({TOPIC: 2})
    seen: list[tuple[str, int]] = []

    async def record(e: Event) -> None:
        seen.append((e.type, e.data["n"]))

    wanted = frozenset({"test.wanted"})
    bus.subscribe(Subscription("typed", [TOPIC], record, wanted))
    events = [event("D1", n, "test.wanted" if n % 3 == 0 else "test.other") for n in range(9)]
    await bus.publish(TOPIC, *events)
    unreadable = RawMessage(TOPIC, b"D2", b"{not json", (("ce_type", b"test.other"),))
    await bus.publish_raw([unreadable])
    await bus.publish(TOPIC, event("D1", 9, "test.wanted"))
    await eventually(lambda: len(seen) == 4, what="the four wanted events")
    assert seen == [("test.wanted", n) for n in (0, 3, 6, 9)]
    try:
        buried = await bus.read_topic(dlq_topic("typed"))
    except UnknownTopic:  # Kafka: never created, since nothing was dead-lettered
        buried = []
    assert buried == []


@pytest.mark.kafka
async def test_a_member_is_told_when_its_partitions_are_taken_after_its_batch_in_hand(
    infra: Infra, unique: str
) -> None:
    """What a member cached about its partitions' dossiers is forgotten when a second member
    joins and takes some of them, and only once the handlers in flight are done (else they
    would cache again what is no longer theirs)."""
    first = KafkaBus(infra.kafka_bootstrap, client_id="first", topic_prefix=f"{unique}.")
    second = KafkaBus(infra.kafka_bootstrap, client_id="second", topic_prefix=f"{unique}.")
    log: list[str] = []

    async def slow(e: Event) -> None:
        log.append(f"start {e.data['n']}")
        await asyncio.sleep(1.5)
        log.append(f"end {e.data['n']}")

    async def nothing(e: Event) -> None:
        return None

    await first.start()
    try:
        await first.ensure_topics({TOPIC: 4})
        told = Subscription("owners", [TOPIC], slow, on_revoked=lambda: log.append("revoked"))
        first.subscribe(told)
        await eventually(lambda: bool(first.assigned_partitions("owners", TOPIC)), what="assigned")
        await first.publish(TOPIC, *[event(f"D{n}", n) for n in range(4)])
        await eventually(lambda: any(x.startswith("start") for x in log), what="a batch in hand")
        second.subscribe(Subscription("owners", [TOPIC], nothing))
        await second.start()
        await eventually(lambda: "revoked" in log, timeout=60, what="the first told")
        before = log[: log.index("revoked")]
        started = [x for x in before if x.startswith("start")]
        assert started, log
        for entry in started:  # every handler that had begun was done before the news
            assert entry.replace("start", "end") in before, log
    finally:
        await second.stop()
        await first.stop()


async def test_headers_without_a_value_or_given_twice_are_dead_lettered_not_fatal(
    world: BusWorld,
) -> None:
    """Kafka allows a header with a null value and a header given twice; such a record is
    malformed for us, and the consumer goes on (a typed subscription too)."""
    bus = await world.member()
    await bus.ensure_topics({TOPIC: 1})
    handled: list[int] = []

    async def record(e: Event) -> None:
        handled.append(e.data["n"])

    wanted = frozenset({"test.happened"})
    bus.subscribe(Subscription("strict", [TOPIC], record, wanted))
    good = event("D1", 1)
    null_id = (("ce_type", b"test.happened"), ("ce_id", None), ("ce_source", b"/t"))
    twice = (("ce_type", b"test.other"), ("ce_type", b"test.happened"), ("ce_id", b"x"))
    await bus.publish(TOPIC, good)
    await bus.publish_raw(
        [
            RawMessage(TOPIC, b"D1", b"{}", null_id),  # type: ignore[arg-type]
            RawMessage(TOPIC, b"D1", b"{}", twice),
        ]
    )
    await bus.publish(TOPIC, event("D1", 2))
    await eventually(lambda: handled == [1, 2], what="the events around the bad headers")
    await eventually_async(
        lambda: _count_dead(bus, "strict", 2), what="both bad records dead-lettered"
    )


async def _count_dead(bus: Bus, group: str, expected: int) -> bool:
    try:
        return len(await bus.read_topic(dlq_topic(group))) == expected
    except UnknownTopic:
        return False


async def test_lag_is_the_end_minus_the_committed_offset(world: BusWorld) -> None:
    bus = await world.member()
    await bus.ensure_topics({TOPIC: 3})
    handled: list[int] = []

    async def record(e: Event) -> None:
        handled.append(e.data["n"])

    bus.subscribe(Subscription("lagging", [TOPIC], record))
    await bus.publish(TOPIC, *[event(f"D{n}", n) for n in range(10)])

    async def all_committed() -> bool:
        committed = (await bus.offsets()).committed.get("lagging", {}).get(TOPIC, {})
        return sum(committed.values()) == 10

    await eventually_async(all_committed, what="the group's commits")
    await bus.stop()
    later = await world.member()  # the group is gone; records keep coming
    await later.publish(TOPIC, *[event(f"E{n}", n) for n in range(5)])

    snapshot = await later.offsets()
    assert sum(snapshot.ends[TOPIC].values()) == 15
    rows = [row for row in snapshot.lag_rows() if row.group == "lagging"]
    assert [(row.topic, row.partition) for row in rows] == [(TOPIC, 0), (TOPIC, 1), (TOPIC, 2)]
    for row in rows:
        assert row.end == snapshot.ends[TOPIC][row.partition]
        assert row.lag == row.end - row.committed >= 0
    assert sum(row.committed for row in rows) == 10
    assert sum(row.lag for row in rows) == 5
    assert sorted(handled) == list(range(10))


@pytest.mark.kafka
async def test_offsets_name_only_this_environment_without_its_prefix(
    infra: Infra, unique: str
) -> None:
    ours = KafkaBus(infra.kafka_bootstrap, client_id=unique, topic_prefix=f"{unique}a.")
    theirs = KafkaBus(infra.kafka_bootstrap, client_id=unique, topic_prefix=f"{unique}b.")
    await ours.start()
    await theirs.start()
    try:
        await ours.ensure_topics({TOPIC: 2})
        await theirs.ensure_topics({TOPIC: 2, "their.own": 1})
        for bus, group in ((ours, "ours"), (theirs, "theirs")):
            await bus.publish(TOPIC, event("D1", 1), event("D2", 2))
            await bus.consume_available(TOPIC, group, _ignore)

        snapshot = await ours.offsets()
        assert set(snapshot.ends) == {TOPIC}
        assert sum(snapshot.ends[TOPIC].values()) == 2
        written = {p: end for p, end in snapshot.ends[TOPIC].items() if end}
        assert snapshot.committed == {"ours": {TOPIC: written}}
        assert [row.lag for row in snapshot.lag_rows()] == [0, 0]
    finally:
        await theirs.stop()
        await ours.stop()


async def _ignore(_record: RawMessage) -> None:
    return None


async def _take(records: AsyncIterator[RawMessage], count: int) -> list[RawMessage]:
    taken: list[RawMessage] = []
    async for record in records:
        taken.append(record)
        if len(taken) == count:
            break
    return taken


async def test_followers_each_get_every_record_appended_after_they_began(
    world: BusWorld,
) -> None:
    bus = await world.member()
    await bus.ensure_topics({TOPIC: 3})
    await bus.publish(TOPIC, event("D0", -1))  # before: not followed
    async with bus.follow(TOPIC) as first, bus.follow(TOPIC) as second:
        await bus.publish(TOPIC, *[event(f"D{n}", n) for n in range(12)])
        followed = [await asyncio.wait_for(_take(f, 12), timeout=30) for f in (first, second)]
    with pytest.raises(StopAsyncIteration):  # leaving the block ended them
        await anext(first)

    appended = {(r.partition, r.offset, r.value) for r in await bus.read_topic(TOPIC)}
    for records in followed:
        assert {r.partition for r in records} == {0, 1, 2}
        assert all(r.topic == TOPIC and r.timestamp_ms is not None for r in records)
        seen = {(r.partition, r.offset, r.value) for r in records}
        assert len(seen) == 12
        assert seen < appended
        assert all(b'"n":-1' not in value for _, _, value in seen)


async def test_a_cancelled_follower_stops(world: BusWorld) -> None:
    bus = await world.member()
    await bus.ensure_topics({TOPIC: 2})
    with pytest.raises(UnknownTopic):
        async with bus.follow("never.created"):
            pass
    ready = asyncio.Event()
    seen: list[RawMessage] = []
    tails: list[AsyncIterator[RawMessage]] = []

    async def tail() -> None:
        async with bus.follow(TOPIC) as records:
            tails.append(records)
            ready.set()
            async for record in records:
                seen.append(record)

    task = asyncio.create_task(tail())
    await asyncio.wait_for(ready.wait(), timeout=30)
    await bus.publish(TOPIC, event("D1", 1))
    await eventually(lambda: len(seen) == 1, what="the followed record")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(StopAsyncIteration):
        await anext(tails[0])
    await bus.publish(TOPIC, event("D1", 2))
    await asyncio.sleep(0.3)
    assert len(seen) == 1


async def test_a_slow_memory_follower_loses_the_oldest_records_and_counts_them() -> None:
    bus = InMemoryBus(follow_buffer=2)
    await bus.ensure_topics({TOPIC: 1})
    async with bus.follow(TOPIC) as records:
        await bus.publish(TOPIC, *[event("D1", n) for n in range(5)])
        assert [r.offset for r in await _take(records, 2)] == [3, 4]
        assert records.dropped == 3
