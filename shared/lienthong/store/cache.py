"""A read-through cache of the documents a consumer itself writes.

A projection folds each event into its dossier's document: read it, change it, write it back.
The consumer that owns a partition is the only writer of that partition's dossiers, so the
document it wrote last *is* the stored one, and the read can be skipped: half the store round
trips of a projection, a quarter of a dossier's whole cost on FerretDB. The cache is forgotten
whenever the consumer group rebalances (another member may then write those dossiers), which
the runtime wires through `Subscription.on_revoked`.

Only by-`_id` reads are served from the cache; queries always go to the store. Bounded (least
recently used first out). The cached documents are copies, as the store's are. Rebuilding a
projection (`lienthong replay SERVICE`) is done with the service stopped.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from lienthong.store.copying import copy_document
from lienthong.store.port import VERSION_FIELD, Collection, Document, Filter, SortSpec

_ABSENT: Document = {}


class CachedCollection:
    """A `Collection` whose `get` is served from what this process last wrote.

    Only writes fill it: this process writes a dossier's document only while its consumer owns
    the dossier's partition, and forgets everything when partitions move, so what it holds is
    what is stored. A document merely read (an HTTP request on a replica that does not own the
    dossier) is never kept: another replica may write it next."""

    def __init__(self, inner: Collection, capacity: int = 20_000) -> None:
        self.name = inner.name
        self.inner = inner
        self._capacity = capacity
        self._documents: OrderedDict[str, Document] = OrderedDict()

    def forget_all(self) -> None:
        self._documents.clear()

    def _keep(self, id: str, document: Document) -> None:
        self._documents[id] = document
        self._documents.move_to_end(id)
        if len(self._documents) > self._capacity:
            self._documents.popitem(last=False)

    async def get(self, id: str) -> Document | None:
        found = self._documents.get(id)
        if found is None:  # not written here: read it, and do not keep it (see the class)
            return await self.inner.get(id)
        self._documents.move_to_end(id)
        return None if found is _ABSENT else copy_document(found)

    def _unsure(self, id: str) -> None:
        """A write failed: it may or may not have been stored. Read it next time."""
        self._documents.pop(id, None)

    async def insert(self, document: Document) -> None:
        try:
            await self.inner.insert(document)
        except BaseException:
            self._unsure(document["_id"])
            raise
        self._keep(document["_id"], copy_document(document))

    async def replace(self, document: Document, *, upsert: bool = True) -> None:
        try:
            await self.inner.replace(document, upsert=upsert)
        except BaseException:
            self._unsure(document["_id"])
            raise
        if upsert:
            self._keep(document["_id"], copy_document(document))
        else:
            self._documents.pop(document["_id"], None)

    async def put_if_newer(self, document: Document, version: int) -> bool:
        try:
            written = await self.inner.put_if_newer(document, version)
        except BaseException:
            self._unsure(document["_id"])
            raise
        if written:
            self._keep(document["_id"], {**copy_document(document), VERSION_FIELD: version})
        else:
            self._documents.pop(document["_id"], None)  # a newer one is stored: read it
        return written

    async def update(
        self, id: str, set_fields: Mapping[str, Any], *, where: Filter | None = None
    ) -> bool:
        self._documents.pop(id, None)  # dotted paths: let the next read fetch the result
        return await self.inner.update(id, set_fields, where=where)

    async def delete(self, id: str) -> bool:
        self._unsure(id)
        deleted = await self.inner.delete(id)
        self._keep(id, _ABSENT)
        return deleted

    async def drop(self) -> None:
        self.forget_all()
        await self.inner.drop()

    async def ensure_index(
        self, fields: Sequence[tuple[str, int]], *, unique: bool = False
    ) -> None:
        await self.inner.ensure_index(fields, unique=unique)

    async def find(
        self, filter: Filter | None = None, *, sort: SortSpec = (), limit: int = 0, skip: int = 0
    ) -> list[Document]:
        return await self.inner.find(filter, sort=sort, limit=limit, skip=skip)

    async def count(self, filter: Filter | None = None) -> int:
        return await self.inner.count(filter)
