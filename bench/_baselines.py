"""Raw baselines on the same servers, in the same run: what Kafka and the document store do
with no LiênThông code in the way.

* Kafka: the approach of `bench/bus.py`'s raw side. Small pre-encoded CloudEvents records
  (a `dossier.submitted`-sized payload) produced with an idempotent `acks=all` producer in
  chunks and consumed by a consumer group that commits after every batch; msgs/s from the first
  send to the last record consumed.
* Store: pymongo's async client, one collection with an index on `key`; N `insert_one` then N
  `find_one({"key": ...})` (an indexed equality lookup, the only shape FerretDB serves from an
  index), once with one operation in flight and once with `concurrency` in flight.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient

from lienthong.bus.kafka_admin import create_missing_topics
from lienthong.events import RawMessage, encode, new_event

CHUNK = 1000


def _records(topic: str, count: int) -> list[RawMessage]:
    data = {"procedure": "1.001193", "channel": "online", "ward_code": "26506"}
    return [
        encode(new_event("dossier.submitted", f"dossier-{i % 500}", data, source="/bench"), topic)
        for i in range(count)
    ]


async def _produce(producer: AIOKafkaProducer, topic: str, records: list[RawMessage]) -> None:
    for i in range(0, len(records), CHUNK):
        futures = [
            await producer.send(topic, r.value, key=r.key, headers=list(r.headers))
            for r in records[i : i + CHUNK]
        ]
        await asyncio.gather(*futures)


async def _consume(consumer: AIOKafkaConsumer, count: int) -> None:
    received = 0
    while received < count:
        batches = await consumer.getmany(timeout_ms=200, max_records=500)
        received += sum(len(batch) for batch in batches.values())
        if batches:
            await consumer.commit({tp: b[-1].offset + 1 for tp, b in batches.items()})


def raw_clients(bootstrap: str, topic: str) -> tuple[AIOKafkaProducer, AIOKafkaConsumer]:
    """Plain aiokafka, set as the kernel's bus sets its clients (idempotent producer,
    acks=all, 5 ms linger; a consumer group of its own, committing by hand): the baseline."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5
    )
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=topic,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    return producer, consumer


async def raw_kafka(bootstrap: str, topic: str, count: int, partitions: int) -> dict[str, Any]:
    await create_missing_topics(bootstrap, {topic: partitions})
    records = _records(topic, count)
    producer, consumer = raw_clients(bootstrap, topic)
    await producer.start()
    await consumer.start()
    try:
        started = time.perf_counter()
        work = asyncio.gather(_produce(producer, topic, records), _consume(consumer, count))
        await asyncio.wait_for(work, timeout=300)
        elapsed = time.perf_counter() - started
    finally:
        await consumer.stop()
        await producer.stop()
    return {
        "messages": count,
        "partitions": partitions,
        "value_bytes": len(records[0].value),
        "msgs_per_s": round(count / elapsed),
    }


async def _store_round(collection: Any, count: int, concurrency: int) -> float:
    """Seconds for `count` inserts then `count` indexed finds, `concurrency` in flight."""
    gate = asyncio.Semaphore(concurrency)
    keys = [uuid.uuid4().hex for _ in range(count)]

    async def insert(key: str) -> None:
        async with gate:
            await collection.insert_one({"_id": key, "key": key, "status": "received", "n": 1})

    async def find(key: str) -> None:
        async with gate:
            if await collection.find_one({"key": key}) is None:
                raise RuntimeError("baseline document not found")

    started = time.perf_counter()
    await asyncio.gather(*(insert(k) for k in keys))
    await asyncio.gather(*(find(k) for k in keys))
    return time.perf_counter() - started


async def raw_store(url: str, database: str, count: int, concurrency: int) -> dict[str, Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
    try:
        collection = client[database]["baseline"]
        await collection.create_index([("key", 1)])
        serial = await asyncio.wait_for(_store_round(collection, count, 1), timeout=300)
        concurrent = await asyncio.wait_for(_store_round(collection, count, concurrency), 300)
        await client.drop_database(database)
    finally:
        await client.close()
    return {
        "operations_per_round": 2 * count,
        "ops_per_s_serial": round(2 * count / serial, 1),
        "ops_per_s_concurrent": round(2 * count / concurrent, 1),
        "concurrency": concurrency,
    }
