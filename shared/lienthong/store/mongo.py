"""MongoDB adapter of the store port (PyMongo's native async API; FerretDB 1.24 in tests).

Production code follows MongoDB. Where FerretDB 1.24 (the test server) differs in semantics,
the adapter detects it from `buildInfo` on first need and only then takes the workaround: today
that is the counters (`mongo_counters`). Every round trip is counted in
`lienthong_store_operations_total{store, operation}`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

import structlog
from prometheus_client import Counter
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure

from lienthong.metrics import STORE_OPERATIONS
from lienthong.store.mongo_counters import AtomicCounters, TicketCounters
from lienthong.store.port import VERSION_FIELD, Document, DuplicateKey, Filter, SortSpec
from lienthong.store.shapes import QueryShapes, shape_of

log = structlog.get_logger("lienthong.store")


class _Counters(Protocol):
    async def increment(self, name: str, by: int = 1) -> int: ...

    async def read(self, names: Sequence[str]) -> dict[str, int]: ...


class Server:
    """Which server answers: MongoDB, or FerretDB (whose workarounds are taken only then).
    Asked once (`buildInfo`), on the first need."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._database = database
        self._ferretdb: bool | None = None
        self._asking = asyncio.Lock()
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def lock_for(self, collection: str, id: str) -> AsyncIterator[None]:
        """One guarded write of a document at a time in this process (FerretDB only)."""
        key = (collection, id)
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:  # nobody queued behind: let it go
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def is_ferretdb(self) -> bool:
        if self._ferretdb is None:
            async with self._asking:
                if self._ferretdb is None:
                    info = await self._database.command("buildInfo")
                    self._ferretdb = "ferretdbVersion" in info
                    if self._ferretdb:
                        log.info("store_ferretdb_detected", database=self._database.name)
        return self._ferretdb


# Tries of a guarded write that meets concurrent writers of the same document (see below).
_GUARDED_TRIES = 8


class MongoCollection:
    def __init__(
        self,
        collection: AsyncCollection[Document],
        shapes: QueryShapes | None = None,
        server: Server | None = None,
    ) -> None:
        self.name = collection.name
        self._c = collection
        self._server = server or Server(collection.database)
        self._store = collection.database.name
        self._counters: dict[str, Counter] = {}
        self._shapes = shapes

    def _record(self, operation: str, filter: Filter | None, sort: SortSpec = ()) -> None:
        if self._shapes is not None:
            self._shapes.record(shape_of(self._store, self.name, operation, filter, sort))

    def _count(self, operation: str) -> None:
        counter = self._counters.get(operation)
        if counter is None:
            counter = self._counters[operation] = STORE_OPERATIONS.labels(self._store, operation)
        counter.inc()

    async def ensure_index(
        self, fields: Sequence[tuple[str, int]], *, unique: bool = False
    ) -> None:
        self._count("ensure_index")
        await self._c.create_index([(name, direction) for name, direction in fields], unique=unique)

    async def insert(self, document: Document) -> None:
        self._count("insert")
        try:
            await self._c.insert_one(dict(document))
        except DuplicateKeyError as exc:
            raise DuplicateKey(self.name, _detail(exc)) from exc

    async def get(self, id: str) -> Document | None:
        self._count("get")
        return await self._c.find_one({"_id": id})

    async def find(
        self, filter: Filter | None = None, *, sort: SortSpec = (), limit: int = 0, skip: int = 0
    ) -> list[Document]:
        self._count("find")
        self._record("find", filter, sort)
        cursor = self._c.find(dict(filter or {}))
        if sort:
            cursor = cursor.sort([(name, direction) for name, direction in sort])
        if skip:
            cursor = cursor.skip(skip)
        if limit:
            cursor = cursor.limit(limit)
        return await cursor.to_list()

    async def count(self, filter: Filter | None = None) -> int:
        self._count("count")
        self._record("count", filter)
        return await self._c.count_documents(dict(filter or {}))

    async def replace(self, document: Document, *, upsert: bool = True) -> None:
        self._count("replace")
        try:
            await self._c.replace_one({"_id": document["_id"]}, dict(document), upsert=upsert)
        except DuplicateKeyError as exc:
            raise DuplicateKey(self.name, _detail(exc)) from exc
        except OperationFailure as exc:
            if _is_unique_violation(exc):
                raise DuplicateKey(self.name, str(exc)[-300:]) from exc
            raise

    async def put_if_newer(self, document: Document, version: int) -> bool:
        if not await self._server.is_ferretdb():
            return await self._put_if_newer(document, version)
        # FerretDB evaluates `$lt` in Go and then writes by `_id`: of two concurrent guarded
        # writes the older may land last. Within a process they queue; across processes the
        # race remains on FerretDB only (deploy/local/NOTES.md).
        async with self._server.lock_for(self.name, document["_id"]):
            return await self._put_if_newer(document, version)

    async def _put_if_newer(self, document: Document, version: int) -> bool:
        # The filter matches only an older version. If an equal or newer one is stored, the
        # upsert tries to insert a second document with the same _id and the unique _id index
        # refuses it, atomically. FerretDB does not say which index refused, so look: a stored
        # version >= ours means "stale"; a lower one means a concurrent first write won the
        # insert (try again: the filter now matches it); no document at all means another
        # unique index refused ours.
        body = {k: v for k, v in document.items() if k != "_id"}
        body[VERSION_FIELD] = version
        guard = {"_id": document["_id"], VERSION_FIELD: {"$lt": version}}
        error: DuplicateKeyError | None = None
        for _ in range(_GUARDED_TRIES):
            self._count("put_if_newer")
            try:
                await self._c.replace_one(guard, body, upsert=True)
            except DuplicateKeyError as exc:
                error = exc
                stored = await self._stored_version(document["_id"])
                if stored is None:
                    break
                if stored >= version:
                    return False
                continue
            return True
        raise DuplicateKey(self.name, _detail(error) if error else "concurrent writers")

    async def _stored_version(self, id: str) -> int | None:
        self._count("get")
        stored = await self._c.find_one({"_id": id}, {VERSION_FIELD: 1})
        return None if stored is None else int(stored.get(VERSION_FIELD, 0))

    async def update(
        self, id: str, set_fields: Mapping[str, Any], *, where: Filter | None = None
    ) -> bool:
        self._count("update")
        try:
            selector = {**(where or {}), "_id": id}
            result = await self._c.update_one(selector, {"$set": dict(set_fields)})
        except DuplicateKeyError as exc:
            raise DuplicateKey(self.name, _detail(exc)) from exc
        except OperationFailure as exc:
            if _is_unique_violation(exc):
                raise DuplicateKey(self.name, str(exc)[-300:]) from exc
            raise
        return result.matched_count == 1

    async def delete(self, id: str) -> bool:
        self._count("delete")
        return (await self._c.delete_one({"_id": id})).deleted_count == 1

    async def drop(self) -> None:
        self._count("drop")
        await self._c.drop()


def _is_unique_violation(exc: OperationFailure) -> bool:
    """FerretDB 1.24 reports a unique-index violation on update as an internal error (code 1)
    naming the constraint, where MongoDB says DuplicateKey (11000): the same fact, told apart
    by its message (SQLite: "UNIQUE constraint failed"; PostgreSQL: "violates unique
    constraint")."""
    return exc.code == 1 and "unique constraint" in str(exc).lower()


def _detail(exc: DuplicateKeyError) -> str:
    details = exc.details or {}
    return str(details.get("keyValue") or details.get("errmsg") or exc)


class MongoStore:
    def __init__(
        self,
        client: AsyncMongoClient[Document],
        database: str,
        shapes: QueryShapes | None = None,
    ) -> None:
        self._client = client
        self._db: AsyncDatabase[Document] = client[database]
        self._shapes = shapes
        self._counters: _Counters | None = None
        self._server = Server(self._db)
        self._owns_client = False

    @classmethod
    def connect(cls, url: str, database: str) -> MongoStore:
        store = cls(AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=10_000), database)
        store._owns_client = True
        return store

    def collection(self, name: str) -> MongoCollection:
        return MongoCollection(self._db[name], self._shapes, self._server)

    async def increment(self, name: str, by: int = 1) -> int:
        """Atomic on MongoDB and, by a fallback, on FerretDB: see `mongo_counters`."""
        counters = self._counters or await self._detect_counters()
        return await counters.increment(name, by)

    async def read_counters(self, names: Sequence[str]) -> dict[str, int]:
        counters = self._counters or await self._detect_counters()
        return await counters.read(names)

    async def is_ferretdb(self) -> bool:
        return await self._server.is_ferretdb()

    async def _detect_counters(self) -> _Counters:
        if self._counters is None:
            ferretdb = await self._server.is_ferretdb()
            self._counters = TicketCounters(self._db) if ferretdb else AtomicCounters(self._db)
        return self._counters

    async def ping(self) -> None:
        await self._db.command("ping")

    async def close(self) -> None:
        if self._owns_client:
            await self._client.close()

    async def drop_database(self) -> None:
        await self._client.drop_database(self._db.name)
