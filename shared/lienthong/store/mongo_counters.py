"""Counters of the Mongo adapter: MongoDB's atomic `$inc`, and an exact fallback for FerretDB.

On MongoDB, where the city runs, a counter is one document in the `counters` collection and an
increment is one atomic `findAndModify {$inc}` with upsert.

FerretDB 1.24 applies `$inc` as read-modify-write without a lock (measured: 200 concurrent
increments of one counter returned a few dozen distinct values; deploy/local/NOTES.md). What it
does enforce atomically is the unique `_id` index. So, on FerretDB only (detected by the
adapter from `buildInfo`), a counter is a dense sequence of ticket documents `<name>#1`,
`<name>#2`, … in the one collection `counter_tickets`, each holding the counter's value after
that increment; whoever inserts ticket i first owns it, a loser moves on to i + 1. The last
ticket is found by lookups by `_id` alone (pushed down to an index): the last index this process
saw, else a galloping search over ticket indexes (they are dense, so "ticket i exists" is
monotone). Within a process the increments of one counter queue behind a lock, so concurrent
requests of one replica do not race each other through O(n²) refused inserts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from lienthong.metrics import STORE_OPERATIONS

COUNTERS = "counters"
TICKETS = "counter_tickets"


class AtomicCounters:
    """MongoDB: one document per counter, one atomic round trip per increment."""

    def __init__(self, database: AsyncDatabase[dict[str, Any]]) -> None:
        self._counters = database[COUNTERS]
        self._ops = STORE_OPERATIONS.labels(store=database.name, operation="increment")

    async def increment(self, name: str, by: int = 1) -> int:
        for _ in range(2):  # two first upserts of one new counter: one of them may be refused
            self._ops.inc()
            try:
                found = await self._counters.find_one_and_update(
                    {"_id": name},
                    {"$inc": {"value": by}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:
                continue
            if found is None:  # cannot happen with upsert and AFTER
                raise RuntimeError(f"counter {name}: the upsert returned nothing")
            return int(found["value"])
        raise RuntimeError(f"counter {name}: the upsert was refused twice")

    async def read(self, names: Sequence[str]) -> dict[str, int]:
        """One round trip for all of them."""
        self._ops.inc()
        found = {
            doc["_id"]: int(doc["value"])
            async for doc in self._counters.find({"_id": {"$in": list(names)}})
        }
        return {name: found.get(name, 0) for name in names}


class TicketCounters:
    """FerretDB: tickets claimed by unique `_id` inserts (see the module's docstring)."""

    def __init__(self, database: AsyncDatabase[dict[str, Any]]) -> None:
        self._tickets: AsyncCollection[dict[str, Any]] = database[TICKETS]
        self._store = database.name
        self._last_index: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _count(self, operation: str) -> None:
        STORE_OPERATIONS.labels(store=self._store, operation=operation).inc()

    async def increment(self, name: str, by: int = 1) -> int:
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            index = self._last_index.get(name)
            if index is None:
                index = await self._last_existing(name)
            previous = await self._value_at(name, index)
            while True:
                try:
                    self._count("insert")
                    await self._tickets.insert_one(
                        {"_id": _ticket(name, index + 1), "value": previous + by}
                    )
                except DuplicateKeyError:  # another replica took it: read its value, go on
                    index += 1
                    previous = await self._value_at(name, index)
                    continue
                self._last_index[name] = index + 1
                return previous + by

    async def read(self, names: Sequence[str]) -> dict[str, int]:
        """Per counter, its last ticket (O(log n) lookups by `_id`; the test server only)."""
        values = {}
        for name in names:
            async with self._locks.setdefault(name, asyncio.Lock()):
                index = await self._last_existing(name, self._last_index.get(name, 0))
                values[name] = await self._value_at(name, index)
        return values

    async def _value_at(self, name: str, index: int) -> int:
        if index == 0:
            return 0
        self._count("get")
        ticket = await self._tickets.find_one({"_id": _ticket(name, index)}, {"value": 1})
        if ticket is None:  # tickets are never deleted; a missing one means a corrupt store
            raise RuntimeError(f"counter {name}: ticket {index} is missing")
        return int(ticket["value"])

    async def _exists(self, name: str, index: int) -> bool:
        self._count("get")
        return await self._tickets.find_one({"_id": _ticket(name, index)}, {"_id": 1}) is not None

    async def _last_existing(self, name: str, known: int = 0) -> int:
        """The highest ticket index in use (0 if none), in O(log n) lookups by `_id`;
        `known` is an index known to exist (0: none)."""
        low, high = known, max(1, known * 2)
        while await self._exists(name, high):
            low, high = high, high * 2
        while high - low > 1:  # invariant: ticket `low` exists (or low == 0), `high` does not
            middle = (low + high) // 2
            if await self._exists(name, middle):
                low = middle
            else:
                high = middle
        return low


def _ticket(name: str, index: int) -> str:
    return f"{name}#{index}"
