"""Delivery leases on their own: taken by insert, renewed, run out, lost, swept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from lienthong.store import Collection, Document, InMemoryStore, MongoStore
from lienthong_agency_adapter.leases import DeliveryLeases, LeaseLost
from lienthong_agency_adapter.outbox import TaskOutbox, turn_of
from tests.conftest import Infra
from tests.services.agency_adapter.replicas import task_for


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def books(collection: Collection, clock: Clock, lease_s: float = 30) -> list[DeliveryLeases]:
    return [DeliveryLeases(collection, "ag", name, lease_s, clock) for name in ("a", "b", "c")]


async def generations(collection: Collection, task: str) -> list[int]:
    return sorted(d["generation"] for d in await collection.find({"task": task}))


async def test_a_lease_stays_with_its_holder_until_it_has_gone_unrenewed_for_a_whole_lease() -> (
    None
):
    clock, collection = Clock(), InMemoryStore().collection("task_leases")
    a, b, _ = books(collection, clock)
    held = await a.take("t1", 0)
    assert held is not None
    assert held.generation == 0
    assert await b.take("t1", 0) is None  # b sees it taken: from now on b counts
    clock.now += 29
    assert await b.take("t1", 0) is None
    await a.renew(held)  # a renews in time: generation 1
    clock.now += 2
    assert await b.take("t1", 0) is None  # b's lease has passed, but a renewed meanwhile
    clock.now += 29.9
    assert await b.take("t1", 0) is None  # b counts again from its last look
    assert await generations(collection, "t1") == [0, 1]
    clock.now += 0.2
    taken = await b.take("t1", 0)  # a went silent for a whole lease: b takes it over
    assert taken is not None
    assert taken.generation == 2
    with pytest.raises(LeaseLost):
        await a.renew(held)
    await b.release(taken)
    assert await generations(collection, "t1") == []


async def test_each_turn_of_a_task_has_its_own_lease() -> None:
    clock, collection = Clock(), InMemoryStore().collection("task_leases")
    a, b, _ = books(collection, clock)
    assert await a.take("t1", 0) is not None
    assert await b.take("t1", 0) is None
    assert await b.take("t1", 1) is not None  # the next turn (say, a's round postponed it)


async def test_a_long_round_is_renewed_and_a_lost_lease_cancels_the_work() -> None:
    collection = InMemoryStore().collection("task_leases")
    a, b = (DeliveryLeases(collection, "ag", n, lease_s=0.3) for n in ("a", "b"))
    held = await a.take("t1", 0)
    assert held is not None
    assert await a.hold(held, asyncio.sleep(0.5, result="done")) == "done"
    assert held.generation >= 2  # renewed every 0.1 s while the work ran
    await a.release(held)

    held = await a.take("t1", 1)
    assert held is not None
    cancelled = asyncio.Event()

    async def long_work() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    # Another replica takes the next generation (as after a takeover): a's renewal is refused.
    assert await b._insert("t1", 1, held.generation + 1)
    with pytest.raises(LeaseLost):
        await a.hold(held, long_work())
    assert cancelled.is_set()


class Unreachable:
    """A collection whose inserts fail from `failing` on (the store away)."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.failing = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.collection, name)

    async def insert(self, document: Document) -> None:
        if self.failing:
            raise ConnectionError("store away")
        await self.collection.insert(document)


async def test_a_holder_that_cannot_renew_gives_up_before_its_lease_runs_out() -> None:
    store = Unreachable(InMemoryStore().collection("task_leases"))
    a = DeliveryLeases(store, "ag", "a", lease_s=0.3)
    held = await a.take("t1", 0)
    assert held is not None
    store.failing = True
    cancelled = asyncio.Event()

    async def long_work() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(LeaseLost, match="not renewed"):
        await a.hold(held, long_work())
    assert cancelled.is_set()
    assert held.generation == 0


async def test_a_round_that_failed_midway_renews_its_lease_at_the_next_take() -> None:
    clock, collection = Clock(), InMemoryStore().collection("task_leases")
    a, b, _ = books(collection, clock)
    held = await a.take("t1", 0)
    assert held is not None

    async def broken() -> None:
        raise ConnectionError("bus away")

    with pytest.raises(ConnectionError):
        await a.hold(held, broken())
    again = await a.take("t1", 0)  # no wait for its own lease to run out
    assert again is not None
    assert again.generation == 1
    assert await b.take("t1", 0) is None


async def test_the_sweep_deletes_leases_of_ended_turns_only() -> None:
    clock, collection = Clock(), InMemoryStore().collection("task_leases")
    a, _, _ = books(collection, clock)
    for task, turn in (("t1", 0), ("t1", 1), ("t2", 0)):
        assert await a.take(task, turn) is not None
    live = {("t1", 1)}

    async def over(task: str, turn: int) -> bool:
        return (task, turn) not in live

    assert await a.sweep(over) == 2
    assert [(d["task"], d["turn"]) for d in await collection.find({"agency": "ag"})] == [("t1", 1)]


async def test_a_replayed_task_comes_back_in_a_new_turn() -> None:
    outbox = TaskOutbox(InMemoryStore())
    event, task = task_for("ag")
    assert await outbox.accept("ag", event, task)
    await outbox.set(task.task_id, state="failed")
    assert await outbox.accept("ag", event, task)  # the dead letter replayed
    document = await outbox.get(task.task_id)
    assert document is not None
    assert (document["state"], turn_of(document)) == ("pending", 1)


@pytest.fixture
async def two_clients(infra: Infra, unique: str) -> AsyncIterator[list[MongoStore]]:
    """Two store clients of one database, as two replicas have."""
    stores = [MongoStore.connect(infra.mongo_url, f"{unique}_agency_adapter") for _ in range(2)]
    yield stores
    await stores[0].drop_database()
    for store in stores:
        await store.close()


@pytest.mark.mongo
async def test_two_clients_racing_for_the_same_leases_on_ferretdb_win_each_once(
    two_clients: list[MongoStore],
) -> None:
    clock = Clock()
    a, b, c = (
        DeliveryLeases(store.collection("task_leases"), "ag", name, 30, clock)
        for store, name in zip([*two_clients, two_clients[0]], "abc", strict=True)
    )
    tasks = [f"t{n}" for n in range(40)]

    async def race(turn: int) -> dict[str, list[str]]:
        """a and b take every task's turn at once; who won each."""
        taken = await asyncio.gather(*(book.take(task, turn) for task in tasks for book in (a, b)))
        winners: dict[str, list[str]] = {task: [] for task in tasks}
        for lease, holder in zip(taken, "ab" * len(tasks), strict=True):
            if lease is not None:
                winners[lease.task_id].append(holder)
        return winners

    first = await race(0)  # a first take: generation 0
    assert [len(holders) for holders in first.values()] == [1] * len(tasks), first

    for task in tasks:  # c holds turn 1 of every task, then goes silent
        assert await c.take(task, 1) is not None
    assert await race(1) == {task: [] for task in tasks}  # both see c's leases ...
    clock.now += 31
    takeover = await race(1)  # ... and once they have run out, both take over at once
    assert [len(holders) for holders in takeover.values()] == [1] * len(tasks), takeover
    collection = two_clients[0].collection("task_leases")
    assert {len(await generations(collection, task)) for task in tasks} == {3}  # 0; 0 and 1
