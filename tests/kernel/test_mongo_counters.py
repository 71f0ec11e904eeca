"""Counters on FerretDB across processes: several store instances (no shared memory) issue
from one sequence, and a new instance finds where the sequence stands.

FerretDB's `$inc` loses updates under concurrency, so the adapter detects FerretDB and uses
ticket counters there; production MongoDB uses one atomic `$inc`. That path cannot be proven
atomic here (no MongoDB on these machines): it is run sequentially, where FerretDB is exact.
"""

from __future__ import annotations

import asyncio

import pytest

from lienthong.store import MongoStore
from lienthong.store.mongo_counters import AtomicCounters, TicketCounters
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


@pytest.mark.mongo
async def test_200_concurrent_increments_of_one_counter_give_exactly_1_to_200(
    infra: Infra, unique: str
) -> None:
    """As four intake replicas would issue codes at once: no value lost, none twice."""
    stores = [MongoStore.connect(infra.mongo_url, unique) for _ in range(4)]
    try:
        values = await asyncio.gather(
            *(stores[i % 4].increment("dossier-code/x/2026-12-01") for i in range(200))
        )
        assert sorted(values) == list(range(1, 201))
        assert await stores[0].increment("dossier-code/x/2026-12-02") == 1, "independent"
    finally:
        await stores[0].drop_database()
        for store in stores:
            await store.close()


@pytest.mark.mongo
async def test_the_adapter_detects_ferretdb_and_chooses_its_counters(
    infra: Infra, unique: str
) -> None:
    store = MongoStore.connect(infra.mongo_url, unique)
    try:
        assert await store.is_ferretdb(), "the test server is FerretDB"
        await store.increment("c")
        assert isinstance(store._counters, TicketCounters)
    finally:
        await store.drop_database()
        await store.close()


@pytest.mark.mongo
async def test_the_mongodb_inc_path_counts_from_one_and_keeps_counters_apart(
    infra: Infra, unique: str
) -> None:
    store = MongoStore.connect(infra.mongo_url, unique)
    try:
        counters = AtomicCounters(store._db)
        assert [await counters.increment("a") for _ in range(3)] == [1, 2, 3]
        assert await counters.increment("a", by=5) == 8
        assert await counters.increment("b") == 1
        names = await store._db.list_collection_names()
        assert names == ["counters"], "one collection, whatever the counters' names"
    finally:
        await store.drop_database()
        await store.close()
