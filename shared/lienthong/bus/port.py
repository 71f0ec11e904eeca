"""The bus port: what services need from Kafka, and nothing more.

Two adapters implement it: `KafkaBus` (aiokafka, production and tests) and `InMemoryBus`
(the embedded default and unit tests). Both carry the same bytes (`RawMessage`) and share
one delivery policy (`lienthong.bus.delivery`), so a behaviour proven on one holds on both.

Delivery is at-least-once: offsets are committed only after the handler has finished with a
message (succeeded, or dead-lettered). Handlers must be idempotent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from lienthong.events import Event, RawMessage

Handler = Callable[[Event], Awaitable[None]]
RecordHandler = Callable[[RawMessage], Awaitable[None]]


class RetryableError(Exception):
    """A failure worth retrying (a timeout, a store briefly unavailable)."""


class PermanentError(Exception):
    """A failure no retry will fix: the message goes to the dead-letter topic at once."""


class UnknownTopic(LookupError):
    """Publishing to a topic that was never created (topics are created explicitly)."""


def dlq_topic(group: str) -> str:
    return f"dlq.{group}"


@dataclass(frozen=True)
class Subscription:
    """A consumer group reading `topics`, handing each event to `handler`.

    `types`, when given, are the event types the handler wants: a record whose `ce_type`
    header names another type is passed over before it is decoded (most of `dossier.events`
    is other services' business), and counted as skipped.

    `on_revoked` is called when partitions are taken from this member (a rebalance): what
    the member cached about the dossiers it owned may then be written by another one.

    `records`, given instead of `handler`, takes every record as it is: not decoded, not
    filtered, never dead-lettered (a group that must keep every record, the notary's chain;
    see `lienthong.bus.record_delivery`)."""

    group: str
    topics: Sequence[str]
    handler: Handler | None = None
    types: frozenset[str] | None = None
    on_revoked: Callable[[], None] | None = None
    records: RecordHandler | None = None

    def __post_init__(self) -> None:
        if (self.handler is None) == (self.records is None):
            raise ValueError(f"subscription {self.group!r}: give either a handler or records")


@dataclass(frozen=True)
class PartitionLag:
    """How far `group` is behind on one partition of `topic`."""

    group: str
    topic: str
    partition: int
    committed: int
    end: int
    lag: int


@dataclass(frozen=True)
class OffsetsSnapshot:
    """Where every log ends and where every consumer group is, at `taken_at` (logical names).

    `ends`: topic -> partition -> log end offset. `committed`: group -> topic -> partition ->
    committed offset, only for partitions the group has committed on. `starts`: topic ->
    partition -> log start offset (past records deleted by retention); missing means 0."""

    ends: dict[str, dict[int, int]]
    committed: dict[str, dict[str, dict[int, int]]]
    taken_at: datetime
    starts: dict[str, dict[int, int]] = field(default_factory=dict)

    def lag_rows(self) -> list[PartitionLag]:
        """One row per partition of every topic a group has committed on, sorted by group,
        topic, partition. On a partition without a commit the group would start at the log
        start (`auto_offset_reset=earliest`): `committed` is then the log start offset. Lag
        counts the records still to read: deleted ones are not counted, and it is never
        negative."""
        rows = []
        for group, topics in self.committed.items():
            for topic, offsets in topics.items():
                ends, starts = self.ends.get(topic, {}), self.starts.get(topic, {})
                for partition in ends.keys() | offsets.keys():
                    start = starts.get(partition, 0)
                    committed = offsets.get(partition, start)
                    end = ends.get(partition, committed)
                    lag = max(0, end - max(committed, start))
                    rows.append(PartitionLag(group, topic, partition, committed, end, lag))
        return sorted(rows, key=lambda row: (row.group, row.topic, row.partition))


class Bus(Protocol):
    async def start(self) -> None:
        """Connect the producer and start every subscribed consumer group."""

    async def stop(self) -> None:
        """Graceful: finish in-flight messages, commit, leave groups, flush the producer."""

    async def ensure_topics(self, partitions: Mapping[str, int]) -> None:
        """Create missing topics with the given partition counts."""

    async def publish(self, topic: str, *events: Event) -> None:
        """Append events keyed by their subject; returns once every one is acknowledged."""

    async def publish_raw(self, messages: Sequence[RawMessage]) -> None:
        """Append records as they are (dead-letter replay, tests of poison messages)."""

    def subscribe(self, subscription: Subscription) -> None:
        """Register a consumer group; takes effect at `start()`."""

    async def read_topic(self, topic: str) -> list[RawMessage]:
        """Every record currently in `topic`, all partitions (operator tools, not services)."""

    def scan(
        self, topic: str, partition: int | None = None
    ) -> AbstractAsyncContextManager[AsyncIterator[RawMessage]]:
        """Every record of `topic` (or of one of its partitions) from the log start to the end
        as it is when the block is entered, streamed partition by partition in log order:
        `async with bus.scan(t, p) as records:`. No consumer group, nothing committed
        (operator tools that read more than fits in memory: `lienthong audit verify`)."""

    async def partition_for(self, topic: str, key: bytes) -> int:
        """The partition of `topic` that records keyed `key` go to."""

    async def consume_available(
        self,
        topic: str,
        group: str,
        handler: RecordHandler,
        on_total: Callable[[int], None] | None = None,
    ) -> int:
        """Hand `handler` every record between `group`'s committed offsets and the current end
        of `topic`, committing as it goes (resumable operator work such as DLQ replay).
        `on_total` is told how many records that is before the first one is handled."""

    async def offsets(self) -> OffsetsSnapshot:
        """End offsets of every topic and committed offsets of every consumer group of this
        environment (operator console: lag per group)."""

    def follow(self, topic: str) -> AbstractAsyncContextManager[AsyncIterator[RawMessage]]:
        """A live tail of `topic`, all partitions: `async with bus.follow(t) as records:`
        yields every record appended after the `async with` was entered, with its partition,
        offset and timestamp. No consumer group, nothing committed; each follower gets every
        record. Leaving the block (or cancelling the task) stops it and ends `records`."""

    def assigned_partitions(self, group: str, topic: str) -> set[int] | None:
        """The partitions of `topic` this process's consumer of `group` owns right now (they
        move at rebalances), or None if this process has no live consumer in `group`."""

    async def ping(self) -> None:
        """Raise if the bus is unreachable (readiness)."""

    def consumer_health(self) -> dict[str, str]:
        """Per consumer group of this process: 'ok', or 'failing: why' (its consumer died and
        is being restarted, or it waits out an outage or an unwritable dead-letter topic)."""
