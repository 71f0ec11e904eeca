"""The bus port: what services need from Kafka, and nothing more.

Two adapters implement it: `KafkaBus` (aiokafka, production and tests) and `InMemoryBus`
(the embedded default and unit tests). Both carry the same bytes (`RawMessage`) and share
one delivery policy (`lienthong.bus.delivery`), so a behaviour proven on one holds on both.

Delivery is at-least-once: offsets are committed only after the handler has finished with a
message (succeeded, or dead-lettered). Handlers must be idempotent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
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
    the member cached about the dossiers it owned may then be written by another one."""

    group: str
    topics: Sequence[str]
    handler: Handler
    types: frozenset[str] | None = None
    on_revoked: Callable[[], None] | None = None


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

    def assigned_partitions(self, group: str, topic: str) -> set[int] | None:
        """The partitions of `topic` this process's consumer of `group` owns right now (they
        move at rebalances), or None if this process has no live consumer in `group`."""

    async def ping(self) -> None:
        """Raise if the bus is unreachable (readiness)."""
