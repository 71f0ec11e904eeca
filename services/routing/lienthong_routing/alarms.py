"""Deadline alarms: the moments at which an open step must be warned about or is overdue.

Derived from the workflow state (pure). The repository keeps them in `_id`-keyed time
buckets per partition (`repository.py`), so a sweep reads only the buckets that fell due,
never every open step. An alarm's id names the due moment it is about: when a due moment
moves (the clock resumed), the old alarm is dropped and a new one written, so folding the
fact of a rung alarm can never remove the new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from aiokafka.partitioner import murmur2

from lienthong.events import Event, derived_id
from lienthong.schemas.routing import DeadlineApproaching, StepOverdue
from lienthong_routing.reaction import SOURCE
from lienthong_routing.rules import RoutingRules
from lienthong_routing.state import WorkflowState

AlarmKind = Literal["warning", "overdue", "appointment"]


def partition_of(dossier_id: str, partitions: int) -> int:
    """The `dossier.events` partition of a dossier (Kafka's default murmur2 partitioner)."""
    hashed: int = murmur2(dossier_id.encode())
    return (hashed & 0x7FFFFFFF) % partitions


@dataclass(frozen=True)
class Alarm:
    kind: AlarmKind
    dossier_id: str
    step: str
    unit: str
    due_at: datetime
    fire_at: datetime

    @property
    def id(self) -> str:
        return f"{self.dossier_id}/{self.step}/{self.kind}/{self.due_at.isoformat()}"


def alarms_of(state: WorkflowState, rules: RoutingRules) -> list[Alarm]:
    """Alarms still to ring for the dossier's open agency steps (none while the clock is
    stopped: due moments are not known until it runs again)."""
    if state.finished or state.is_paused:
        return []
    alarms = _appointment_alarm(state, rules)
    for step in state.open_steps():
        if step.agency is None or step.due_at is None or step.opened_at is None:
            continue
        due = step.due_at
        warn_at = rules.warning_moment(due)
        if step.warned_for != due and step.overdue_for != due and warn_at > step.opened_at:
            alarms.append(Alarm("warning", state.dossier_id, step.step, step.unit, due, warn_at))
        if step.overdue_for != due:
            alarms.append(Alarm("overdue", state.dossier_id, step.step, step.unit, due, due))
    return alarms


def _appointment_alarm(state: WorkflowState, rules: RoutingRules) -> list[Alarm]:
    """A warning before the dossier's appointment (ngày hẹn trả kết quả)."""
    due = state.appointment_at
    warn_at = rules.warning_moment(due)
    if state.status != "processing" or state.appointment_warned_for == due:
        return []
    if warn_at <= state.received_at:
        return []
    return [Alarm("appointment", state.dossier_id, "", state.receiving_unit, due, warn_at)]


def alarm_event(alarm: Alarm, now: datetime, rules: RoutingRules) -> Event:
    """The fact a ringing alarm records; its id depends only on the alarm."""
    if alarm.kind != "overdue":
        fact: DeadlineApproaching | StepOverdue = DeadlineApproaching(
            step=alarm.step or None, unit=alarm.unit, due_at=alarm.due_at
        )
    else:
        unit = rules.unit(alarm.unit, alarm.due_at)
        fact = StepOverdue(
            step=alarm.step,
            unit=alarm.unit,
            due_at=alarm.due_at,
            detected_at=now,
            escalated_to=unit.parent if unit else None,
        )
    return fact.to_event(alarm.dossier_id, source=SOURCE, id=derived_id(alarm.id, alarm.kind))
