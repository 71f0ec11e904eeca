"""The tracking view: one document per dossier, projected from `dossier.events`.

Idempotent: each document remembers the ids of the events applied to it, so an event
delivered twice changes nothing. All events of a dossier share its key, hence one partition
and one consumer at a time: the read-modify-write below does not race with itself.
The view can be dropped and rebuilt by replaying the topic.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from lienthong.events import Event
from lienthong.store import Collection, Document

Apply = Callable[[Document, Event], None]


APPLICANT_FIELDS = ("full_name", "phone", "email", "ward_code")
"""What the printed forms show of the applicant (never the ID number)."""


def _submitted(view: Document, event: Event) -> None:
    data = event.data
    view.setdefault("status", "newly_registered")
    view["procedure"] = data.get("procedure")
    applicant = data.get("applicant") or {}
    view.update(
        channel=data.get("channel"),
        submitted_at=data.get("submitted_at") or event.time.isoformat(),
        documents=sorted(data.get("document_sha256", {})),
        sub_procedures=list(data.get("sub_procedures", [])),
        applicant={field: applicant.get(field) for field in APPLICANT_FIELDS},
    )


def _received(view: Document, event: Event) -> None:
    data = event.data
    view.update(
        status="received",
        code=data["code"],
        procedure=data["procedure"],
        unit=data["receiving_unit"],
        appointment_at=data["appointment_at"],
        secret_sha256=data.get("tracking_secret_sha256"),
        received_at=data.get("received_at"),
        procedure_version=data.get("procedure_version"),
    )


def _rejected(view: Document, event: Event) -> None:
    view["status"] = "not_received"
    view["reasons"] = list(event.data.get("reasons", []))


def _supplement_requested(view: Document, event: Event) -> None:
    view["status"] = "supplement_requested"
    view["unit"] = event.data.get("requested_by") or view.get("unit")
    view["missing"] = list(event.data.get("missing", []))
    view["supplement_request_id"] = event.id


def _status(status: str, unit_field: str | None = None) -> Apply:
    def apply(view: Document, event: Event) -> None:
        view["status"] = status
        if unit_field is not None and event.data.get(unit_field):
            view["unit"] = event.data[unit_field]

    return apply


STATUS_BY_EVENT: Mapping[str, Apply] = {
    "dossier.submitted": _submitted,
    "dossier.received": _received,
    "dossier.rejected": _rejected,
    "dossier.supplement-requested": _supplement_requested,
    "dossier.supplement-provided": _status("processing"),
    "dossier.withdrawn": _status("withdrawn"),
    "dossier.step-opened": _status("processing", "unit"),
    "dossier.step-completed": _status("processing", "unit"),
    "dossier.result-ready": _status("processing_done", "unit"),  # waits at the counter
    "dossier.completed": _status("result_returned"),
}
"""Event type → how it changes the view; also the intake service's handler table."""


class TrackingProjection:
    def __init__(self, collection: Collection) -> None:
        self._c = collection

    async def prepare(self) -> None:
        await self._c.ensure_index([("code", 1)])

    async def project(self, event: Event) -> None:
        """Apply one event to its dossier's view, at most once."""
        apply = STATUS_BY_EVENT.get(event.type)
        if apply is None:
            return
        view = await self._c.get(event.subject) or {"_id": event.subject, "events": []}
        if event.id in view["events"]:
            return
        apply(view, event)
        view["events"] = [*view["events"], event.id]
        view["timeline"] = [*view.get("timeline", []), _timeline_entry(view, event)]
        await self._c.replace(view)

    async def by_code(self, code: str) -> Document | None:
        found = await self._c.find({"code": code}, limit=1)
        return found[0] if found else None

    async def by_reference(self, reference: str) -> Document | None:
        """By dossier code, or by dossier id (a dossier not received has no code)."""
        return await self._c.get(reference) or await self.by_code(reference)

    def handlers(self) -> dict[str, Sequence[Callable[[Event], Awaitable[None]]]]:
        return {event_type: [self.project] for event_type in STATUS_BY_EVENT}


def _timeline_entry(view: Document, event: Event) -> dict[str, Any]:
    """A row of the process control sheet (Phiếu kiểm soát quá trình giải quyết hồ sơ)."""
    return {
        "type": event.type,
        "at": event.time.isoformat(),
        "unit": event.data.get("unit") or event.data.get("receiving_unit") or view.get("unit"),
        "timeliness": event.data.get("timeliness"),
    }
