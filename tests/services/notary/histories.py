"""Dossier histories as the services publish them, the notary run on a bus and a store, and
the ways a topic's history can be tampered with."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pydantic_core

from lienthong.audit import LINKS, Chain, Ledger
from lienthong.bus import Bus, Subscription
from lienthong.events import Event, RawMessage, encode, new_event
from lienthong.runtime import ServiceContext
from lienthong.schemas.dossier import DossierCompleted, DossierReceived, StepCompleted, StepOpened
from lienthong.settings import Settings
from lienthong.store import Collection, Document, Filter, SortSpec, Store
from lienthong.topics import DOSSIER_EVENTS
from lienthong_notary.notary import Notary
from lienthong_notary.service import build
from tests.support import eventually_async as until

PARTITIONS = 3


def new_dossier() -> tuple[str, str]:
    """A dossier id and its code."""
    tail = uuid.uuid4().hex[:4]
    return f"d-{uuid.uuid4().hex[:12]}", f"000.00.01.H29-261201-{int(tail, 16) % 10_000:04d}"


def history(dossier: str, code: str, steps: int = 2) -> list[Event]:
    """Submitted, received with its code, `steps` steps opened and completed, completed."""
    now = datetime.now(UTC)
    submitted = new_event("dossier.submitted", dossier, {"channel": "online"}, source="/intake")
    received = DossierReceived(
        code=code,
        procedure="1.001193",
        procedure_version="1",
        receiving_unit="UBND-P1",
        received_at=now,
        appointment_at=now + timedelta(days=5),
    ).caused_by(submitted, source="/intake")
    facts = [submitted, received]
    for n in range(steps):
        opened = StepOpened(
            step=f"s{n}", unit="UBND-P1", role="ward.civil-status", due_at=now + timedelta(days=n)
        ).caused_by(received, source="/routing", reaction=f"open-{n}")
        done = StepCompleted(step=f"s{n}", unit="UBND-P1", timeliness="on_time")
        facts += [opened, done.caused_by(opened, source="/routing")]
    facts.append(DossierCompleted(returned_by="counter").caused_by(facts[-1], source="/routing"))
    return facts


async def start_notary(bus: Bus, store: Store, heads: Collection | None = None) -> Ledger:
    """The notary's consumer group on `bus`, as its composition root wires it (or with
    `heads` in place of its heads collection, to kill it between two writes)."""
    spec = build(ServiceContext("notary", Settings(), bus, store))
    for hook in spec.setup:
        await hook()
    records = spec.records
    if heads is not None:
        records = Notary(Ledger(heads, store.collection(LINKS))).chain
    assert records is not None
    bus.subscribe(Subscription("notary", [DOSSIER_EVENTS], records=records))
    return Ledger.of(store)


async def chained(ledger: Ledger, dossier: str, count: int, timeout: float = 60) -> Chain:
    """The dossier's head once it has `count` links."""
    heads: list[Chain] = []

    async def reached() -> bool:
        head = await ledger.head(dossier)
        heads[:] = [head] if head is not None else []
        return head is not None and head.count >= count

    await until(reached, timeout=timeout, what=f"{count} links of {dossier}")
    return heads[0]


def readdressed(records: Sequence[RawMessage]) -> list[RawMessage]:
    """The records as a publisher would write them again (no place in a log)."""
    return [RawMessage(DOSSIER_EVENTS, r.key, r.value, r.headers) for r in records]


# --- tampering: each takes a dossier's records in log order and returns the forged history


def changed(records: list[RawMessage], index: int) -> list[RawMessage]:
    """Record `index` with one field of its payload changed (same event id)."""
    data = pydantic_core.from_json(records[index].value)
    data["unit"] = "UBND-P2"
    forged = dataclasses.replace(records[index], value=pydantic_core.to_json(data))
    return [*records[:index], forged, *records[index + 1 :]]


def removed(records: list[RawMessage], index: int) -> list[RawMessage]:
    return [*records[:index], *records[index + 1 :]]


def inserted(records: list[RawMessage], index: int) -> list[RawMessage]:
    """A step completion nobody published, slipped in before record `index`."""
    dossier = (records[0].key or b"").decode()
    forged = StepCompleted(step="s9", unit="UBND-P1", timeliness="early").to_event(
        dossier, source="/routing"
    )
    return [*records[:index], encode(forged, DOSSIER_EVENTS), *records[index:]]


def reordered(records: list[RawMessage], index: int) -> list[RawMessage]:
    """Records `index` and `index + 1` swapped."""
    swapped = [*records]
    swapped[index], swapped[index + 1] = swapped[index + 1], swapped[index]
    return swapped


TAMPERINGS: dict[str, Callable[[list[RawMessage], int], list[RawMessage]]] = {
    "changed": changed,
    "removed": removed,
    "inserted": inserted,
    "reordered": reordered,
}


class DiesAtHeadWrite:
    """A heads collection in front of a real one whose `put_if_newer` number `at` kills the
    process (a `BaseException` nothing catches): the link of that step is stored, its head
    is not."""

    def __init__(self, inner: Collection, at: int) -> None:
        self.name = inner.name
        self._inner = inner
        self._at = at
        self.writes = 0

    async def put_if_newer(self, document: Document, version: int) -> bool:
        self.writes += 1
        if self.writes == self._at:
            raise Killed
        return await self._inner.put_if_newer(document, version)

    async def get(self, id: str) -> Document | None:
        return await self._inner.get(id)

    async def find(
        self, filter: Filter | None = None, *, sort: SortSpec = (), limit: int = 0, skip: int = 0
    ) -> list[Document]:
        return await self._inner.find(filter, sort=sort, limit=limit, skip=skip)

    async def ensure_index(
        self, fields: Sequence[tuple[str, int]], *, unique: bool = False
    ) -> None:
        await self._inner.ensure_index(fields, unique=unique)

    async def insert(self, document: Document) -> None:
        await self._inner.insert(document)

    async def count(self, filter: Filter | None = None) -> int:
        return await self._inner.count(filter)

    async def replace(self, document: Document, *, upsert: bool = True) -> None:
        await self._inner.replace(document, upsert=upsert)

    async def update(
        self, id: str, set_fields: Mapping[str, Any], *, where: Filter | None = None
    ) -> bool:
        return await self._inner.update(id, set_fields, where=where)

    async def delete(self, id: str) -> bool:
        return await self._inner.delete(id)

    async def drop(self) -> None:
        await self._inner.drop()


class Killed(BaseException):
    """Stands for kill -9 inside the handler."""
