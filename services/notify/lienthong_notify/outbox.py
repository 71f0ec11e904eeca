"""The notification log and outbox: one document per (event, channel), claimed by insert.

FerretDB makes only inserts with a unique `_id` atomic, so every "exactly once" decision is an
insert:

* queueing: the message's `_id` is derived from (event id, channel); a second handling of the
  same event (redelivery, restart, replay) hits the unique `_id` and queues nothing;
* sending: before attempt *n* a worker inserts `<id>#<n>` into `send_claims`; whoever inserts
  it owns the attempt, every other worker (another replica, a stale read) backs off.

A worker that dies mid-send leaves the message `queued` with a claim nobody recorded; once the
claim is older than the lease, the next attempt re-sends it with the same reference
(Message-ID / client reference) — the only case in which a provider may see a message twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from lienthong.store import Collection, Document, DuplicateKey
from lienthong_notify.purge_days import DayFiling, day_of

NOTIFICATIONS = "notifications"
SEND_CLAIMS = "send_claims"
TERMINAL = ("sent", "delivered", "failed", "suppressed")
BODY_FIELDS = ("recipient", "subject", "text", "html")


UNANNOUNCEABLE = "unannounceable"  # `unannounced` of a message whose event cannot be built


class Outbox:
    def __init__(self, messages: Collection, claims: Collection, marks: Collection) -> None:
        self.messages = messages
        self.claims = claims
        self.days = DayFiling(messages, marks, "created_day")  # for the purge

    async def prepare(self) -> None:
        await self.days.prepare()
        await self.messages.ensure_index([("status", 1), ("due_at", 1)])
        await self.messages.ensure_index([("code", 1)])
        await self.messages.ensure_index([("dossier_id", 1)])
        await self.messages.ensure_index([("unannounced", 1)])

    async def add(self, message: Document) -> bool:
        """Queue a message; False if this (event, channel) was queued before."""
        day = day_of(message["created_at"])
        await self.days.note(day)
        try:
            await self.messages.insert({**message, "created_day": day})
        except DuplicateKey:
            return False
        return True

    async def get(self, notification_id: str) -> Document | None:
        return await self.messages.get(notification_id)

    async def due(self, now: datetime, limit: int, skip_ids: set[str]) -> list[Document]:
        """Queued messages whose time has come (retries, mornings, sends of a dead worker),
        once their queued event is on the bus: a kill between queueing and announcing must
        not let the citizen get a message the dossier's timeline never shows queued."""
        found = await self.messages.find(
            {"status": "queued", "due_at": {"$lte": now}, "unannounced": {"$ne": True}},
            sort=[("due_at", 1)],
            limit=limit + len(skip_ids),
        )
        sendable = [doc for doc in found if doc.get("unannounced") != UNANNOUNCEABLE]
        return [doc for doc in sendable if doc["_id"] not in skip_ids][:limit]

    async def begin_attempt(self, doc: Document, now: datetime, lease: timedelta) -> int | None:
        """Own the next attempt of `doc` (a queued snapshot); None if someone else has it.

        Attempt n is owned by inserting claim n, n = attempts recorded + 1. A claim older than
        the lease whose attempt was never recorded belongs to a dead worker: the next number
        is claimed instead, and then the message is read again, since the dead worker may have
        got further than the snapshot shows. Without such a skip no re-read is needed: the
        snapshot says attempt n-1 ended in a retry, and nobody else can have made attempt n.
        """
        first = int(doc.get("attempts", 0)) + 1
        for attempt in range(first, first + 3):
            try:
                await self.claims.insert({"_id": f"{doc['_id']}#{attempt}", "at": now})
            except DuplicateKey:
                claim = await self.claims.get(f"{doc['_id']}#{attempt}")
                if claim is None or _aware(claim["at"]) + lease > now:
                    return None  # someone is on it
                continue
            if attempt == first:
                return attempt
            fresh = await self.messages.get(doc["_id"])
            if fresh is None or fresh["status"] != "queued" or fresh.get("attempts", 0) >= attempt:
                return None
            return attempt
        return None

    async def set_status(
        self, notification_id: str, status: str, now: datetime, fields: Mapping[str, Any]
    ) -> None:
        """A status change, marked unannounced until its event is on the bus."""
        changes = {**fields, "status": status, "changed_at": now, "unannounced": True}
        await self.messages.update(notification_id, changes)

    async def suppress_queued(self, dossier_id: str, now: datetime) -> int:
        """Suppress the dossier's messages not sent yet (the sweep announces them). A send
        already in hand completes and its `sent` wins: it is out of our hands."""
        queued = await self.messages.find({"dossier_id": dossier_id, "status": "queued"})
        changes = {"status": "suppressed", "changed_at": now, "unannounced": True}
        for doc in queued:  # unless it was sent meanwhile
            await self.messages.update(doc["_id"], changes, where={"status": "queued"})
        return len(queued)

    async def reschedule(
        self, notification_id: str, attempts: int, due_at: datetime, error: str
    ) -> None:
        changes = {"status": "queued", "attempts": attempts, "due_at": due_at, "last_error": error}
        await self.messages.update(notification_id, changes)

    async def announced(self, notification_id: str, status: str) -> None:
        """The event of `status` is on the bus: clear the flag, unless the message has moved
        on meanwhile (its new status is not announced yet: a slow sweep must not clear it)."""
        await self.messages.update(
            notification_id, {"unannounced": False}, where={"status": status}
        )

    async def unannounceable(self, notification_id: str, error: str) -> None:
        """Its event cannot be built: out of the sweep, never sent, kept for an operator."""
        await self.messages.update(
            notification_id, {"unannounced": UNANNOUNCEABLE, "last_error": error[:200]}
        )

    async def unannounced(self, before: datetime, limit: int = 100) -> list[Document]:
        return await self.messages.find(
            {"unannounced": True, "changed_at": {"$lt": before}},
            sort=[("changed_at", 1)],
            limit=limit,
        )

    async def for_dossier(self, key: str) -> list[Document]:
        by_code = await self.messages.find({"code": key}, sort=[("created_at", 1)])
        if by_code:
            return by_code
        return await self.messages.find({"dossier_id": key}, sort=[("created_at", 1)])

    async def purge(self, cutoff: datetime, now: datetime) -> int:
        """Drop recipients and bodies (personal data) of finished messages older than cutoff,
        reading the messages of one creation day at a time (`purge_days`)."""

        def ready(doc: Document) -> bool:
            return doc["status"] in TERMINAL and _aware(doc["created_at"]) < cutoff

        return await self.days.purge(cutoff, now, ready, BODY_FIELDS)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
