"""What the console reads out of an event, whatever its type (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lienthong.events import Event
from lienthong.logging import scrub

# The payload fields that name the unit an event is about, in order of preference.
_UNIT_FIELDS = ("unit", "receiving_unit", "to_unit", "requested_by", "from_unit")


def event_unit(data: dict[str, Any]) -> str | None:
    for name in _UNIT_FIELDS:
        value = data.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def hour_of(moment: datetime) -> str:
    """The UTC hour a moment falls in, e.g. `2026-12-01T10`: the charts' bucket."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


def moment_key(moment: datetime) -> str:
    """A moment as text that sorts to the microsecond: MongoDB keeps datetimes to the
    millisecond, and the facts one handler emits fall within one."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def day_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Line:
    """One event as the console shows it (stream, timeline): never personal data."""

    id: str
    dossier: str
    type: str
    time: datetime
    source: str
    unit: str | None
    step: str | None
    procedure: str | None
    code: str | None
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "dossier": self.dossier,
            "type": self.type,
            "time": self.time.isoformat(),
            "source": self.source,
            "unit": self.unit,
            "step": self.step,
            "procedure": self.procedure,
            "code": self.code,
            "detail": self.detail,
        }


# Payload fields safe to summarise: ids, units, dates, outcomes — never names, ID numbers,
# phones, addresses, form contents or free text.
_SHOWN = (
    "step",
    "role",
    "agency",
    "task_id",
    "due_at",
    "appointment_at",
    "new_appointment",
    "timeliness",
    "outcome",
    "channel",
    "escalated_to",
    "returned_by",
    "attempts",
    "connector",
    "overall",
)


# Events whose `reason` the platform wrote (a routing or delivery failure, a cancelled or moved
# step). Elsewhere a reason is someone's own words — an applicant withdrawing, an officer
# stopping a dossier — and may name people: the console does not show it.
_SYSTEM_REASONS = frozenset(
    {
        "dossier.routing-failed",
        "dossier.step-cancelled",
        "dossier.step-transferred",
        "agency.task-failed",
    }
)


def summary(data: dict[str, Any], event_type: str = "") -> str:
    shown = (*_SHOWN, "reason") if event_type in _SYSTEM_REASONS else _SHOWN
    parts = []
    for name in shown:
        value = data.get(name)
        if value is None or value == "" or isinstance(value, dict | list):
            continue
        text = str(value)
        if name == "reason":
            text = scrub(text)  # a failure can quote the input: never an ID, phone or email
            if len(text) > 80:
                text = text[:77] + "…"
        parts.append(f"{name}={text}")
    return " ".join(parts)


def line_of(event: Event, procedure: str | None = None, code: str | None = None) -> Line:
    data = event.data
    return Line(
        id=event.id,
        dossier=event.subject,
        type=event.type,
        time=event.time,
        source=event.source,
        unit=event_unit(data),
        step=data.get("step") if isinstance(data.get("step"), str) else None,
        procedure=data.get("procedure") if isinstance(data.get("procedure"), str) else procedure,
        code=data.get("code") if isinstance(data.get("code"), str) else code,
        detail=summary(data, event.type),
    )
