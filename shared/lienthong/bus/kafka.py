"""Kafka adapter of the bus port (aiokafka 0.14, Kafka 4.x).

Producer: idempotent, `acks=all`; `publish` returns once the broker has acknowledged every
event. Consumers: one aiokafka consumer per group, auto-commit off; records are fetched in
batches, each partition's records are handled in order (partitions concurrently), and the
offsets are committed after the batch. A crash before the commit redelivers the batch.

`topic_prefix` (from settings) isolates environments and tests on one cluster: code uses
logical names (`dossier.events`); the prefix is applied here, and only here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager

import structlog
from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import ConsumerStoppedError
from aiokafka.partitioner import DefaultPartitioner

from lienthong.bus.delivery import RetryPolicy
from lienthong.bus.kafka_admin import create_missing_topics, read_offsets
from lienthong.bus.kafka_group import GroupMember
from lienthong.bus.kafka_scan import scan_partitions
from lienthong.bus.port import OffsetsSnapshot, RecordHandler, Subscription, UnknownTopic
from lienthong.bus.record_delivery import deliverer_for
from lienthong.events import Event, RawMessage, encode
from lienthong.metrics import BUS_PUBLISHED

log = structlog.get_logger("lienthong.bus.kafka")


class KafkaBus:
    def __init__(
        self,
        bootstrap: str,
        *,
        client_id: str = "lienthong",
        topic_prefix: str = "",
        policy: RetryPolicy | None = None,
        batch_size: int = 500,
        dlq_partitions: int = 1,
        replication_factor: int = 1,
    ) -> None:
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._prefix = topic_prefix
        self._policy = policy or RetryPolicy()
        self._batch_size = batch_size
        self._dlq_partitions = dlq_partitions
        self._replication = replication_factor
        self._producer: AIOKafkaProducer | None = None
        self._subscriptions: list[Subscription] = []
        self._consumers: list[GroupMember] = []
        self._known_dlq: set[str] = set()
        self._partition_cache: dict[str, list[int]] = {}
        self._partitioner = DefaultPartitioner()

    # --- names -----------------------------------------------------------------------

    def physical(self, topic: str) -> str:
        return self._prefix + topic

    def logical(self, topic: str) -> str:
        return topic[len(self._prefix) :] if topic.startswith(self._prefix) else topic

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Start the producer and a member per subscription; after a failure (the broker
        away), calling it again starts only what did not start."""
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap,
                client_id=self._client_id,
                enable_idempotence=True,
                acks="all",
                linger_ms=5,
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        launched = {member.group for member in self._consumers}
        for subscription in self._subscriptions:
            if subscription.group not in launched:
                await self._launch(subscription)

    async def stop(self) -> None:
        await asyncio.gather(*(consumer.stop() for consumer in self._consumers))
        self._consumers.clear()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def ping(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, client_id=self._client_id)
        await admin.start()
        try:
            await admin.list_topics()
        finally:
            await admin.close()

    async def ensure_topics(self, partitions: Mapping[str, int]) -> None:
        physical = {self.physical(name): count for name, count in partitions.items()}
        await create_missing_topics(self._bootstrap, physical, self._replication)

    # --- producing -------------------------------------------------------------------

    async def publish(self, topic: str, *events: Event) -> None:
        await self.publish_raw([encode(event, topic) for event in events])

    async def publish_raw(self, messages: Sequence[RawMessage]) -> None:
        """Group the records by partition (Kafka's own murmur2 key partitioning, as the Java
        clients do) and hand each partition one or more ready-made record batches. Per
        record, this is several times cheaper than `send()` with its future and accumulator
        bookkeeping; order within a partition is the order given."""
        producer = self._require_producer()
        by_partition: dict[tuple[str, int], list[RawMessage]] = {}
        for message in messages:
            await self._ensure_dlq(message.topic)
            topic = self.physical(message.topic)
            partitions = self._partition_cache.get(topic)
            if partitions is None:
                partitions = sorted(await producer.partitions_for(topic))
                self._partition_cache[topic] = partitions
            index = self._partitioner(message.key, partitions, partitions)
            by_partition.setdefault((topic, index), []).append(message)
        futures = []
        for (topic, index), records in by_partition.items():
            futures.extend(await self._send_batches(producer, topic, index, records))
        await asyncio.gather(*futures)
        for topic in {m.topic for m in messages}:
            BUS_PUBLISHED.labels(topic=topic).inc(sum(1 for m in messages if m.topic == topic))

    @staticmethod
    async def _send_batches(
        producer: AIOKafkaProducer, topic: str, partition: int, records: list[RawMessage]
    ) -> list[asyncio.Future[object]]:
        futures = []
        batch = producer.create_batch()
        for record in records:
            appended = batch.append(
                timestamp=None, key=record.key, value=record.value, headers=list(record.headers)
            )
            if appended is None:  # batch full: ship it, start the next with this record
                futures.append(await producer.send_batch(batch, topic, partition=partition))
                batch = producer.create_batch()
                if (
                    batch.append(
                        timestamp=None,
                        key=record.key,
                        value=record.value,
                        headers=list(record.headers),
                    )
                    is None
                ):
                    raise ValueError(f"record of {len(record.value)} bytes exceeds the batch size")
        if batch.record_count():
            futures.append(await producer.send_batch(batch, topic, partition=partition))
        return futures

    async def _ensure_dlq(self, topic: str) -> None:
        # Dead-letter topics are created on first use so that a new consumer group needs no
        # deployment step; every other topic must exist beforehand.
        if topic.startswith("dlq.") and topic not in self._known_dlq:
            await self.ensure_topics({topic: self._dlq_partitions})
            self._known_dlq.add(topic)

    def _require_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("KafkaBus.start() has not been called")
        return self._producer

    # --- consuming -------------------------------------------------------------------

    def subscribe(self, subscription: Subscription) -> None:
        self._subscriptions.append(subscription)
        if self._producer is not None:
            asyncio.get_running_loop().create_task(self._launch(subscription))

    async def _launch(self, subscription: Subscription) -> None:
        deliverer = deliverer_for(subscription, self._policy, self._dead_letter)
        consumer = GroupMember(self, subscription, deliverer)
        await consumer.start()
        self._consumers.append(consumer)

    async def _dead_letter(self, message: RawMessage) -> None:
        await self.publish_raw([message])

    def consumer(self, group: str | None, **options: object) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            group_id=self.physical(group) if group else None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **options,
        )

    def raw(self, record: ConsumerRecord[bytes, bytes]) -> RawMessage:
        return RawMessage(
            topic=self.logical(record.topic),
            key=record.key,
            value=record.value or b"",
            headers=record.headers if isinstance(record.headers, tuple) else tuple(record.headers),
            partition=record.partition,
            offset=record.offset,
            timestamp_ms=record.timestamp,
        )

    def consumer_health(self) -> dict[str, str]:
        return {consumer.group: consumer.health() for consumer in self._consumers}

    def assigned_partitions(self, group: str, topic: str) -> set[int] | None:
        physical = self.physical(topic)
        for consumer in self._consumers:
            if consumer.group == group and consumer.running:
                return {tp.partition for tp in consumer.assignment() if tp.topic == physical}
        return None

    # --- operator helpers ------------------------------------------------------------

    async def read_topic(self, topic: str) -> list[RawMessage]:
        records: list[RawMessage] = []
        await self._read_range(topic, None, records.append)
        return records

    @asynccontextmanager
    async def scan(
        self, topic: str, partition: int | None = None
    ) -> AsyncIterator[AsyncIterator[RawMessage]]:
        consumer = self.consumer(None)
        try:
            await consumer.start()
            tps = await self._assign_all(consumer, topic)
            if partition is not None:
                tps = [tp for tp in tps if tp.partition == partition]
                if not tps:
                    raise ValueError(f"{topic} has no partition {partition}")
            ends, starts = await consumer.end_offsets(tps), await consumer.beginning_offsets(tps)
            yield scan_partitions(consumer, [(tp, starts[tp], ends[tp]) for tp in tps], self.raw)
        finally:
            await asyncio.shield(consumer.stop())

    async def partition_for(self, topic: str, key: bytes) -> int:
        physical = self.physical(topic)
        partitions = self._partition_cache.get(physical)
        if partitions is None:
            found = await self._require_producer().partitions_for(physical)
            if not found:
                raise UnknownTopic(topic)
            partitions = self._partition_cache[physical] = sorted(found)
        return int(self._partitioner(key, partitions, partitions))

    async def consume_available(
        self,
        topic: str,
        group: str,
        handler: RecordHandler,
        on_total: Callable[[int], None] | None = None,
    ) -> int:
        """Hand every record between the group's committed offsets and the current end of
        `topic` to `handler`, committing as it goes; returns how many were handled."""
        done: list[RawMessage] = []

        async def handle(record: RawMessage) -> None:
            await handler(record)
            done.append(record)

        await self._read_range(topic, group, handle, on_total)
        return len(done)

    async def _read_range(
        self,
        topic: str,
        group: str | None,
        handler: Callable[[RawMessage], object],
        on_total: Callable[[int], None] | None = None,
    ) -> None:
        consumer = self.consumer(group)
        await consumer.start()
        try:
            tps = await self._assign_all(consumer, topic)
            ends = await consumer.end_offsets(tps)
            starts = await _start_offsets(consumer, tps, group)
            if on_total is not None:
                on_total(sum(max(0, ends[tp] - starts[tp]) for tp in tps))
            for tp in tps:
                consumer.seek(tp, starts[tp])
                while starts[tp] < ends[tp]:
                    batch = await consumer.getmany(tp, timeout_ms=1000, max_records=500)
                    for record in batch.get(tp, []):
                        if record.offset >= ends[tp]:
                            break
                        result = handler(self.raw(record))
                        if asyncio.iscoroutine(result):
                            await result
                        starts[tp] = record.offset + 1
                    if group is not None:
                        await consumer.commit({tp: starts[tp]})
        finally:
            await consumer.stop()

    async def _assign_all(self, consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
        if self.physical(topic) not in await consumer.topics():
            raise UnknownTopic(topic)
        # The producer's lookup waits for fresh metadata; the consumer's is cache-only.
        partitions = await self._require_producer().partitions_for(self.physical(topic))
        tps = [TopicPartition(self.physical(topic), p) for p in sorted(partitions)]
        consumer.assign(tps)
        return tps

    async def offsets(self) -> OffsetsSnapshot:
        return await read_offsets(self._bootstrap, self._prefix, self._client_id)

    @asynccontextmanager
    async def follow(self, topic: str) -> AsyncIterator[AsyncIterator[RawMessage]]:
        """A group-less consumer of every partition (as they are at the start), positioned at
        the ends before the block is entered. A slow follower falls behind on the broker, not
        in memory."""
        consumer = self.consumer(None)
        stopped = asyncio.Event()
        try:
            await consumer.start()
            tps = await self._assign_all(consumer, topic)
            ends = await consumer.end_offsets(tps)
            for tp in tps:
                consumer.seek(tp, ends[tp])
            yield self._tail(consumer, stopped)
        finally:
            stopped.set()
            # Shielded: a follower is often closed by a cancellation (a client that went
            # away), and a second one arriving during the stop would leave the consumer
            # fetching for ever (seen: one leaked consumer per closed live tail).
            await asyncio.shield(consumer.stop())

    async def _tail(
        self, consumer: AIOKafkaConsumer, stopped: asyncio.Event
    ) -> AsyncIterator[RawMessage]:
        while not stopped.is_set():
            try:
                batches = await consumer.getmany(timeout_ms=1000)
            except ConsumerStoppedError:
                return
            for records in batches.values():
                for record in records:
                    if stopped.is_set():
                        return
                    yield self.raw(record)


async def _start_offsets(
    consumer: AIOKafkaConsumer, tps: list[TopicPartition], group: str | None
) -> dict[TopicPartition, int]:
    beginnings: dict[TopicPartition, int] = await consumer.beginning_offsets(tps)
    if group is None:
        return dict(beginnings)
    starts = {}
    for tp in tps:
        committed = await consumer.committed(tp)
        starts[tp] = committed if committed is not None else beginnings[tp]
    return starts
