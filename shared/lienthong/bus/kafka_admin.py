"""Explicit topic creation (the broker runs with auto-creation disabled), and the offsets
snapshot of the operator console."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import AsyncExitStack

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from lienthong.bus.port import OffsetsSnapshot
from lienthong.clock import utc_now

log = structlog.get_logger("lienthong.bus.kafka")

_TOPIC_ALREADY_EXISTS = 36


async def create_missing_topics(
    bootstrap: str, partitions: Mapping[str, int], replication_factor: int = 1
) -> list[str]:
    """Create the topics that do not exist yet; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="lienthong-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in partitions if name not in existing]
        if missing:
            response = await admin.create_topics(
                [NewTopic(name, partitions[name], replication_factor) for name in missing]
            )
            for name, code, *_ in response.topic_errors:
                if code not in (0, _TOPIC_ALREADY_EXISTS):
                    raise RuntimeError(f"creating topic {name} failed with Kafka error {code}")
            await _wait_visible(admin, missing)
            log.info("topics_created", topics=missing)
        return missing
    finally:
        await admin.close()


async def _wait_visible(
    admin: AIOKafkaAdminClient, names: list[str], timeout_s: float = 30
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        described = await admin.describe_topics(names)
        if all(t["error_code"] == 0 and t["partitions"] for t in described):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"topics not visible after creation: {names}")


async def read_offsets(bootstrap: str, prefix: str, client_id: str) -> OffsetsSnapshot:
    """Offsets of the topics and groups whose names start with `prefix`, named without it.

    One admin client (topics, groups, their commits) and one group-less consumer (log start
    and end offsets, one request per broker), both closed whatever happens."""
    async with AsyncExitStack() as stack:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id)
        stack.push_async_callback(admin.close)
        await admin.start()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, client_id=client_id, enable_auto_commit=False
        )
        stack.push_async_callback(consumer.stop)
        await consumer.start()
        tps = await _partitions_of(admin, prefix)
        # Commits are read before ends, so that a commit is never ahead of its end.
        committed = await _committed_of(admin, prefix, {tp.topic for tp in tps})
        # Assigned, the consumer fetches these topics' metadata in one round before the
        # offset lookups (otherwise each topic's unknown leaders cost ~0.1 s, measured).
        consumer.assign(tps)
        starts = await consumer.beginning_offsets(tps)
        ends = await consumer.end_offsets(tps)
    return OffsetsSnapshot(
        ends=_by_topic(ends, prefix),
        committed=committed,
        taken_at=utc_now(),
        starts=_by_topic(starts, prefix),
    )


async def _partitions_of(admin: AIOKafkaAdminClient, prefix: str) -> list[TopicPartition]:
    return [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in await admin.describe_topics()
        if topic["topic"].startswith(prefix)
        and not topic["is_internal"]
        and not topic["topic"].startswith("__")
        and topic["error_code"] == 0
        for partition in topic["partitions"]
    ]


async def _committed_of(
    admin: AIOKafkaAdminClient, prefix: str, topics: set[str]
) -> dict[str, dict[str, dict[int, int]]]:
    groups = [entry[0] for entry in await admin.list_consumer_groups()]
    groups = [group for group in groups if group.startswith(prefix)]
    fetched = await asyncio.gather(*(admin.list_consumer_group_offsets(g) for g in groups))
    committed: dict[str, dict[str, dict[int, int]]] = {}
    for group, offsets in zip(groups, fetched, strict=True):
        for tp, offset in offsets.items():
            if tp.topic in topics and offset.offset >= 0:
                by_topic = committed.setdefault(group[len(prefix) :], {})
                by_topic.setdefault(tp.topic[len(prefix) :], {})[tp.partition] = offset.offset
    return committed


def _by_topic(offsets: Mapping[TopicPartition, int], prefix: str) -> dict[str, dict[int, int]]:
    result: dict[str, dict[int, int]] = {}
    for tp, offset in sorted(offsets.items()):
        result.setdefault(tp.topic[len(prefix) :], {})[tp.partition] = offset
    return result
