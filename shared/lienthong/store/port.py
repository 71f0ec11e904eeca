"""The store port: documents for read models, and atomic counters.

Only what MongoDB and FerretDB 1.24 both support: single-document atomic operations,
unique and compound indexes, simple queries. No multi-document transactions, no change
streams, no TTL or partial indexes, no $lookup/$facet.

Every document has a string `_id`. Filters use the MongoDB query language subset
`{field: value}`, `{field: {"$eq"|"$ne"|"$lt"|"$lte"|"$gt"|"$gte"|"$in"|"$nin"|"$exists": v}}`
on top-level or dotted fields, combined by implicit AND.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

Document = dict[str, Any]
Filter = Mapping[str, Any]
SortSpec = Sequence[tuple[str, int]]

VERSION_FIELD = "_version"


class DuplicateKey(Exception):
    """A write would break a unique index (or reuse an `_id`)."""

    def __init__(self, collection: str, detail: str) -> None:
        super().__init__(f"duplicate key in {collection}: {detail}")
        self.collection = collection


class Collection(Protocol):
    name: str

    async def ensure_index(
        self, fields: Sequence[tuple[str, int]], *, unique: bool = False
    ) -> None:
        """Create the index if missing (idempotent)."""

    async def insert(self, document: Document) -> None:
        """Insert a new document; raises DuplicateKey."""

    async def get(self, id: str) -> Document | None: ...

    async def find(
        self, filter: Filter | None = None, *, sort: SortSpec = (), limit: int = 0, skip: int = 0
    ) -> list[Document]: ...

    async def count(self, filter: Filter | None = None) -> int: ...

    async def replace(self, document: Document, *, upsert: bool = True) -> None:
        """Write the whole document by `_id`; raises DuplicateKey on a unique index."""

    async def put_if_newer(self, document: Document, version: int) -> bool:
        """Idempotent upsert guarded by a version: written only if the stored document is
        absent or has a lower `_version`. Returns whether it was written; a stale or
        repeated write is ignored (False), never an error."""

    async def update(
        self, id: str, set_fields: Mapping[str, Any], *, where: Filter | None = None
    ) -> bool:
        """Set fields of one document; returns whether it existed (and matched `where`, a
        condition checked in the same operation: on MongoDB no other write comes between;
        FerretDB 1.24 reads, then writes, see deploy/local/NOTES.md)."""

    async def delete(self, id: str) -> bool: ...

    async def drop(self) -> None: ...


class Store(Protocol):
    """One service's database."""

    def collection(self, name: str) -> Collection: ...

    async def increment(self, name: str, by: int = 1) -> int:
        """Atomically add `by` to the named counter (created at 0) and return the new value."""

    async def read_counters(self, names: Sequence[str]) -> dict[str, int]:
        """The current values of the named counters (0 for one never incremented)."""

    async def ping(self) -> None:
        """Raise if the database is unreachable (readiness)."""

    async def close(self) -> None: ...
