"""The notary's parts: in memory (the in-process bus and store), or real (Kafka and FerretDB,
with this test's own topic prefix and database)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from lienthong.store import InMemoryStore, MongoStore, Store
from lienthong.topics import DOSSIER_EVENTS
from tests.conftest import Infra
from tests.kernel.conftest import BusWorld
from tests.services.notary.histories import PARTITIONS


@dataclass
class Parts:
    world: BusWorld
    store: Store


@pytest.fixture(
    params=["memory", pytest.param("real", marks=[pytest.mark.kafka, pytest.mark.mongo])]
)
async def parts(request: pytest.FixtureRequest, unique: str) -> AsyncIterator[Parts]:
    infra: Infra | None = request.getfixturevalue("infra") if request.param == "real" else None
    world = BusWorld("memory" if infra is None else "kafka", infra, unique)
    mongo = None if infra is None else MongoStore.connect(infra.mongo_url, f"{unique}_notary")
    store: Store = mongo or InMemoryStore()
    bus = await world.member()
    await bus.ensure_topics({DOSSIER_EVENTS: PARTITIONS})
    yield Parts(world, store)
    await world.close()
    if mongo is not None:
        await mongo.drop_database()
        await mongo.close()
