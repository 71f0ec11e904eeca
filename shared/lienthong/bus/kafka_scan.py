"""Streaming reads of whole partitions for operator tools (`KafkaBus.scan`).

A group-less consumer assigned one partition at a time (so that the fetcher buffers only the
partition being read), from the log start to the end offset taken when the scan was opened.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from lienthong.events import RawMessage

_FETCH_TIMEOUT_MS = 1000
_BATCH = 500


async def scan_partitions(
    consumer: AIOKafkaConsumer,
    ranges: list[tuple[TopicPartition, int, int]],
    raw: Callable[[ConsumerRecord[bytes, bytes]], RawMessage],
) -> AsyncIterator[RawMessage]:
    """The records of each (partition, start, end) in `ranges`, one partition after the other,
    each in log order. `consumer` is started and owned by the caller."""
    for tp, start, end in ranges:
        if start >= end:
            continue
        consumer.assign([tp])
        consumer.seek(tp, start)
        while True:
            batch = await consumer.getmany(tp, timeout_ms=_FETCH_TIMEOUT_MS, max_records=_BATCH)
            records = batch.get(tp, [])
            for record in records:
                if record.offset >= end:
                    break
                yield raw(record)
            if (records and records[-1].offset >= end - 1) or (
                not records and await consumer.position(tp) >= end
            ):
                break  # (the second case: the last offsets hold no record, e.g. compacted)
