"""In-memory store: the embedded default and the unit-test store.

Documents are deep-copied on the way in and out, so callers cannot mutate stored state by
accident, exactly as with a database. Declared indexes are honoured as hash indexes
(`memory_index`): equality lookups on an indexed field read only the matching documents and
unique indexes are enforced by one lookup, so the embedded default keeps its speed as dossiers
accumulate.

Its query language is the port's subset with Python's equality: unlike MongoDB, an equality
does not match inside a list field, `None` does not match a missing field, `True == 1`, and a
unique index lets a missing field and `None` coexist. No shipped query depends on those cases
(the query-shape audit lists every shape; `tests/system/test_query_shapes.py`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from prometheus_client import Counter

from lienthong.metrics import STORE_OPERATIONS
from lienthong.store.copying import copy_document as _copy
from lienthong.store.memory_index import (
    FieldIndex,
    UniqueIndex,
    candidate_ids,
    index_all,
    unindex_all,
)
from lienthong.store.port import VERSION_FIELD, Document, DuplicateKey, Filter, SortSpec
from lienthong.store.query import matches, sort_documents


class InMemoryCollection:
    def __init__(self, name: str, store: str = "memory") -> None:
        self.name = name
        self._store = store
        self._counters: dict[str, Counter] = {}
        self._documents: dict[str, Document] = {}
        self._order: dict[str, int] = {}  # _id -> insertion number
        self._sequence = itertools.count()
        self._by_field: dict[str, FieldIndex] = {}
        self._unique: list[UniqueIndex] = []

    def _count(self, operation: str) -> None:
        counter = self._counters.get(operation)
        if counter is None:
            counter = self._counters[operation] = STORE_OPERATIONS.labels(self._store, operation)
        counter.inc()

    def _indexes(self) -> list[FieldIndex | UniqueIndex]:
        return [*self._by_field.values(), *self._unique]

    async def ensure_index(
        self, fields: Sequence[tuple[str, int]], *, unique: bool = False
    ) -> None:
        names = tuple(name for name, _ in fields)
        if names[0] not in self._by_field:
            index = FieldIndex(names[0])
            for document in self._documents.values():
                index.add(document)
            self._by_field[names[0]] = index
        if unique and all(u.paths != names for u in self._unique):
            unique_index = UniqueIndex(names)
            for document in self._documents.values():
                if unique_index.owner(document) is not None:
                    raise DuplicateKey(self.name, f"{names}={unique_index.key(document)}")
                unique_index.add(document)
            self._unique.append(unique_index)

    def _check_unique(self, candidate: Document) -> None:
        for index in self._unique:
            owner = index.owner(candidate)
            if owner is not None and owner != candidate["_id"]:
                raise DuplicateKey(self.name, f"{index.paths}={index.key(candidate)}")

    def _put(self, document: Document) -> None:
        """Store `document` (already checked), replacing the one with its `_id`."""
        old = self._documents.get(document["_id"])
        if old is not None:
            unindex_all(self._indexes(), old)
        else:
            self._order[document["_id"]] = next(self._sequence)
        self._documents[document["_id"]] = document
        index_all(self._indexes(), document)

    def _matching(self, filter: Filter | None) -> list[Document]:
        ids = candidate_ids(filter, self._by_field)
        if ids is None and filter and isinstance(filter.get("_id"), str):
            ids = {filter["_id"]}
        if ids is None:
            return [d for d in self._documents.values() if matches(d, filter)]
        found = [self._documents[i] for i in ids if i in self._documents]
        found.sort(key=lambda d: self._order[d["_id"]])  # insertion order, as a full scan gives
        return [d for d in found if matches(d, filter)]

    async def insert(self, document: Document) -> None:
        self._count("insert")
        if document["_id"] in self._documents:
            raise DuplicateKey(self.name, f"_id={document['_id']}")
        self._check_unique(document)
        self._put(_copy(document))

    async def get(self, id: str) -> Document | None:
        self._count("get")
        found = self._documents.get(id)
        return _copy(found) if found is not None else None

    async def find(
        self, filter: Filter | None = None, *, sort: SortSpec = (), limit: int = 0, skip: int = 0
    ) -> list[Document]:
        self._count("find")
        selected = self._matching(filter)
        selected = sort_documents(selected, sort) if sort else selected
        selected = selected[skip:]
        return [_copy(d) for d in (selected[:limit] if limit else selected)]

    async def count(self, filter: Filter | None = None) -> int:
        self._count("count")
        return len(self._matching(filter))

    async def replace(self, document: Document, *, upsert: bool = True) -> None:
        self._count("replace")
        if not upsert and document["_id"] not in self._documents:
            return
        self._check_unique(document)
        self._put(_copy(document))

    async def put_if_newer(self, document: Document, version: int) -> bool:
        self._count("put_if_newer")
        current = self._documents.get(document["_id"])
        if current is not None and current.get(VERSION_FIELD, 0) >= version:
            return False
        candidate = {**document, VERSION_FIELD: version}
        self._check_unique(candidate)
        self._put(_copy(candidate))
        return True

    async def update(
        self, id: str, set_fields: Mapping[str, Any], *, where: Filter | None = None
    ) -> bool:
        self._count("update")
        current = self._documents.get(id)
        if current is None or (where and not matches(current, where)):
            return False
        updated = _copy(current)
        for path, value in set_fields.items():
            target = updated
            *parents, leaf = path.split(".")
            for part in parents:
                target = target.setdefault(part, {})
            target[leaf] = _copy(value)
        self._check_unique(updated)
        self._put(updated)
        return True

    async def delete(self, id: str) -> bool:
        self._count("delete")
        document = self._documents.pop(id, None)
        if document is None:
            return False
        unindex_all(self._indexes(), document)
        self._order.pop(id, None)
        return True

    async def drop(self) -> None:
        self._count("drop")
        self._documents.clear()
        self._order.clear()
        self._by_field.clear()
        self._unique.clear()


class InMemoryStore:
    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self._collections: dict[str, InMemoryCollection] = {}
        self._counters: dict[str, int] = {}

    def collection(self, name: str) -> InMemoryCollection:
        found = self._collections.get(name)
        if found is None:
            found = self._collections[name] = InMemoryCollection(name, self.name)
        return found

    async def increment(self, name: str, by: int = 1) -> int:
        STORE_OPERATIONS.labels(store=self.name, operation="increment").inc()
        # No await between read and write: atomic with respect to other coroutines.
        self._counters[name] = self._counters.get(name, 0) + by
        return self._counters[name]

    async def read_counters(self, names: Sequence[str]) -> dict[str, int]:
        STORE_OPERATIONS.labels(store=self.name, operation="read_counters").inc()
        return {name: self._counters.get(name, 0) for name in names}

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
