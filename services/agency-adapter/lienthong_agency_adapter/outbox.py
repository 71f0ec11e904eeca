"""The task outbox: every task the adapter has taken from Kafka, and where it stands.

Store and forward. The consumer's only job is to put a TaskAssigned here (insert with
`_id` = task id: the one write FerretDB makes atomic, so a redelivered message is a harmless
duplicate) and commit. Couriers, one per agency, deliver from here. An agency that is down
therefore holds back nothing but its own tasks, for as long as it is down, and no Kafka
consumer sits blocked past its poll interval.

States: pending (to deliver) → delivered (its system has it) → answered (a final result);
inbox/manual agencies: pending → waiting (in their inbox) → delivered (acknowledged) → …;
failed (permanent failure; a DLQ replay of the task puts it back to pending).

A pending task is in its `turn`: a number that moves on when a delivery round ends without
handing the task over (postponed) or when a replay puts it back. Delivery leases are per turn
(`leases`, collection `task_leases`), so a round that has ended cannot be leased again.
"""

from __future__ import annotations

import time
from typing import Any

from lienthong.events import Event
from lienthong.schemas.tasks import TaskAssigned
from lienthong.store import DuplicateKey, Store
from lienthong.store.port import Collection, Document

OPEN_STATES = ("waiting", "delivered")
UNDELIVERED_STATES = ("pending", "waiting")  # accepted, not in the agency's hands yet


def turn_of(document: Document) -> int:
    return int(document.get("turn", 0))


def in_turn(document: Document, turn: int) -> bool:
    """Whether the task still waits for a delivery in that turn."""
    return document["state"] == "pending" and turn_of(document) == turn


class TaskOutbox:
    def __init__(self, store: Store) -> None:
        self.tasks: Collection = store.collection("tasks")
        self.leases: Collection = store.collection("task_leases")

    async def prepare(self) -> None:
        await self.leases.ensure_index([("agency", 1)])  # the lease sweep, per agency
        await self.tasks.ensure_index([("agency", 1), ("state", 1), ("next_attempt_at", 1)])
        # The inbox and the health snapshot's oldest waiting task: on MongoDB a walk to the
        # first key, instead of sorting every task an agency has waiting.
        await self.tasks.ensure_index([("agency", 1), ("state", 1), ("accepted_at", 1)])

    async def accept(self, agency: str, event: Event, task: TaskAssigned) -> bool:
        """Record a task to deliver; False when it was already there (a redelivery)."""
        now = time.time()
        document: Document = {
            "_id": task.task_id,
            "agency": agency,
            "state": "pending",
            "dossier_id": task.dossier_id,
            "idempotency_key": task.idempotency_key,
            "event": event.model_dump(mode="json", by_alias=True),
            "accepted_at": now,
            "next_attempt_at": now,
            "turn": 0,
            "rounds": 0,
            "attempts": 0,
            "answers": [],
        }
        try:
            await self.tasks.insert(document)
            return True
        except DuplicateKey:
            existing = await self.tasks.get(task.task_id)
            if existing is not None and existing["state"] == "failed":
                # Replayed from the dead-letter topic: deliver again, same idempotency key.
                await self.set(
                    task.task_id,
                    state="pending",
                    next_attempt_at=now,
                    rounds=0,
                    turn=turn_of(existing) + 1,  # a new turn: the failed one's leases are over
                )
                return True
            return False

    async def due(self, agency: str, limit: int = 50) -> list[Document]:
        return await self.tasks.find(
            {"agency": agency, "state": "pending", "next_attempt_at": {"$lte": time.time()}},
            sort=[("next_attempt_at", 1)],
            limit=limit,
        )

    async def inbox(self, agency: str, states: tuple[str, ...], limit: int) -> list[Document]:
        """The agency's oldest tasks in `states`: one equality lookup per state (an `$in` is
        not served by FerretDB's indexes), merged by acceptance time."""
        found: list[Document] = []
        for state in states:
            found += await self.tasks.find(
                {"agency": agency, "state": state}, sort=[("accepted_at", 1)], limit=limit
            )
        return sorted(found, key=lambda d: d["accepted_at"])[:limit]

    async def get(self, task_id: str) -> Document | None:
        return await self.tasks.get(task_id)

    async def set(self, task_id: str, **fields: Any) -> None:
        await self.tasks.update(task_id, fields)

    async def mark_delivered(self, task_id: str, attempts: int, reference: str | None) -> None:
        """Delivered, unless an answer came meanwhile (a callback faster than our record of
        the call): the state is changed only if it is not `answered`, in one operation."""
        await self.tasks.update(task_id, {"attempts": attempts, "reference": reference})
        await self.tasks.update(
            task_id, {"state": "delivered"}, where={"state": {"$ne": "answered"}}
        )

    async def count(self, agency: str, state: str) -> int:
        return await self.tasks.count({"agency": agency, "state": state})

    async def undelivered(self, agency: str) -> tuple[int, float | None]:
        """How many of the agency's tasks are accepted but not delivered yet, and when the
        oldest of them was accepted (epoch seconds). Equalities on agency and state only:
        an index count per state, then (only if any waits) the first task of each by
        acceptance time."""
        count = 0
        for state in UNDELIVERED_STATES:
            count += await self.count(agency, state)
        if count == 0:
            return 0, None
        oldest = await self.inbox(agency, UNDELIVERED_STATES, limit=1)
        return count, float(oldest[0]["accepted_at"]) if oldest else None
