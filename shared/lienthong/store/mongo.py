"""MongoDB adapter of the store port (PyMongo's native async API; FerretDB 1.24 in tests)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from lienthong.store.mongo_counters import TicketCounters
from lienthong.store.port import VERSION_FIELD, Document, DuplicateKey, Filter, SortSpec


class MongoCollection:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.name = collection.name
        self._c = collection

    async def ensure_index(
        self, fields: Sequence[tuple[str, int]], *, unique: bool = False
    ) -> None:
        await self._c.create_index([(name, direction) for name, direction in fields], unique=unique)

    async def insert(self, document: Document) -> None:
        try:
            await self._c.insert_one(dict(document))
        except DuplicateKeyError as exc:
            raise DuplicateKey(self.name, _detail(exc)) from exc

    async def get(self, id: str) -> Document | None:
        return await self._c.find_one({"_id": id})

    async def find(
        self, filter: Filter | None = None, *, sort: SortSpec = (), limit: int = 0, skip: int = 0
    ) -> list[Document]:
        cursor = self._c.find(dict(filter or {}))
        if sort:
            cursor = cursor.sort([(name, direction) for name, direction in sort])
        if skip:
            cursor = cursor.skip(skip)
        if limit:
            cursor = cursor.limit(limit)
        return await cursor.to_list()

    async def count(self, filter: Filter | None = None) -> int:
        return await self._c.count_documents(dict(filter or {}))

    async def replace(self, document: Document, *, upsert: bool = True) -> None:
        try:
            await self._c.replace_one({"_id": document["_id"]}, dict(document), upsert=upsert)
        except DuplicateKeyError as exc:
            raise DuplicateKey(self.name, _detail(exc)) from exc

    async def put_if_newer(self, document: Document, version: int) -> bool:
        # The filter matches only an older version. If an equal or newer one is stored, the
        # upsert tries to insert a second document with the same _id and the unique _id index
        # refuses it, atomically. FerretDB does not say which index refused, so look: a stored
        # version >= ours means "stale"; anything else is a genuine unique-index conflict.
        body = {k: v for k, v in document.items() if k != "_id"}
        body[VERSION_FIELD] = version
        try:
            await self._c.replace_one(
                {"_id": document["_id"], VERSION_FIELD: {"$lt": version}}, body, upsert=True
            )
        except DuplicateKeyError as exc:
            stored = await self._c.find_one({"_id": document["_id"]}, {VERSION_FIELD: 1})
            if stored is not None and stored.get(VERSION_FIELD, 0) >= version:
                return False
            raise DuplicateKey(self.name, _detail(exc)) from exc
        return True

    async def update(self, id: str, set_fields: Mapping[str, Any]) -> bool:
        try:
            result = await self._c.update_one({"_id": id}, {"$set": dict(set_fields)})
        except DuplicateKeyError as exc:
            raise DuplicateKey(self.name, _detail(exc)) from exc
        return result.matched_count == 1

    async def delete(self, id: str) -> bool:
        return (await self._c.delete_one({"_id": id})).deleted_count == 1

    async def drop(self) -> None:
        await self._c.drop()


def _detail(exc: DuplicateKeyError) -> str:
    details = exc.details or {}
    return str(details.get("keyValue") or details.get("errmsg") or exc)


class MongoStore:
    def __init__(self, client: AsyncMongoClient[Document], database: str) -> None:
        self._client = client
        self._db: AsyncDatabase[Document] = client[database]
        self._counters = TicketCounters(self._db)
        self._owns_client = False

    @classmethod
    def connect(cls, url: str, database: str) -> MongoStore:
        store = cls(AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=10_000), database)
        store._owns_client = True
        return store

    def collection(self, name: str) -> MongoCollection:
        return MongoCollection(self._db[name])

    async def increment(self, name: str, by: int = 1) -> int:
        """Atomic on FerretDB too: see `lienthong.store.mongo_counters`."""
        return await self._counters.increment(name, by)

    async def ping(self) -> None:
        await self._db.command("ping")

    async def close(self) -> None:
        if self._owns_client:
            await self._client.close()

    async def drop_database(self) -> None:
        await self._client.drop_database(self._db.name)
