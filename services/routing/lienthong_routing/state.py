"""A dossier's workflow state: a fold over the events of its stream (pure, no I/O).

`apply(state, event)` is the only way state changes. It remembers the id of every event it
folded, so applying an event twice changes nothing. Times come from payloads (never from the
envelope's `time`, which differs when a reaction is re-derived), so a replay of the same
stream yields the same state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from lienthong.events import Event
from lienthong.schemas.agency import ResultReturned
from lienthong.schemas.dossier import (
    DossierReceived,
    StepCompleted,
    StepOpened,
    SupplementRequested,
)
from lienthong.schemas.routing import (
    ApologyIssued,
    ClockPaused,
    ClockResumed,
    DeadlineApproaching,
    Delivery,
    DossierRouted,
    StepCancelled,
    StepOverdue,
    StepTransferred,
)

StepStatus = Literal["planned", "open", "done", "cancelled"]
DossierStatus = Literal[
    "received",
    "processing",
    "result_ready",
    "completed",
    "refused",
    "withdrawn",
    "stopped",
    "failed",
]
FINISHED: frozenset[str] = frozenset({"completed", "refused", "withdrawn", "stopped", "failed"})

RECEIPT_STEP = "receive"
"""The step the one-stop desk performed when it received the dossier (done at receipt)."""
RETURN_STEP = "return-result"
"""The step in which the receiving one-stop unit returns the result (no agency task)."""


class StepState(BaseModel):
    """One row of the process control sheet (Phiếu kiểm soát quá trình giải quyết hồ sơ)."""

    step: str
    role: str
    unit: str
    agency: str | None = None
    after: list[str] = Field(default_factory=list)
    status: StepStatus = "planned"
    opened_at: datetime | None = None
    due_at: datetime | None = None
    task_id: str | None = None
    timeliness: str | None = None
    warned_for: datetime | None = Field(default=None, description="due moment warned about")
    overdue_for: datetime | None = Field(default=None, description="due moment missed")


class PauseState(BaseModel):
    step: str
    paused_at: datetime
    resumed_at: datetime | None = None


class WorkflowState(BaseModel):
    dossier_id: str
    code: str
    procedure: str
    procedure_version: int
    receiving_unit: str
    ward_code: str | None
    received_at: datetime
    appointment_at: datetime
    selection: list[str] = Field(default_factory=list)
    topology: str | None = None
    status: DossierStatus = "received"
    steps: dict[str, StepState] = Field(default_factory=dict)
    pauses: list[PauseState] = Field(default_factory=list)
    supplement_missing: list[str] | None = Field(default=None, description="open request")
    deferred_missing: list[str] = Field(default_factory=list)
    delivery: Delivery = "electronic"
    appointment_warned_for: datetime | None = None
    applied: list[str] = Field(default_factory=list, description="ids of folded events")

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def is_paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].resumed_at is None

    def open_steps(self) -> list[StepState]:
        return [s for s in self.steps.values() if s.status == "open"]

    def ready_steps(self) -> list[StepState]:
        """Planned steps whose predecessors are all done (a parallel join waits for all)."""
        done = {s.step for s in self.steps.values() if s.status == "done"}
        return [s for s in self.steps.values() if s.status == "planned" and set(s.after) <= done]


def start(event: Event) -> WorkflowState:
    received = DossierReceived.model_validate(event.data)
    return WorkflowState(
        dossier_id=event.subject,
        code=received.code,
        procedure=received.procedure,
        procedure_version=_version_number(received.procedure_version),
        receiving_unit=received.receiving_unit,
        ward_code=received.ward_code,
        received_at=received.received_at,
        appointment_at=received.appointment_at,
        selection=list(received.sub_procedures),
        applied=[event.id],
    )


def _version_number(text: str) -> int:
    digits = text.strip().lstrip("vV")
    return int(digits) if digits.isdigit() else 0


def apply(state: WorkflowState | None, event: Event) -> WorkflowState | None:
    """The state after `event`; unchanged when it was folded already or is not ours."""
    if state is None:
        return start(event) if event.type == "dossier.received" else None
    if event.id in state.applied:
        return state
    new = state.model_copy(deep=True)
    fold_into(new, event)
    return new


def fold_into(state: WorkflowState, event: Event) -> None:
    """`apply` in place, for a reaction's own working copy (copying per fact is slow)."""
    if event.id in state.applied:
        return
    state.applied.append(event.id)
    folder = _FOLDERS.get(event.type)
    if folder is not None:
        folder(state, event.data)


def _routed(state: WorkflowState, data: dict[str, object]) -> None:
    routed = DossierRouted.model_validate(data)
    state.topology = routed.topology
    state.selection = routed.selection
    state.status = "processing"
    state.steps = {
        p.step: StepState(step=p.step, role=p.role, unit=p.unit, agency=p.agency, after=p.after)
        for p in routed.steps
    }


def _opened(state: WorkflowState, data: dict[str, object]) -> None:
    opened = StepOpened.model_validate(data)
    step = state.steps[opened.step]
    step.status, step.unit, step.due_at = "open", opened.unit, opened.due_at
    step.opened_at = opened.opened_at or step.opened_at
    step.task_id, step.agency = opened.task_id, opened.agency


def _completed(state: WorkflowState, data: dict[str, object]) -> None:
    completed = StepCompleted.model_validate(data)
    step = state.steps[completed.step]
    step.status, step.timeliness = "done", completed.timeliness


def _cancelled(state: WorkflowState, data: dict[str, object]) -> None:
    state.steps[StepCancelled.model_validate(data).step].status = "cancelled"


def _transferred(state: WorkflowState, data: dict[str, object]) -> None:
    transfer = StepTransferred.model_validate(data)
    step = state.steps[transfer.step]
    step.unit, step.agency = transfer.to_unit, transfer.to_agency


def _paused(state: WorkflowState, data: dict[str, object]) -> None:
    paused = ClockPaused.model_validate(data)
    state.pauses.append(PauseState(step=paused.step, paused_at=paused.paused_at))


def _resumed(state: WorkflowState, data: dict[str, object]) -> None:
    resumed = ClockResumed.model_validate(data)
    if state.is_paused:
        state.pauses[-1].resumed_at = resumed.resumed_at
    for step_id, due in resumed.step_due.items():
        state.steps[step_id].due_at = due
    state.appointment_at = resumed.appointment_at


def _supplement_requested(state: WorkflowState, data: dict[str, object]) -> None:
    request = SupplementRequested.model_validate(data)
    state.supplement_missing = list(request.missing)
    state.deferred_missing = [m for m in state.deferred_missing if m not in request.missing]


def _agency_asked(state: WorkflowState, data: dict[str, object]) -> None:
    if state.supplement_missing is None:
        return  # routing asks the applicant for exactly these items (a decision)
    missing = data.get("missing", [])
    for item in missing if isinstance(missing, list) else []:
        if item not in state.supplement_missing and item not in state.deferred_missing:
            state.deferred_missing.append(str(item))


def _supplement_provided(state: WorkflowState, _data: dict[str, object]) -> None:
    state.supplement_missing = None


def _warned(state: WorkflowState, data: dict[str, object]) -> None:
    warning = DeadlineApproaching.model_validate(data)
    if warning.step is None:
        state.appointment_warned_for = warning.due_at
    else:
        state.steps[warning.step].warned_for = warning.due_at


def _overdue(state: WorkflowState, data: dict[str, object]) -> None:
    overdue = StepOverdue.model_validate(data)
    state.steps[overdue.step].overdue_for = overdue.due_at


def _apologised(state: WorkflowState, data: dict[str, object]) -> None:
    state.appointment_at = ApologyIssued.model_validate(data).new_appointment


def _result_returned(state: WorkflowState, data: dict[str, object]) -> None:
    result = ResultReturned.model_validate(data)
    if result.outcome == "approved" and result.delivery != "electronic":
        state.delivery = result.delivery


def _status(status: DossierStatus) -> Callable[[WorkflowState, dict[str, object]], None]:
    def fold(state: WorkflowState, _data: dict[str, object]) -> None:
        if not state.finished:  # a late withdrawal cannot undo a returned result
            state.status = status

    return fold


_FOLDERS: dict[str, Callable[[WorkflowState, dict[str, object]], None]] = {
    "dossier.routed": _routed,
    "dossier.routing-failed": _status("failed"),
    "dossier.step-opened": _opened,
    "dossier.step-completed": _completed,
    "dossier.step-cancelled": _cancelled,
    "dossier.step-transferred": _transferred,
    "dossier.clock-paused": _paused,
    "dossier.clock-resumed": _resumed,
    "dossier.supplement-requested": _supplement_requested,
    "agency.supplement-requested": _agency_asked,
    "dossier.supplement-provided": _supplement_provided,
    "dossier.deadline-approaching": _warned,
    "dossier.step-overdue": _overdue,
    "dossier.apology-issued": _apologised,
    "agency.result-returned": _result_returned,
    "dossier.result-ready": _status("result_ready"),
    "dossier.completed": _status("completed"),
    "dossier.refused": _status("refused"),
    "dossier.withdrawn": _status("withdrawn"),
    "dossier.processing-stopped": _status("stopped"),
}
