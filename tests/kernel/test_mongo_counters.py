"""Counters on FerretDB across processes: several store instances (no shared memory) issue
from one sequence, and a new instance finds where the sequence stands."""

from __future__ import annotations

import asyncio

import pytest

from lienthong.store import MongoStore
from tests.conftest import Infra


@pytest.mark.mongo
async def test_independent_store_instances_share_one_dense_sequence(
    infra: Infra, unique: str
) -> None:
    stores = [MongoStore.connect(infra.mongo_url, unique) for _ in range(3)]
    try:
        first = [await stores[0].increment("day") for _ in range(37)]
        assert first == list(range(1, 38))
        together = await asyncio.gather(*(stores[i % 3].increment("day") for i in range(45)))
        assert sorted(together) == list(range(38, 83))
        late = MongoStore.connect(infra.mongo_url, unique)  # a process started afterwards
        stores.append(late)
        assert await late.increment("day") == 83
        assert await stores[1].increment("day") == 84
    finally:
        await stores[0].drop_database()
        for store in stores:
            await store.close()
