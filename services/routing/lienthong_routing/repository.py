"""Routing's read models in its own database.

* `workflows` — one document per dossier: the folded state (JSON, so that it round-trips
  exactly), found by dossier id or code. Only the consumer writes it, and it handles one
  dossier's events in order within a partition: no two writers race on a document.
* `open_steps` — one document per open step, indexed by unit (reorganisation, operators).
* `alarms` — due moments indexed by `fire_at` (the deadline sweep), with the dossier's
  partition so a replica can sweep only what it owns.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection as Sized
from datetime import datetime
from typing import Any

from lienthong.store import Collection, Document, DuplicateKey, Store
from lienthong_routing.alarms import Alarm, partition_of
from lienthong_routing.state import WorkflowState


class WorkflowRepository:
    def __init__(self, store: Store, partitions: int) -> None:
        self.workflows = store.collection("workflows")
        self.open_steps = store.collection("open_steps")
        self.alarms = store.collection("alarms")
        self.partitions = partitions

    async def ensure_indexes(self) -> None:
        await self.workflows.ensure_index([("code", 1)])
        await self.open_steps.ensure_index([("unit", 1)])
        await self.open_steps.ensure_index([("dossier_id", 1)])
        await self.alarms.ensure_index([("fire_at", 1)])
        await self.alarms.ensure_index([("dossier_id", 1)])

    async def load(self, dossier_id: str) -> WorkflowState | None:
        document = await self.workflows.get(dossier_id)
        return None if document is None else WorkflowState.model_validate(document["state"])

    async def by_code(self, code: str) -> WorkflowState | None:
        found = await self.workflows.find({"code": code}, limit=1)
        return WorkflowState.model_validate(found[0]["state"]) if found else None

    async def is_empty(self) -> bool:
        return not await self.workflows.find(limit=1)

    async def save(
        self,
        state: WorkflowState,
        alarms: list[Alarm],
        before: WorkflowState | None = None,
        alarms_before: list[Alarm] | None = None,
    ) -> None:
        """Indexes first, the workflow last: a state one can read has its alarms in place (a
        crash in between re-handles the event and writes the same documents).

        The index documents to change are the difference between those of the state before
        and after the event (both known here), so saving reads nothing: FerretDB (SQLite)
        scans a collection for any query but a get by `_id`."""
        partition = partition_of(state.dossier_id, self.partitions)
        await _apply_difference(
            self.open_steps,
            _open_step_documents(before) if before else [],
            _open_step_documents(state),
        )
        await _apply_difference(
            self.alarms,
            [_alarm_document(a, partition) for a in alarms_before or ()],
            [_alarm_document(a, partition) for a in alarms],
        )
        await self.workflows.replace(
            {"_id": state.dossier_id, "code": state.code, "state": state.model_dump(mode="json")}
        )

    async def due_alarms(
        self, now: datetime, partitions: Sized[int] | None, limit: int
    ) -> list[Document]:
        query: dict[str, Any] = {"fire_at": {"$lte": now}}
        if partitions is not None:
            query["partition"] = {"$in": sorted(partitions)}
        return await self.alarms.find(query, sort=[("fire_at", 1)], limit=limit)

    async def forget_alarm(self, alarm_id: str) -> None:
        """A rung alarm: its fact is on the stream (the consumer will not write it again, its
        id names a due moment that is now warned about or missed)."""
        await self.alarms.delete(alarm_id)

    async def open_steps_at(self, unit: str) -> list[Document]:
        return await self.open_steps.find({"unit": unit})


def _open_step_documents(state: WorkflowState) -> list[Document]:
    return [
        {
            "_id": f"{state.dossier_id}/{step.step}",
            "dossier_id": state.dossier_id,
            "step": step.step,
            "unit": step.unit,
            "due_at": step.due_at,
        }
        for step in state.open_steps()
    ]


def _alarm_document(alarm: Alarm, partition: int) -> Document:
    return {
        "_id": alarm.id,
        "kind": alarm.kind,
        "dossier_id": alarm.dossier_id,
        "step": alarm.step,
        "unit": alarm.unit,
        "due_at": alarm.due_at,
        "fire_at": alarm.fire_at,
        "partition": partition,
    }


def alarm_of(document: Document) -> Alarm:
    return Alarm(
        kind=document["kind"],
        dossier_id=document["dossier_id"],
        step=document["step"],
        unit=document["unit"],
        due_at=document["due_at"],
        fire_at=document["fire_at"],
    )


async def _apply_difference(
    collection: Collection, before: list[Document], after: list[Document]
) -> None:
    old = {d["_id"]: d for d in before}
    new = {d["_id"]: d for d in after}
    for stale in old.keys() - new.keys():
        await collection.delete(stale)
    for key, document in new.items():
        if key not in old:
            with contextlib.suppress(DuplicateKey):  # written by an earlier attempt
                await collection.insert(document)
        elif old[key] != document:
            await collection.replace(document)
