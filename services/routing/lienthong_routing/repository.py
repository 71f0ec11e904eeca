"""Routing's read models in its own database.

* `workflows` — one document per dossier: the folded state (JSON, so that it round-trips
  exactly), found by dossier id or code. Only the consumer writes it, and it handles one
  dossier's events in order within a partition: no two writers race on a document.
* `open_steps` — one document per open step, indexed by unit (reorganisation, operators).
* `alarms` — the deadline alarms, one document per alarm (`_id` = the alarm id), filed under a
  *slot*: its dossier's `dossier.events` partition and the 15-minute bucket of its fire moment
  (`"7/20261126T1745"`, UTC), or `"7/late"` for those already due when they were written. The
  slot is an indexed top-level field, so a sweep reads the slots between its partitions' marks
  and now by equality lookups (served by an index on MongoDB and on FerretDB alike): its cost
  grows with the alarms that fell due, never with those still to come, and no collection name
  carries a time.
* `sweep_marks` — per partition, the moment up to which the deadline sweep has recorded
  what fell due (`_id = "<partition>"`), created by the consumer before the partition's
  first alarm.

Alarm documents are inserted and deleted whole, by `_id`: no read-modify-write, any number
of writers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection as Sized
from datetime import UTC, datetime, timedelta
from typing import Any

from lienthong.store import VERSION_FIELD, Collection, Document, DuplicateKey, Store
from lienthong_routing.alarms import Alarm, partition_of
from lienthong_routing.state import WorkflowState

BUCKET = timedelta(minutes=15)
# The sweep re-reads this much before its mark: an alarm written while a sweep was reading
# its bucket (or by a consumer whose clock is a little behind) is still found next time.
SWEEP_OVERLAP = timedelta(minutes=5)
LATE = "late"
WORKFLOWS = "workflows"
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def bucket_start(moment: datetime) -> datetime:
    steps = (moment - _EPOCH) // BUCKET
    return _EPOCH + steps * BUCKET


def bucket_key(moment: datetime) -> str:
    return f"{bucket_start(moment).astimezone(UTC):%Y%m%dT%H%M}"


def slot_of(partition: int, bucket: str) -> str:
    """The indexed key alarms are filed under: partition and bucket (or `late`)."""
    return f"{partition}/{bucket}"


def buckets_between(first: datetime, last: datetime) -> list[str]:
    """Keys of the buckets from the one holding `first` to the one holding `last`."""
    keys, start = [], bucket_start(first)
    while start <= last:
        keys.append(bucket_key(start))
        start += BUCKET
    return keys


class WorkflowRepository:
    def __init__(self, store: Store, partitions: int, workflows: Collection | None = None) -> None:
        """`workflows`: the collection of folded states (the service passes its cached one)."""
        self.store = store
        self.workflows = workflows or store.collection(WORKFLOWS)
        self.open_steps = store.collection("open_steps")
        self.alarms = store.collection("alarms")
        self.marks = store.collection("sweep_marks")
        self.partitions = partitions
        self._marked: set[int] = set()
        self._written: set[str] = set()  # slots this process wrote (pending_alarms)

    async def alarms_in(self, slot: str) -> list[Document]:
        """Every alarm filed under `slot` (one equality lookup on an indexed field)."""
        found: list[Document] = await self.alarms.find({"slot": slot})
        return found

    async def ensure_indexes(self) -> None:
        await self.workflows.ensure_index([("code", 1)])
        await self.open_steps.ensure_index([("unit", 1)])
        await self.open_steps.ensure_index([("dossier_id", 1)])
        await self.alarms.ensure_index([("slot", 1)])

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
        now: datetime | None = None,
    ) -> None:
        """Indexes first, the workflow last: a state one can read has its alarms in place (a
        crash in between re-handles the event and writes the same documents).

        The index documents to change are the difference between those of the state before
        and after the event (both known here), so saving reads nothing. An alarm already due
        at `now` goes to the late bucket."""
        moment = now or datetime.now(UTC)
        partition = partition_of(state.dossier_id, self.partitions)
        await _apply_difference(
            self.open_steps,
            _open_step_documents(before) if before else [],
            _open_step_documents(state),
        )
        await self._mark_once(partition, moment)
        await self._write_alarms(partition, alarms_before or [], alarms, moment)
        await self.workflows.replace(
            {"_id": state.dossier_id, "code": state.code, "state": state.model_dump(mode="json")}
        )

    async def _mark_once(self, partition: int, moment: datetime) -> None:
        """The partition's sweep mark exists before its first alarm is written (so a sweep
        never looks for the earliest bucket); once per partition and process."""
        if partition in self._marked:
            return
        with contextlib.suppress(DuplicateKey):
            mark = {"_id": str(partition), "swept_to": moment, VERSION_FIELD: _millis(moment)}
            await self.marks.insert(mark)
        self._marked.add(partition)

    async def _write_alarms(
        self, partition: int, before: list[Alarm], after: list[Alarm], now: datetime
    ) -> None:
        old = {a.id: a for a in before}
        new = {a.id: a for a in after}
        for alarm_id, alarm in old.items():
            if new.get(alarm_id) == alarm:
                continue
            await self.alarms.delete(alarm_id)
        for alarm_id, alarm in new.items():
            if old.get(alarm_id) == alarm:
                continue
            slot = slot_of(partition, LATE if alarm.fire_at <= now else bucket_key(alarm.fire_at))
            self._written.add(slot)
            with contextlib.suppress(DuplicateKey):  # written by an earlier attempt
                await self.alarms.insert(_alarm_document(alarm, slot, partition))

    async def pending_alarms(self) -> list[Alarm]:
        """Alarms not yet folded as rung, in the slots this process wrote (tests)."""
        found: list[Alarm] = []
        for slot in sorted(self._written):
            found += [alarm_of(d) for d in await self.alarms_in(slot)]
        return found

    async def sweep_window(
        self, now: datetime, partitions: Sized[int] | None
    ) -> list[tuple[int, datetime, list[Alarm]]]:
        """For each partition with a mark: the mark, and the alarms due at `now` that fire
        after the mark (less the overlap), plus every due alarm of its late slot. Reads, per
        partition, its late slot and the slots of the buckets from its mark to `now`: the cost
        grows with the due items (and the time since the last sweep), never with the alarms
        still to come."""
        owned = sorted(partitions) if partitions is not None else list(range(self.partitions))
        window: list[tuple[int, datetime, list[Alarm]]] = []
        for partition in owned:
            mark = await self.marks.get(str(partition))
            if mark is None:  # no alarm was ever written for this partition
                continue
            swept_to = _utc(mark["swept_to"])
            since = swept_to - SWEEP_OVERLAP
            due = [
                alarm
                for alarm in map(alarm_of, await self.alarms_in(slot_of(partition, LATE)))
                if alarm.fire_at <= now
            ]
            for key in buckets_between(since, now):
                for alarm in map(alarm_of, await self.alarms_in(slot_of(partition, key))):
                    if since < alarm.fire_at <= now:
                        due.append(alarm)
            window.append((partition, swept_to, sorted(due, key=lambda a: (a.fire_at, a.id))))
        return window

    async def mark_swept(self, partition: int, now: datetime) -> None:
        """Move the partition's mark to `now` (never back: a guarded, idempotent write)."""
        await self.marks.put_if_newer({"_id": str(partition), "swept_to": now}, _millis(now))

    async def open_steps_at(self, unit: str) -> list[Document]:
        found: list[Document] = await self.open_steps.find({"unit": unit})
        return found


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


def _millis(moment: datetime) -> int:
    return int((moment - _EPOCH).total_seconds() * 1000)


def _alarm_document(alarm: Alarm, slot: str, partition: int) -> Document:
    return {
        "_id": alarm.id,
        "slot": slot,
        "partition": partition,
        "kind": alarm.kind,
        "dossier_id": alarm.dossier_id,
        "step": alarm.step,
        "unit": alarm.unit,
        "due_at": alarm.due_at,
        "fire_at": alarm.fire_at,
    }


def alarm_document(alarm: Alarm, partition: int, now: datetime) -> Document:
    """An alarm's document as the consumer files it at `now` (the bench seeds with these)."""
    bucket = LATE if alarm.fire_at <= now else bucket_key(alarm.fire_at)
    return _alarm_document(alarm, slot_of(partition, bucket), partition)


def alarm_of(document: Document) -> Alarm:
    return Alarm(
        kind=document["kind"],
        dossier_id=document["dossier_id"],
        step=document["step"],
        unit=document["unit"],
        due_at=_utc(document["due_at"]),
        fire_at=_utc(document["fire_at"]),
    )


def _utc(moment: Any) -> datetime:
    value: datetime = moment
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
