"""Several adapter replicas deliver from one outbox: each task reaches its agency once, a
dead replica's tasks are taken over when its leases run out, a long round keeps its lease.

Each replica is a courier with its own store client (two connections to FerretDB, so the
race is decided by the server, as between two pods) delivering over real HTTP to a counting
agency system. The lease is short here (1–1.5 s) so that a takeover comes soon.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from lienthong.schemas.tasks import TaskAssigned
from lienthong.store import InMemoryStore, MongoStore, Store
from lienthong_agency_adapter.courier import Courier
from lienthong_agency_adapter.outbox import TaskOutbox
from lienthong_agency_adapter.simulators import serving
from tests.conftest import Infra
from tests.services.agency_adapter.replicas import (
    CountingAgency,
    accept_tasks,
    agency_at,
    lease_events,
    replica,
    states,
)
from tests.support import eventually, eventually_async

StoreFactory = Callable[[], Store]


@pytest.fixture
async def agency_system() -> AsyncIterator[tuple[CountingAgency, str]]:
    system = CountingAgency()
    async with serving(system.app()) as url:
        yield system, url
        for waiting in system.hold.values():  # let held calls end before the server stops
            waiting.set()


@pytest.fixture
async def ferretdb(infra: Infra, unique: str) -> AsyncIterator[StoreFactory]:
    """A new client of the test's database at each call (one per replica)."""
    stores: list[MongoStore] = []

    def connect() -> Store:
        stores.append(MongoStore.connect(infra.mongo_url, f"{unique}_agency_adapter"))
        return stores[-1]

    yield connect
    if stores:
        await stores[0].drop_database()
    for store in stores:
        await store.close()


@pytest.fixture(params=[pytest.param("ferretdb", marks=pytest.mark.mongo), "memory"])
def shared_store(request: pytest.FixtureRequest) -> StoreFactory:
    """Real FerretDB, one client per replica; or one in-memory store shared by both."""
    if request.param == "memory":
        memory = InMemoryStore("agency-adapter")
        return lambda: memory
    factory: StoreFactory = request.getfixturevalue("ferretdb")
    return factory


@contextlib.asynccontextmanager
async def running(*couriers: Courier) -> AsyncIterator[None]:
    await asyncio.gather(*(courier.start() for courier in couriers))
    try:
        yield
    finally:
        await asyncio.gather(*(courier.stop() for courier in couriers))


def all_delivered(outbox: TaskOutbox, tasks: list[TaskAssigned]) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return set(await states(outbox, tasks)) == {"delivered"}

    return probe


async def test_two_replicas_on_one_outbox_deliver_each_task_exactly_once(
    shared_store: StoreFactory, agency_system: tuple[CountingAgency, str]
) -> None:
    system, url = agency_system
    system.delay_s = 0.05  # a delivery takes a while: both replicas find the same tasks due
    agency = agency_at(url)
    async with httpx.AsyncClient() as http:
        a, b = [await replica(name, shared_store(), agency, http) for name in ("a", "b")]
        await a.outbox.prepare()
        tasks = await accept_tasks(a.outbox, agency.code, 30)
        async with running(a, b):
            await eventually_async(all_delivered(a.outbox, tasks), 60, "every task delivered")
    keys = {task.idempotency_key for task in tasks}
    assert dict(system.calls) == dict.fromkeys(keys, 1)
    attempts = [c.tally.totals().get(((agency.code,), "attempts"), 0) for c in (a, b)]
    assert sum(attempts) == len(tasks)  # each call counted by the replica that made it
    assert lease_events(agency.code, "held_elsewhere") > 0  # they did compete for tasks
    assert await a.outbox.leases.find({"agency": agency.code}) == []  # released, every one


@pytest.mark.mongo
async def test_a_dead_replicas_task_is_taken_over_once_its_lease_has_run_out(
    ferretdb: StoreFactory, agency_system: tuple[CountingAgency, str]
) -> None:
    system, url = agency_system
    agency = agency_at(url)
    async with httpx.AsyncClient() as http:
        a, b = [await replica(name, ferretdb(), agency, http, lease_s=1.0) for name in ("a", "b")]
        await a.outbox.prepare()
        [task] = await accept_tasks(a.outbox, agency.code, 1)
        key = task.idempotency_key
        system.hold[key] = asyncio.Event()  # a's call will be in flight when it dies
        dying = asyncio.create_task(a.deliver_due())
        await eventually(lambda: system.calls[key] == 1, 30, "a's call reached the agency")

        await b.deliver_due()  # b finds the task in a's hands and leaves it
        assert (system.calls[key], await states(b.outbox, [task])) == (1, ["pending"])

        dying.cancel()  # a dies with the call in flight: no release, no record
        with contextlib.suppress(asyncio.CancelledError):
            await dying
        system.release(key)
        async with running(b):
            await eventually_async(all_delivered(b.outbox, [task]), 30, "b delivered it")
    assert system.calls[key] == 2  # a's, in flight when it died, and b's: the same key
    assert system.callers[key] == ["http://a.replica", "http://b.replica"]
    assert lease_events(agency.code, "taken_over") == 1
    assert await b.outbox.leases.find({"agency": agency.code}) == []


@pytest.mark.mongo
async def test_a_round_longer_than_the_lease_keeps_it_by_renewing(
    ferretdb: StoreFactory, agency_system: tuple[CountingAgency, str]
) -> None:
    system, url = agency_system
    system.delay_s = 4.5  # three leases long
    agency = agency_at(url)
    async with httpx.AsyncClient() as http:
        a, b = [await replica(name, ferretdb(), agency, http, lease_s=1.5) for name in ("a", "b")]
        await a.outbox.prepare()
        [task] = await accept_tasks(a.outbox, agency.code, 1)
        async with running(a, b):
            await eventually_async(all_delivered(a.outbox, [task]), 30, "delivered")
    assert system.calls[task.idempotency_key] == 1
    assert lease_events(agency.code, "renewed") >= 2  # by the replica that had it ...
    assert lease_events(agency.code, "held_elsewhere") >= 1  # ... while the other looked on
    assert lease_events(agency.code, "taken_over") == 0
