"""Explicit topic creation (the broker runs with auto-creation disabled)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

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
