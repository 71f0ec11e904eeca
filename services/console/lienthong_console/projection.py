"""The console's read models, folded from the stream (its consumer group `console`).

* `dossiers` — one document per dossier: code, procedure, receiving unit, status, dates.
* `timeline` — one document per event (its id is the event's): the process control sheet.
  Inserting it is also the marker that the event was applied: a redelivered event (its
  insert refused) changes nothing and counts nothing twice.
* `steps` — one document per workflow step: unit, due moment, and where it stands
  (`open` → `near` → `overdue`, or `done` / `cancelled`); the SLA board reads it.
* counters — dossiers received and completed per UTC hour, steps completed per unit, day and
  timeliness, survey answers per day (and satisfied ones); `unit_days` lists the units that
  completed steps on a day, so the board knows which counters to read.
* `health` — the latest `ops.health` snapshot of each adapter and notify replica.
* `actions` — every operator action (`operator.actions`), for the audit view.

Counters are incremented after the marker insert, so a kill between the two loses that
event's count rather than counting it twice (charts, not books).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from lienthong.events import Event
from lienthong.store import Collection, DuplicateKey, Store
from lienthong_console.facts import day_of, event_unit, hour_of, moment_key, summary

DOSSIERS = "dossiers"
TIMELINE = "timeline"
STEPS = "steps"
UNIT_DAYS = "unit_days"
HEALTH = "health"
ACTIONS = "actions"

# Where a step stands, in the only order it may move (a late or repeated event never moves
# it back); a transfer changes its unit, not its standing.
_RANK = {"open": 0, "near": 1, "overdue": 2, "done": 3, "cancelled": 3}
SATISFIED = frozenset({"satisfied", "very_satisfied"})

Apply = Callable[[Event], Awaitable[None]]


def received_counter(hour: str) -> str:
    return f"received:{hour}"


def completed_counter(hour: str) -> str:
    return f"completed:{hour}"


def steps_counter(day: str, unit: str, timeliness: str) -> str:
    return f"steps:{day}:{unit}:{timeliness}"


def answers_counter(day: str, satisfied: bool) -> str:
    return f"answers:{day}:{'satisfied' if satisfied else 'all'}"


class ConsoleProjection:
    def __init__(self, store: Store, dossiers: Collection, steps: Collection) -> None:
        self.store = store
        self.dossiers = dossiers
        self.steps = steps
        self.timeline = store.collection(TIMELINE)
        self.unit_days = store.collection(UNIT_DAYS)
        self.health = store.collection(HEALTH)
        self.actions = store.collection(ACTIONS)

    async def setup(self) -> None:
        await self.timeline.ensure_index([("dossier", 1)])
        await self.dossiers.ensure_index([("code", 1)])
        await self.steps.ensure_index([("state", 1)])
        await self.steps.ensure_index([("state", 1), ("unit", 1)])
        await self.steps.ensure_index([("dossier", 1)])
        await self.unit_days.ensure_index([("day", 1)])
        await self.actions.ensure_index([("time", -1)])

    def handlers(self) -> Mapping[str, Sequence[Apply]]:
        dossier_facts: dict[str, Apply] = {
            "dossier.received": self._received,
            "dossier.routed": self._routed,
            "dossier.rejected": self._status("rejected"),
            "dossier.supplement-requested": self._status("supplement_requested"),
            "dossier.supplement-provided": self._status("processing"),
            "dossier.withdrawn": self._status("withdrawn"),
            "dossier.refused": self._status("refused"),
            "dossier.processing-stopped": self._status("processing_stopped"),
            "dossier.result-ready": self._status("result_ready"),
            "dossier.routing-failed": self._status("routing_failed"),
            "dossier.completed": self._completed,
            "dossier.step-opened": self._step_opened,
            "dossier.deadline-approaching": self._step_standing("near"),
            "dossier.step-overdue": self._step_overdue,
            "dossier.step-completed": self._step_completed,
            "dossier.step-cancelled": self._step_standing("cancelled"),
            "dossier.step-transferred": self._step_transferred,
            "dossier.clock-resumed": self._clock_resumed,
            "dossier.apology-issued": self._apology,
            "survey.answered": self._answered,
        }
        from lienthong.events.registry import registrations
        from lienthong.topics import DOSSIER_EVENTS

        table: dict[str, list[Apply]] = {}
        for registration in registrations():
            if registration.topic == DOSSIER_EVENTS:
                specific = dossier_facts.get(registration.event_type)
                table[registration.event_type] = [self._recorded(specific)]
        table["ops.agency-health"] = [self._health]
        table["ops.notify-health"] = [self._health]
        for event_type in ("operator.dead-letter-replayed", "operator.dead-letter-discarded"):
            table[event_type] = [self._action]
        return table

    # --- every dossier event: the timeline entry, then what it changes ----------------

    def _recorded(self, then: Apply | None) -> Apply:
        async def record(event: Event) -> None:
            entry = {
                "_id": event.id,
                "dossier": event.subject,
                "type": event.type,
                "time": event.time,
                "moment": moment_key(event.time),  # the timeline's order
                "source": event.source,
                "unit": event_unit(event.data),
                "step": event.data.get("step"),
                "detail": summary(event.data, event.type),
                # Log order: one consumer handles a dossier's events one after another, so
                # the moment each is recorded orders them as the topic does (events of one
                # reaction share their `time`).
                "seq": time.time_ns(),
            }
            try:
                await self.timeline.insert(entry)
            except DuplicateKey:
                return  # applied before this redelivery
            if then is not None:
                await then(event)

        return record

    async def _received(self, event: Event) -> None:
        data = event.data
        previous = await self.dossiers.get(event.subject) or {}
        await self.dossiers.replace(
            {
                **previous,
                "_id": event.subject,
                "code": data["code"],
                "procedure": data["procedure"],
                "procedure_version": data.get("procedure_version"),
                "receiving_unit": data["receiving_unit"],
                "status": previous.get("status", "received"),
                "received_at": data["received_at"],
                "appointment_at": data["appointment_at"],
            }
        )
        await self.store.increment(received_counter(hour_of(event.time)))

    async def _routed(self, event: Event) -> None:
        await self.dossiers.update(event.subject, {"status": "processing"})

    def _status(self, status: str) -> Apply:
        async def set_status(event: Event) -> None:
            await self.dossiers.update(event.subject, {"status": status})

        return set_status

    async def _completed(self, event: Event) -> None:
        await self.dossiers.update(
            event.subject, {"status": "completed", "completed_at": event.time}
        )
        await self.store.increment(completed_counter(hour_of(event.time)))

    # --- steps: the SLA board ---------------------------------------------------------

    async def _step_opened(self, event: Event) -> None:
        data = event.data
        dossier = await self.dossiers.get(event.subject) or {}
        await self.steps.replace(
            {
                "_id": _step_id(event.subject, data["step"]),
                "dossier": event.subject,
                "code": dossier.get("code"),
                "procedure": dossier.get("procedure"),
                "step": data["step"],
                "unit": data["unit"],
                "agency": data.get("agency"),
                "opened_at": data.get("opened_at") or event.time.isoformat(),
                "due_at": data["due_at"],
                "state": "open",
                "escalated_to": None,
                "apologies": 0,
            }
        )

    async def _move(self, dossier: str, step: str | None, state: str, **fields: Any) -> None:
        """Move a step forward (a late or repeated fact never moves it back; the first of
        `done` and `cancelled` stays), or refresh its fields where it stands."""
        if not step:
            return  # a warning about the whole dossier's appointment: no step to move
        found = await self.steps.get(_step_id(dossier, step))
        if found is None:
            return
        current = found["state"]
        if _RANK[state] < _RANK[current] or (_RANK[state] == _RANK[current] and state != current):
            return
        await self.steps.replace({**found, **fields, "state": state})

    def _step_standing(self, state: str) -> Apply:
        async def move(event: Event) -> None:
            due = event.data.get("due_at")
            await self._move(
                event.subject, event.data.get("step"), state, **({"due_at": due} if due else {})
            )

        return move

    async def _clock_resumed(self, event: Event) -> None:
        """The supplement arrived: open steps are due anew, and no longer near or overdue
        (routing warns again as the new moment nears)."""
        for step, due in (event.data.get("step_due") or {}).items():
            found = await self.steps.get(_step_id(event.subject, step))
            if found is not None and _RANK[found["state"]] < _RANK["done"]:
                await self.steps.replace({**found, "due_at": due, "state": "open"})
        appointment = event.data.get("appointment_at")
        if appointment:
            await self.dossiers.update(event.subject, {"appointment_at": appointment})

    async def _step_overdue(self, event: Event) -> None:
        await self._move(
            event.subject,
            event.data.get("step"),
            "overdue",
            escalated_to=event.data.get("escalated_to"),
            overdue_at=event.data.get("detected_at"),
            due_at=event.data.get("due_at"),
        )

    async def _step_completed(self, event: Event) -> None:
        data = event.data
        await self._move(event.subject, data["step"], "done", timeliness=data["timeliness"])
        day = day_of(event.time)
        with contextlib.suppress(DuplicateKey):
            await self.unit_days.insert({"_id": f"{day}/{data['unit']}", "day": day})
        await self.store.increment(steps_counter(day, data["unit"], data["timeliness"]))

    async def _step_transferred(self, event: Event) -> None:
        data = event.data
        found = await self.steps.get(_step_id(event.subject, data["step"]))
        if found is not None:
            await self.steps.replace({**found, "unit": data["to_unit"]})

    async def _apology(self, event: Event) -> None:
        step = event.data.get("step")
        found = await self.steps.get(_step_id(event.subject, step)) if step else None
        if found is not None:
            await self.steps.replace(
                {
                    **found,
                    "apologies": int(found.get("apologies", 0)) + 1,
                    "new_appointment": event.data.get("new_appointment"),
                }
            )
        await self.dossiers.update(
            event.subject, {"appointment_at": event.data.get("new_appointment")}
        )

    async def _answered(self, event: Event) -> None:
        day = day_of(event.time)
        await self.store.increment(answers_counter(day, satisfied=False))
        if event.data.get("overall") in SATISFIED:
            await self.store.increment(answers_counter(day, satisfied=True))

    # --- other topics -----------------------------------------------------------------

    async def _health(self, event: Event) -> None:
        """The latest snapshot per replica (an older one arriving late is ignored)."""
        stamp = _moment(event.data.get("at")) or event.time
        found = await self.health.get(event.subject)
        stored = _moment(found.get("at")) if found is not None else None
        if stored is not None and stored >= stamp:
            return
        await self.health.replace(
            {
                "_id": event.subject,
                "type": event.type,
                "at": stamp.isoformat(),
                **_without_at(event.data),
            }
        )

    async def _action(self, event: Event) -> None:
        with contextlib.suppress(DuplicateKey):
            await self.actions.insert(
                {"_id": event.id, "type": event.type, "time": event.time, **event.data}
            )


def _step_id(dossier: str, step: str) -> str:
    return f"{dossier}/{step}"


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _without_at(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("at", "_id")}
