"""Leave the shared servers as they were: the run's topics, consumer groups and databases go
at the end."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.protocol.admin import DeleteGroupsRequest
from pymongo import AsyncMongoClient


async def _delete_groups(admin: AIOKafkaAdminClient, groups: list[str]) -> int:
    """aiokafka 0.14's admin client has no delete_consumer_groups: the request, to each
    group's coordinator. Best effort: an empty group left behind expires by itself."""
    by_coordinator: dict[int, list[str]] = defaultdict(list)
    deleted = 0
    try:
        for group in groups:
            by_coordinator[await admin.find_coordinator(group)].append(group)
        for node, names in by_coordinator.items():
            response = await admin._send_request(DeleteGroupsRequest(names), node)
            deleted += sum(1 for _group, code in response.results if code == 0)
    except (KafkaError, AttributeError, TypeError):
        pass
    return deleted


async def drop_run(kafka: str, mongo: str, run_id: str, timeout_s: float = 90) -> dict[str, int]:
    """Delete every topic and consumer group named `<run_id>.*`; drop every database
    `<run_id>_*`."""
    return await asyncio.wait_for(_drop(kafka, mongo, run_id), timeout_s)


async def _drop(kafka: str, mongo: str, run_id: str) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka, client_id="bench-e2e-cleanup")
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(f"{run_id}.")]
        if topics:
            await admin.delete_topics(topics, timeout_ms=30_000)
        listed = await admin.list_consumer_groups()
        groups = await _delete_groups(admin, [g for g, *_ in listed if g.startswith(f"{run_id}.")])
    finally:
        await admin.close()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo, serverSelectionTimeoutMS=10_000
    )
    try:
        names = [n for n in await client.list_database_names() if n.startswith(f"{run_id}_")]
        for name in names:
            await client.drop_database(name)
    finally:
        await client.close()
    return {"topics": len(topics), "consumer_groups": groups, "databases": len(names)}
