"""In-memory store: the embedded default and the unit-test store.

Documents are deep-copied on the way in and out, so callers cannot mutate stored state by
accident, exactly as with a database. Unique indexes are enforced.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from lienthong.store.port import VERSION_FIELD, Document, DuplicateKey, Filter, SortSpec
from lienthong.store.query import field_value, matches, sort_documents


class InMemoryCollection:
    def __init__(self, name: str) -> None:
        self.name = name
        self._documents: dict[str, Document] = {}
        self._unique: list[tuple[str, ...]] = []

    async def ensure_index(
        self, fields: Sequence[tuple[str, int]], *, unique: bool = False
    ) -> None:
        names = tuple(name for name, _ in fields)
        if unique and names not in self._unique:
            for document in self._documents.values():
                self._check_unique(document, names)
            self._unique.append(names)

    def _check_unique(self, candidate: Document, only: tuple[str, ...] | None = None) -> None:
        for names in [only] if only else self._unique:
            key = tuple(field_value(candidate, n) for n in names)
            for other in self._documents.values():
                if (
                    other["_id"] != candidate["_id"]
                    and tuple(field_value(other, n) for n in names) == key
                ):
                    raise DuplicateKey(self.name, f"{names}={key}")

    async def insert(self, document: Document) -> None:
        if document["_id"] in self._documents:
            raise DuplicateKey(self.name, f"_id={document['_id']}")
        self._check_unique(document)
        self._documents[document["_id"]] = copy.deepcopy(document)

    async def get(self, id: str) -> Document | None:
        found = self._documents.get(id)
        return copy.deepcopy(found) if found is not None else None

    async def find(
        self, filter: Filter | None = None, *, sort: SortSpec = (), limit: int = 0, skip: int = 0
    ) -> list[Document]:
        selected = [d for d in self._documents.values() if matches(d, filter)]
        selected = sort_documents(selected, sort) if sort else selected
        selected = selected[skip:]
        return copy.deepcopy(selected[:limit] if limit else selected)

    async def count(self, filter: Filter | None = None) -> int:
        return sum(1 for d in self._documents.values() if matches(d, filter))

    async def replace(self, document: Document, *, upsert: bool = True) -> None:
        if not upsert and document["_id"] not in self._documents:
            return
        self._check_unique(document)
        self._documents[document["_id"]] = copy.deepcopy(document)

    async def put_if_newer(self, document: Document, version: int) -> bool:
        current = self._documents.get(document["_id"])
        if current is not None and current.get(VERSION_FIELD, 0) >= version:
            return False
        await self.replace({**document, VERSION_FIELD: version})
        return True

    async def update(self, id: str, set_fields: Mapping[str, Any]) -> bool:
        current = self._documents.get(id)
        if current is None:
            return False
        updated = copy.deepcopy(current)
        for path, value in set_fields.items():
            target = updated
            *parents, leaf = path.split(".")
            for part in parents:
                target = target.setdefault(part, {})
            target[leaf] = copy.deepcopy(value)
        self._check_unique(updated)
        self._documents[id] = updated
        return True

    async def delete(self, id: str) -> bool:
        return self._documents.pop(id, None) is not None

    async def drop(self) -> None:
        self._documents.clear()
        self._unique.clear()


class InMemoryStore:
    def __init__(self) -> None:
        self._collections: dict[str, InMemoryCollection] = {}
        self._counters: dict[str, int] = {}

    def collection(self, name: str) -> InMemoryCollection:
        return self._collections.setdefault(name, InMemoryCollection(name))

    async def increment(self, name: str, by: int = 1) -> int:
        # No await between read and write: atomic with respect to other coroutines.
        self._counters[name] = self._counters.get(name, 0) + by
        return self._counters[name]

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
