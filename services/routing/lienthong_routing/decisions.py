"""What routing decides, one small function per business fact (pure: no I/O).

Each decider reads the reaction's state (the cause already folded in) and emits facts. The
table "event type → decider" is in `service.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from lienthong.domain import DomainError, classify_completion
from lienthong.events import derived_id
from lienthong.schemas.agency import AgencyAskedForSupplement, ResultReturned
from lienthong.schemas.dossier import (
    DossierCompleted,
    StepCompleted,
    StepOpened,
    SupplementRequested,
)
from lienthong.schemas.routing import (
    ApologyIssued,
    ClockPaused,
    ClockResumed,
    Delivery,
    DossierRefused,
    ResultHandedOver,
    ResultReady,
    RoutingFailed,
    StepCancelled,
    StepOverdue,
    StepTransferred,
    TaskCancelled,
)
from lienthong.schemas.tasks import TaskAssigned
from lienthong_routing.reaction import Reaction
from lienthong_routing.state import RECEIPT_STEP, RETURN_STEP, StepState

CancelReason = Literal["withdrawn", "refused", "stopped"]


def route_dossier(r: Reaction) -> None:
    """A received dossier: plan its units, record the receipt, open the first steps."""
    if r.state.steps:
        return
    try:
        plan = r.rules.plan(r.state)
    except DomainError as exc:
        r.emit(RoutingFailed(reason=str(exc)), "routing-failed")
        return
    r.emit(plan, "routed")
    advance(r, r.state.received_at)


def advance(r: Reaction, at: datetime) -> None:
    """Open every step whose predecessors are done; hold the result when all are."""
    progressed = True
    while progressed and not r.state.finished:
        progressed = False
        for step in r.state.ready_steps():
            if step.step == RECEIPT_STEP:
                record_receipt(r, step)
                progressed = True
            elif step.step == RETURN_STEP:
                hold_result(r, step, at)
            else:
                open_step(r, step, at)
    steps = r.state.steps.values()
    if r.state.status == "processing" and all(s.status == "done" for s in steps):
        announce_result(r, None, at)  # a workflow without a return step


def record_receipt(r: Reaction, step: StepState) -> None:
    at = r.state.received_at
    due = r.rules.schedule(r.state).step_due(step.step)
    opened = StepOpened(step=step.step, unit=step.unit, role=step.role, due_at=due, opened_at=at)
    r.emit(opened, f"step-opened:{step.step}")
    timeliness = classify_completion(at, due).value
    r.emit(StepCompleted(step=step.step, unit=step.unit, timeliness=timeliness), "receipt")


def open_step(r: Reaction, step: StepState, at: datetime) -> None:
    """Hand a step to its unit and put the task on the agency's topic."""
    task_id = derived_id(r.cause.id, f"task:{step.step}")
    due = r.rules.due_from(r.state, step.step, at)
    r.emit(
        StepOpened(
            step=step.step,
            unit=step.unit,
            role=step.role,
            due_at=due,
            task_id=task_id if step.agency else None,
            agency=step.agency,
            opened_at=at,
        ),
        f"step-opened:{step.step}",
    )
    if step.agency:
        assign_task(r, step, task_id, step.agency, due)


def assign_task(r: Reaction, step: StepState, task_id: str, agency: str, due: datetime) -> None:
    task = TaskAssigned(
        task_id=task_id,
        dossier_id=r.state.dossier_id,
        dossier_code=r.state.code,
        procedure=r.state.procedure,
        step=step.step,
        unit=step.unit,
        due_at=due,
        idempotency_key=derived_id(task_id, "agency-delivery"),
        agency=agency,
    )
    r.send(agency, task, f"task-assigned:{step.step}", task_id)


def hold_result(r: Reaction, step: StepState, at: datetime) -> None:
    """Every unit has finished: the result goes back to the receiving one-stop unit."""
    due = r.rules.due_from(r.state, step.step, at)
    opened = StepOpened(step=step.step, unit=step.unit, role=step.role, due_at=due, opened_at=at)
    r.emit(opened, f"step-opened:{step.step}")
    announce_result(r, r.state.steps[step.step], at)


def announce_result(r: Reaction, step: StepState | None, at: datetime) -> None:
    r.emit(ResultReady(unit=r.state.receiving_unit, delivery=r.state.delivery), "result-ready")
    if r.state.delivery == "electronic":  # returned automatically
        return_result(r, step, at, "electronic")


def return_result(r: Reaction, step: StepState | None, at: datetime, how: Delivery) -> None:
    if step is not None:
        timeliness = classify_completion(at, step.due_at or at).value
        r.emit(StepCompleted(step=step.step, unit=step.unit, timeliness=timeliness), "returned")
    r.emit(DossierCompleted(returned_by=how), "completed")


def record_result(r: Reaction) -> None:
    """An agency finished its step: approved (next steps open) or refused (dossier ends)."""
    result = ResultReturned.model_validate(r.cause.data)
    step = r.state.steps.get(result.step)
    if r.state.finished or step is None or step.status != "open":
        return  # late, duplicate or for a step that is not running: nothing to do
    at = r.cause.time
    timeliness = classify_completion(at, step.due_at or at).value
    r.emit(StepCompleted(step=step.step, unit=step.unit, timeliness=timeliness), "step-completed")
    if result.outcome == "refused":
        refusal = DossierRefused(step=step.step, unit=step.unit, reasons=result.reasons)
        r.emit(refusal, "refused")
        cancel_open_steps(r, "refused")
        return
    advance(r, at)


def cancel_open_steps(r: Reaction, reason: CancelReason) -> None:
    for step in r.state.open_steps():
        r.emit(
            StepCancelled(step=step.step, unit=step.unit, reason=reason),
            f"step-cancelled:{step.step}",
        )
        if step.task_id and step.agency:
            cancel_task(r, step, step.task_id, step.agency, reason)


def cancel_task(r: Reaction, step: StepState, task_id: str, agency: str, reason: str) -> None:
    notice = TaskCancelled(
        task_id=task_id,
        dossier_id=r.state.dossier_id,
        step=step.step,
        unit=step.unit,
        reason=reason,
    )
    r.send(agency, notice, f"task-cancelled:{task_id}", task_id)


def withdraw_dossier(r: Reaction) -> None:
    """The applicant withdrew: every running step stops."""
    if r.state.status == "withdrawn":
        cancel_open_steps(r, "withdrawn")


def stop_processing(r: Reaction) -> None:
    """An officer stopped processing (Thông báo dừng giải quyết hồ sơ)."""
    if r.state.status == "stopped":
        cancel_open_steps(r, "stopped")


def ask_applicant(r: Reaction) -> None:
    """An agency needs more documents: ask the applicant once, with one list; stop the clock
    if the step's rules say so. Asks while a request is open wait for its answer."""
    ask = AgencyAskedForSupplement.model_validate(r.cause.data)
    step = r.state.steps.get(ask.step)
    if r.state.finished or step is None or step.status != "open":
        return
    if r.state.supplement_missing is not None:
        return  # folded into the deferred list, asked for after this supplement
    r.emit(SupplementRequested(missing=ask.missing, requested_by=step.unit), "supplement")
    workflow_step = r.rules.procedure(r.state).workflow.step(step.step)
    if workflow_step.clock_pauses_on_supplement and not r.state.is_paused:
        # clocks of services differ: a pause never starts before the clock last ran again
        earliest = [r.state.received_at, *(p.resumed_at for p in r.state.pauses if p.resumed_at)]
        paused_at = max(r.cause.time, *earliest)
        r.emit(ClockPaused(step=step.step, paused_at=paused_at), "clock-paused")


def resume_clock(r: Reaction) -> None:
    """The supplement arrived: restart the clock with new due moments; ask for what waited."""
    if r.state.finished:
        return
    at = r.cause.time
    if r.state.is_paused:
        at = max(at, r.state.pauses[-1].paused_at)
        resumed = r.state.model_copy(deep=True)
        resumed.pauses[-1].resumed_at = at
        dues = {
            s.step: r.rules.due_from(resumed, s.step, s.opened_at)
            for s in resumed.open_steps()
            if s.opened_at is not None
        }
        appointment = max(r.state.appointment_at, r.rules.schedule(resumed).dossier_due())
        r.emit(ClockResumed(resumed_at=at, step_due=dues, appointment_at=appointment), "resumed")
    if r.state.deferred_missing:
        request = SupplementRequested(
            missing=list(r.state.deferred_missing), requested_by=r.state.receiving_unit
        )
        r.emit(request, "deferred-supplement")


def apologise_for_delay(r: Reaction) -> None:
    """A step is overdue: the unit at fault apologises with a new appointment."""
    overdue = StepOverdue.model_validate(r.cause.data)
    step = r.state.steps.get(overdue.step)
    if r.state.finished or step is None or step.status != "open" or step.due_at != overdue.due_at:
        return
    previous = r.state.appointment_at
    new = r.rules.new_appointment(previous, overdue.detected_at)
    apology = ApologyIssued(
        step=step.step, unit=step.unit, previous_appointment=previous, new_appointment=new
    )
    r.emit(apology, "apology")


def reassign_step(r: Reaction) -> None:
    """A reorganisation moved an open step: the successor unit gets a new task."""
    transfer = StepTransferred.model_validate(r.cause.data)
    before = r.previous.steps.get(transfer.step) if r.previous else None
    step = r.state.steps.get(transfer.step)
    if r.state.finished or step is None or before is None or step.status != "open":
        return
    task_id = derived_id(r.cause.id, f"task:{step.step}")
    due = step.due_at or r.cause.time
    opened = StepOpened(
        step=step.step,
        unit=transfer.to_unit,
        role=step.role,
        due_at=due,
        task_id=task_id if transfer.to_agency else None,
        agency=transfer.to_agency,
        opened_at=step.opened_at,
    )
    r.emit(opened, f"step-opened:{step.step}")
    if before.task_id and before.agency:
        cancel_task(r, before, before.task_id, before.agency, "transferred")
    if transfer.to_agency:
        assign_task(r, r.state.steps[step.step], task_id, transfer.to_agency, due)


def hand_over_result(r: Reaction) -> None:
    """An officer gave the applicant the result at the counter."""
    handed = ResultHandedOver.model_validate(r.cause.data)
    if r.state.status != "result_ready":
        return
    step = r.state.steps.get(RETURN_STEP)
    held = step if step is not None and step.status == "open" else None
    return_result(r, held, r.cause.time, handed.delivery)


def record_fact(_r: Reaction) -> None:
    """Facts that only change state (routing's own, or deadline warnings)."""
