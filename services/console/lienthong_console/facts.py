"""What the console reads out of an event, whatever its type (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lienthong.events import Event

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
    "reason",
    "escalated_to",
    "returned_by",
    "attempts",
    "connector",
    "overall",
)


def summary(data: dict[str, Any]) -> str:
    parts = []
    for name in _SHOWN:
        value = data.get(name)
        if value is None or value == "" or isinstance(value, dict | list):
            continue
        text = str(value)
        if name == "reason" and len(text) > 80:
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
        detail=summary(data),
    )
