"""In-process bus: the embedded default and the unit-test bus.

A real implementation of the port, not a mock: topics have partitions chosen by key, each
consumer group keeps committed offsets per partition, and records pass through the same
codec and delivery policy as on Kafka. It lives and dies with the process.

Followers (`follow`) each have a buffer of `follow_buffer` records: a follower slower than
the producers loses the oldest ones, counted in its `dropped` and logged when it closes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager

import structlog

from lienthong.bus.delivery import Deliverer, RetryPolicy
from lienthong.bus.port import OffsetsSnapshot, RecordHandler, Subscription, UnknownTopic
from lienthong.bus.record_delivery import RecordDeliverer, deliverer_for
from lienthong.clock import utc_now
from lienthong.events import Event, RawMessage, encode
from lienthong.metrics import BUS_PUBLISHED

log = structlog.get_logger("lienthong.bus.memory")


class InMemoryBus:
    def __init__(
        self,
        *,
        policy: RetryPolicy | None = None,
        batch_size: int = 500,
        dlq_partitions: int = 1,
        stop_timeout_s: float = 30.0,
        follow_buffer: int = 10_000,
    ) -> None:
        self._policy = policy or RetryPolicy()
        self._batch_size = batch_size
        self._dlq_partitions = dlq_partitions
        self._stop_timeout_s = stop_timeout_s
        self._follow_buffer = follow_buffer
        self._followers: dict[str, set[Follower]] = {}
        self._topics: dict[str, list[list[RawMessage]]] = {}
        self._committed: dict[tuple[str, str, int], int] = {}
        self._subscriptions: list[Subscription] = []
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wakeups: dict[str, asyncio.Event] = {}
        self._deliverers: dict[str, Deliverer | RecordDeliverer] = {}
        self._started = False
        self._stopping = False

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        self._started, self._stopping = True, False
        for subscription in self._subscriptions:
            self._launch(subscription)

    @property
    def running(self) -> bool:
        return self._started

    async def stop(self) -> None:
        self._stopping = True
        for wakeup in self._wakeups.values():
            wakeup.set()
        tasks = list(self._tasks.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self._stop_timeout_s)
            for task in pending:
                task.cancel()
        self._tasks.clear()
        # A stopped bus is a process that ended: its consumer groups keep their committed
        # offsets, and whoever starts the bus again subscribes anew.
        self._subscriptions.clear()
        self._started = False

    async def ping(self) -> None:
        return None

    # --- topics ----------------------------------------------------------------------

    async def ensure_topics(self, partitions: Mapping[str, int]) -> None:
        for name, count in partitions.items():
            self._topics.setdefault(name, [[] for _ in range(count)])

    def _partitions(self, topic: str) -> list[list[RawMessage]]:
        try:
            return self._topics[topic]
        except KeyError:
            raise UnknownTopic(topic) from None

    async def read_topic(self, topic: str) -> list[RawMessage]:
        return [record for partition in self._partitions(topic) for record in partition]

    @asynccontextmanager
    async def scan(
        self, topic: str, partition: int | None = None
    ) -> AsyncIterator[AsyncIterator[RawMessage]]:
        partitions = self._partitions(topic)
        chosen = range(len(partitions)) if partition is None else [partition]
        if partition is not None and not 0 <= partition < len(partitions):
            raise ValueError(f"{topic} has no partition {partition}")
        ends = [(index, len(partitions[index])) for index in chosen]

        async def records() -> AsyncIterator[RawMessage]:
            for index, end in ends:
                for position in range(end):
                    yield partitions[index][position]

        yield records()

    async def partition_for(self, topic: str, key: bytes) -> int:
        return zlib.crc32(key) % len(self._partitions(topic))

    # --- producing -------------------------------------------------------------------

    async def publish(self, topic: str, *events: Event) -> None:
        await self.publish_raw([encode(event, topic) for event in events])

    async def publish_raw(self, messages: Sequence[RawMessage]) -> None:
        for message in messages:
            self._append(message)
        for wakeup in self._wakeups.values():
            wakeup.set()

    def _append(self, message: RawMessage) -> None:
        if message.topic.startswith("dlq."):
            self._topics.setdefault(message.topic, [[] for _ in range(self._dlq_partitions)])
        partitions = self._partitions(message.topic)
        index = zlib.crc32(message.key) % len(partitions) if message.key else 0
        partition = partitions[index]
        record = dataclasses.replace(
            message, partition=index, offset=len(partition), timestamp_ms=int(time.time() * 1000)
        )
        partition.append(record)
        for follower in self._followers.get(message.topic, ()):
            follower.push(record)
        BUS_PUBLISHED.labels(topic=message.topic).inc()

    # --- consuming -------------------------------------------------------------------

    def subscribe(self, subscription: Subscription) -> None:
        running = self._tasks.get(subscription.group)
        if running is not None and not running.done():
            raise ValueError(f"group {subscription.group!r} already has a live consumer here")
        self._subscriptions = [s for s in self._subscriptions if s.group != subscription.group]
        self._subscriptions.append(subscription)
        if self._started:
            self._launch(subscription)

    def _launch(self, subscription: Subscription) -> None:
        wakeup = self._wakeups.setdefault(subscription.group, asyncio.Event())
        wakeup.set()
        task = asyncio.create_task(self._consume(subscription, wakeup))
        task.add_done_callback(lambda t: self._report_crash(subscription.group, t))
        self._tasks[subscription.group] = task

    def _report_crash(self, group: str, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("consumer_crashed", group=group, error=type(task.exception()).__name__)

    async def _consume(self, subscription: Subscription, wakeup: asyncio.Event) -> None:
        group = subscription.group
        deliverer = deliverer_for(subscription, self._policy, self._dead_letter)
        self._deliverers[group] = deliverer
        while not self._stopping:
            wakeup.clear()
            work = self._pending(subscription)
            if not work:
                await wakeup.wait()
                continue
            await asyncio.gather(
                *(self._drain(group, deliverer, key, records) for key, records in work.items())
            )

    def _pending(self, subscription: Subscription) -> dict[tuple[str, int], list[RawMessage]]:
        work: dict[tuple[str, int], list[RawMessage]] = {}
        for topic in subscription.topics:
            for index, partition in enumerate(self._partitions(topic)):
                position = self._committed.get((subscription.group, topic, index), 0)
                if position < len(partition):
                    work[(topic, index)] = partition[position : position + self._batch_size]
        return work

    async def _drain(
        self,
        group: str,
        deliverer: Deliverer | RecordDeliverer,
        key: tuple[str, int],
        records: list[RawMessage],
    ) -> None:
        topic, index = key
        for record in records:
            await deliverer.deliver(record, topic)
            self._committed[(group, topic, index)] = record.offset + 1

    async def _dead_letter(self, message: RawMessage) -> None:
        await self.publish_raw([message])

    def consumer_health(self) -> dict[str, str]:
        health = {}
        for group, task in self._tasks.items():
            deliverer = self._deliverers.get(group)
            if task.done():
                health[group] = "failing: consumer stopped"
            elif deliverer is not None and deliverer.stalled:
                health[group] = f"failing: {deliverer.stalled}"
            else:
                health[group] = "ok"
        return health

    def assigned_partitions(self, group: str, topic: str) -> set[int] | None:
        # One member per group in a process: it owns every partition while it runs.
        task = self._tasks.get(group)
        if task is None or task.done():
            return None
        return set(range(len(self._partitions(topic))))

    # --- operator helpers ------------------------------------------------------------

    async def consume_available(
        self,
        topic: str,
        group: str,
        handler: RecordHandler,
        on_total: Callable[[int], None] | None = None,
    ) -> int:
        pending = {
            index: partition[self._committed.get((group, topic, index), 0) :]
            for index, partition in enumerate(self._partitions(topic))
        }
        if on_total is not None:
            on_total(sum(len(records) for records in pending.values()))
        handled = 0
        for index, records in pending.items():
            for record in records:
                await handler(record)
                self._committed[(group, topic, index)] = record.offset + 1
                handled += 1
        return handled

    async def offsets(self) -> OffsetsSnapshot:
        ends = {
            topic: {index: len(partition) for index, partition in enumerate(partitions)}
            for topic, partitions in self._topics.items()
        }
        committed: dict[str, dict[str, dict[int, int]]] = {}
        for (group, topic, index), offset in sorted(self._committed.items()):
            committed.setdefault(group, {}).setdefault(topic, {})[index] = offset
        return OffsetsSnapshot(ends=ends, committed=committed, taken_at=utc_now())

    @asynccontextmanager
    async def follow(self, topic: str) -> AsyncIterator[Follower]:
        self._partitions(topic)
        follower = Follower(self._follow_buffer)
        followers = self._followers.setdefault(topic, set())
        followers.add(follower)
        try:
            yield follower
        finally:
            followers.discard(follower)
            follower.close()
            if follower.dropped:
                log.warning("follower_dropped_records", topic=topic, dropped=follower.dropped)

    def committed(self, group: str, topic: str) -> dict[int, int]:
        """Committed offsets of a group on a topic, by partition."""
        return {
            index: self._committed.get((group, topic, index), 0)
            for index in range(len(self._partitions(topic)))
        }

    async def wait_idle(self, timeout_s: float = 10.0) -> None:
        """Until every live group has committed everything (tests, `lienthong up` demos)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            live = [s for s in self._subscriptions if not self._tasks[s.group].done()]
            if all(not self._pending(s) for s in live):
                return
            await asyncio.sleep(0.01)
        raise TimeoutError("bus did not become idle")


class Follower:
    """One live tail: the records appended since it began and not yet taken, at most
    `capacity` of them (`dropped` counts the older ones lost)."""

    def __init__(self, capacity: int) -> None:
        self._records: deque[RawMessage] = deque(maxlen=capacity)
        self._arrived = asyncio.Event()
        self._closed = False
        self.dropped = 0

    def push(self, record: RawMessage) -> None:
        if len(self._records) == self._records.maxlen:
            self.dropped += 1  # the deque drops the oldest
        self._records.append(record)
        self._arrived.set()

    def close(self) -> None:
        self._closed = True
        self._records.clear()
        self._arrived.set()

    def __aiter__(self) -> Follower:
        return self

    async def __anext__(self) -> RawMessage:
        while not self._records:
            if self._closed:
                raise StopAsyncIteration
            self._arrived.clear()
            await self._arrived.wait()
        return self._records.popleft()
