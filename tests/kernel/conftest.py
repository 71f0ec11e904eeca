"""Adapter fixtures: every contract test runs against both adapters of its port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lienthong.bus import Bus, InMemoryBus, KafkaBus, RetryPolicy
from lienthong.store import InMemoryStore, MongoStore, Store
from tests.conftest import Infra

FAST_RETRIES = RetryPolicy(max_attempts=3, initial_backoff_s=0.01, max_backoff_s=0.05)


class BusWorld:
    """One cluster as seen by several processes: `member()` is a new process's bus.

    On Kafka each member is a new client against the same broker and topic prefix; in memory
    the log lives in one object, so every member is that object (a "restart" is a new
    subscription on it).
    """

    def __init__(self, kind: str, infra: Infra | None, prefix: str) -> None:
        self.kind = kind
        self._infra = infra
        self._prefix = prefix
        self._members: list[Bus] = []
        self._memory: InMemoryBus | None = None

    async def member(self) -> Bus:
        if self.kind == "memory":
            if self._memory is None:
                self._memory = InMemoryBus(policy=FAST_RETRIES)
                self._members.append(self._memory)
            if not self._memory.running:
                await self._memory.start()
            return self._memory
        assert self._infra is not None
        bus = KafkaBus(
            self._infra.kafka_bootstrap,
            client_id=f"{self._prefix}-{len(self._members)}",
            topic_prefix=f"{self._prefix}.",
            policy=FAST_RETRIES,
        )
        await bus.start()
        self._members.append(bus)
        return bus

    async def close(self) -> None:
        for bus in reversed(self._members):
            await bus.stop()


@pytest.fixture(params=["memory", pytest.param("kafka", marks=pytest.mark.kafka)])
async def world(request: pytest.FixtureRequest, unique: str) -> AsyncIterator[BusWorld]:
    infra = request.getfixturevalue("infra") if request.param == "kafka" else None
    world = BusWorld(request.param, infra, unique)
    yield world
    await world.close()


@pytest.fixture(params=["memory", pytest.param("mongo", marks=pytest.mark.mongo)])
async def store(request: pytest.FixtureRequest, unique: str) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield InMemoryStore()
        return
    infra: Infra = request.getfixturevalue("infra")
    mongo = MongoStore.connect(infra.mongo_url, unique)
    yield mongo
    await mongo.drop_database()
    await mongo.close()
