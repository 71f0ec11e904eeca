"""Hand-built dossier histories, as intake and routing would record them on dossier.events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lienthong.events import Event, Payload, new_event
from lienthong.schemas.dossier import (
    DossierCompleted,
    DossierReceived,
    DossierSubmitted,
    StepCompleted,
    StepOpened,
    SupplementRequested,
)
from lienthong.schemas.routing import ApologyIssued, ClockResumed, ResultHandedOver, ResultReady

ICT = timezone(timedelta(hours=7))
SOURCE = "/tests/survey"


def at(day: int, hour: int, month: int = 3) -> datetime:
    """A local (UTC+7) moment in 2026."""
    return datetime(2026, month, day, hour, tzinfo=ICT)


def fact(dossier_id: str, payload: Payload, moment: datetime, n: int) -> Event:
    return new_event(
        payload.event_type,
        dossier_id,
        payload.model_dump(mode="json"),
        source=SOURCE,
        id=f"{dossier_id}-{n:02d}",
        time=moment,
    )


def on_time_online(dossier_id: str, procedure: str = "1.001193", month: int = 3) -> list[Event]:
    """Dossier A: online, digitised, two units (early, on time), returned early."""
    d = dossier_id
    return [
        fact(
            d,
            DossierSubmitted(
                procedure=procedure,
                channel="online",
                ward_code="26506",
                document_sha256={"to-khai": "ab" * 32},
            ),
            at(2, 8, month),
            1,
        ),
        fact(
            d,
            DossierReceived(
                code=f"X-{d}",
                procedure=procedure,
                procedure_version="1",
                receiving_unit="R",
                received_at=at(2, 9, month),
                appointment_at=at(5, 17, month),
            ),
            at(2, 9, month),
            2,
        ),
        fact(
            d,
            StepOpened(step="civil", unit="U1", role="r1", due_at=at(3, 17, month)),
            at(2, 9, month),
            3,
        ),
        fact(d, StepCompleted(step="civil", unit="U1", timeliness="early"), at(3, 10, month), 4),
        fact(
            d,
            StepOpened(step="residence", unit="U2", role="r2", due_at=at(4, 17, month)),
            at(3, 10, month),
            5,
        ),
        fact(
            d, StepCompleted(step="residence", unit="U2", timeliness="on_time"), at(4, 11, month), 6
        ),
        fact(d, ResultReady(unit="R", delivery="electronic"), at(4, 12, month), 7),
        fact(d, DossierCompleted(returned_by="electronic"), at(4, 15, month), 8),
    ]


def overdue_counter(dossier_id: str, procedure: str = "1.001193") -> list[Event]:
    """Dossier B: at the counter, one supplement request, U1 late, an apology, the result held
    by another unit, returned after the (paused and moved) appointment."""
    d = dossier_id
    return [
        fact(
            d,
            DossierSubmitted(procedure=procedure, channel="counter", ward_code="26506"),
            at(2, 8),
            1,
        ),
        fact(
            d,
            DossierReceived(
                code=f"X-{d}",
                procedure=procedure,
                procedure_version="1",
                receiving_unit="R",
                received_at=at(2, 9),
                appointment_at=at(4, 17),
            ),
            at(2, 9),
            2,
        ),
        fact(d, StepOpened(step="civil", unit="U1", role="r1", due_at=at(3, 17)), at(2, 9), 3),
        fact(d, SupplementRequested(missing=["giay-chung-sinh"], requested_by="U1"), at(2, 14), 4),
        fact(
            d,
            ClockResumed(
                resumed_at=at(3, 9), step_due={"civil": at(4, 17)}, appointment_at=at(6, 17)
            ),
            at(3, 9),
            5,
        ),
        fact(
            d,
            ApologyIssued(
                step="civil", unit="U1", previous_appointment=at(6, 17), new_appointment=at(9, 17)
            ),
            at(5, 16),
            6,
        ),
        fact(d, StepCompleted(step="civil", unit="U1", timeliness="late"), at(6, 10), 7),
        fact(d, ResultReady(unit="R2", delivery="counter"), at(6, 11), 8),
        fact(d, ResultHandedOver(officer="officer:R2"), at(9, 10), 9),
        fact(d, DossierCompleted(returned_by="counter"), at(9, 10), 10),
    ]


def counter_on_time(dossier_id: str, procedure: str = "1.001193") -> list[Event]:
    """Dossier C: at the counter in April, one unit (U2) on time, returned on the due day."""
    d = dossier_id
    return [
        fact(
            d,
            DossierSubmitted(procedure=procedure, channel="counter", ward_code="26506"),
            at(6, 8, 4),
            1,
        ),
        fact(
            d,
            DossierReceived(
                code=f"X-{d}",
                procedure=procedure,
                procedure_version="1",
                receiving_unit="R",
                received_at=at(6, 9, 4),
                appointment_at=at(8, 17, 4),
            ),
            at(6, 9, 4),
            2,
        ),
        fact(
            d,
            StepOpened(step="residence", unit="U2", role="r2", due_at=at(8, 12, 4)),
            at(6, 9, 4),
            3,
        ),
        fact(d, StepCompleted(step="residence", unit="U2", timeliness="on_time"), at(8, 11, 4), 4),
        fact(d, ResultHandedOver(officer="officer:R"), at(8, 16, 4), 5),
        fact(d, DossierCompleted(returned_by="counter"), at(8, 16, 4), 6),
    ]
