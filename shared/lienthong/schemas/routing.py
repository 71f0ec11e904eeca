"""Facts the routing service records on `dossier.events` (subject = dossier id), and the
cancellation of a task on `agency.tasks.<agency>` (subject = task id).

Step opened/completed and the supplement request live in `lienthong.schemas.dossier` (every
service reads them); these are the routing-specific facts: the plan, transfers, the clock,
deadlines, the apology, the result and the end of processing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lienthong.events import Payload, payload
from lienthong.schemas.tasks import AGENCY_TASKS
from lienthong.topics import DOSSIER_EVENTS

Delivery = Literal["electronic", "counter", "post"]


class PlannedStep(BaseModel):
    """One row of the process control sheet as planned at receipt."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step: str
    role: str
    unit: str = Field(description="the competent unit resolved at the receipt date")
    agency: str | None = Field(default=None, description="None for the one-stop desk's steps")
    after: list[str] = Field(default_factory=list)


@payload("dossier.routed", topic=DOSSIER_EVENTS)
class DossierRouted(Payload):
    """The workflow of a received dossier and the competent unit of each step."""

    procedure: str
    procedure_version: int
    topology: str = Field(description="topology version in force at receipt")
    ward_code: str
    selection: list[str] = Field(default_factory=list)
    steps: list[PlannedStep]


@payload("dossier.routing-failed", topic=DOSSIER_EVENTS)
class RoutingFailed(Payload):
    """No workflow could be planned (unknown procedure, ward or competent unit): an operator
    must look at the dossier."""

    reason: str


@payload("dossier.step-cancelled", topic=DOSSIER_EVENTS)
class StepCancelled(Payload):
    """An open step stopped because the dossier was withdrawn, refused or stopped."""

    step: str
    unit: str
    reason: Literal["withdrawn", "refused", "stopped"]


@payload("dossier.step-transferred", topic=DOSSIER_EVENTS)
class StepTransferred(Payload):
    """An open step moved to another unit (a reorganisation abolished its unit)."""

    step: str
    from_unit: str
    to_unit: str
    to_agency: str | None = None
    task_id: str | None = Field(default=None, description="the new task, if one is sent")
    reason: str
    topology: str = Field(description="the topology version that made the transfer")


@payload("dossier.clock-paused", topic=DOSSIER_EVENTS)
class ClockPaused(Payload):
    """The statutory clock stopped while the applicant supplements the dossier."""

    step: str
    paused_at: datetime


@payload("dossier.clock-resumed", topic=DOSSIER_EVENTS)
class ClockResumed(Payload):
    """The supplement arrived: the clock runs again, with new due moments."""

    resumed_at: datetime
    step_due: dict[str, datetime] = Field(description="open step → its new due moment")
    appointment_at: datetime


@payload("dossier.deadline-approaching", topic=DOSSIER_EVENTS)
class DeadlineApproaching(Payload):
    """A warning: an open step (or, with no step, the dossier's appointment) is due soon (by
    default within one working day)."""

    step: str | None = Field(default=None, description="None: the dossier's appointment")
    unit: str
    due_at: datetime


@payload("dossier.step-overdue", topic=DOSSIER_EVENTS)
class StepOverdue(Payload):
    """An open step passed its due moment; escalated to the unit's parent."""

    step: str
    unit: str
    due_at: datetime
    detected_at: datetime
    escalated_to: str | None = Field(default=None, description="the unit's parent, if any")


@payload("dossier.apology-issued", topic=DOSSIER_EVENTS)
class ApologyIssued(Payload):
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả: the unit at fault apologises and sets a new
    appointment."""

    step: str
    unit: str
    previous_appointment: datetime
    new_appointment: datetime


@payload("dossier.result-ready", topic=DOSSIER_EVENTS)
class ResultReady(Payload):
    """Every unit has finished: the receiving one-stop unit holds the result."""

    unit: str
    delivery: Delivery


@payload("dossier.result-handed-over", topic=DOSSIER_EVENTS)
class ResultHandedOver(Payload):
    """An officer recorded that the applicant collected the result at the counter."""

    officer: str
    delivery: Delivery = "counter"


@payload("dossier.processing-stopped", topic=DOSSIER_EVENTS)
class ProcessingStopped(Payload):
    """Thông báo dừng giải quyết hồ sơ: an officer stopped processing, with the reason."""

    reason: str = Field(min_length=1)
    stopped_by: str = Field(description="the officer (token subject)")


@payload("dossier.refused", topic=DOSSIER_EVENTS)
class DossierRefused(Payload):
    """A unit refused the application during processing, with reasons."""

    step: str
    unit: str
    reasons: list[str] = Field(default_factory=list)


@payload("agency.task-cancelled", topic=AGENCY_TASKS)
class TaskCancelled(Payload):
    """The agency should stop working on this task."""

    task_id: str
    dossier_id: str
    step: str
    unit: str
    reason: str
