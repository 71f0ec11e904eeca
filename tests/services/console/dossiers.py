"""Hand-made facts of dossiers, steps and replicas, as the other services would publish them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from lienthong.events import Event
from lienthong.schemas.dossier import (
    Applicant,
    DossierCompleted,
    DossierReceived,
    DossierSubmitted,
    StepCompleted,
    StepOpened,
)
from lienthong.schemas.health import AgencyHealth, AgencyHealthReported
from lienthong.schemas.routing import (
    ApologyIssued,
    DeadlineApproaching,
    StepOverdue,
)

SOURCE = "/tests/console"
PROCEDURE = "1.001193"


def new_dossier_id() -> str:
    return f"d-{uuid.uuid4().hex[:12]}"


def at(event: Event, moment: datetime) -> Event:
    """The same fact, stamped at `moment`."""
    return event.model_copy(update={"time": moment})


def received(
    dossier_id: str, unit: str, procedure: str = PROCEDURE, code: str | None = None
) -> Event:
    now = datetime.now(UTC)
    return DossierReceived(
        code=code or f"000.00.01.H29-{dossier_id[-6:]}",
        procedure=procedure,
        procedure_version="1",
        receiving_unit=unit,
        received_at=now,
        appointment_at=now + timedelta(days=10),
    ).to_event(dossier_id, source=SOURCE)


def submitted(dossier_id: str, applicant: Applicant) -> Event:
    return DossierSubmitted(
        procedure=PROCEDURE,
        channel="online",
        ward_code=applicant.ward_code,
        form={"ho_ten": applicant.full_name, "so_dinh_danh": applicant.id_number},
        applicant=applicant,
        submitted_at=datetime.now(UTC),
    ).to_event(dossier_id, source="/intake")


def step_opened(dossier_id: str, step: str, unit: str, due_in_h: float = 48) -> Event:
    return StepOpened(
        step=step,
        unit=unit,
        role="specialist",
        due_at=datetime.now(UTC) + timedelta(hours=due_in_h),
        agency=f"agency-{unit.lower()}",
    ).to_event(dossier_id, source="/routing")


def near(dossier_id: str, step: str, unit: str) -> Event:
    return DeadlineApproaching(
        step=step, unit=unit, due_at=datetime.now(UTC) + timedelta(hours=4)
    ).to_event(dossier_id, source="/routing")


def overdue(dossier_id: str, step: str, unit: str, escalated_to: str | None = None) -> Event:
    now = datetime.now(UTC)
    return StepOverdue(
        step=step, unit=unit, due_at=now, detected_at=now, escalated_to=escalated_to
    ).to_event(dossier_id, source="/routing")


def apology(dossier_id: str, step: str, unit: str) -> Event:
    now = datetime.now(UTC)
    return ApologyIssued(
        step=step,
        unit=unit,
        previous_appointment=now,
        new_appointment=now + timedelta(days=3),
    ).to_event(dossier_id, source="/routing")


def step_completed(dossier_id: str, step: str, unit: str, timeliness: str = "on_time") -> Event:
    return StepCompleted.model_validate(
        {"step": step, "unit": unit, "timeliness": timeliness}
    ).to_event(dossier_id, source="/routing")


def dossier_completed(dossier_id: str) -> Event:
    return DossierCompleted(returned_by="electronic").to_event(dossier_id, source="/routing")


def agency_health(
    replica: str,
    taken_at: datetime,
    *,
    attempts: int,
    failures: int = 0,
    circuit: str = "closed",
    agency: str = "police-1",
    interval_s: float = 15,
) -> Event:
    """One adapter replica's snapshot (subject `agency-adapter/<replica>`)."""
    snapshot = AgencyHealthReported.model_validate(
        {
            "instance": replica,
            "at": taken_at,
            "interval_s": interval_s,
            "window_start": taken_at - timedelta(seconds=interval_s),
            "started_at": taken_at - timedelta(hours=1),
            "agencies": [
                AgencyHealth.model_validate(
                    {
                        "agency": agency,
                        "circuit": circuit,
                        "attempts": attempts,
                        "failures": failures,
                        "attempts_total": attempts,
                        "failures_total": failures,
                        "error_rate": failures / attempts if attempts else None,
                        "waiting": 0,
                        "oldest_waiting_at": None,
                    }
                )
            ],
        }
    )
    return snapshot.to_event(f"agency-adapter/{replica}", source="/agency-adapter")
