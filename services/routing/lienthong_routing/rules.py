"""What routing knows about the city: procedures, the organisation, the calendar (pure).

Agencies: a task goes to `agency.tasks.<agency>`, one topic per agency *system*, named after
the role of the step without its level: `ward.civil-status` → `civil-status`,
`police.residence` → `police-residence`, `district.construction` and `ward.construction` →
`construction`, `social-insurance` → `social-insurance`. One system serves an agency at every
level (the civil-status software of every ward, the police residence database), so the
agency adapter configures one connector per system, and an agency's credentials cover its
own topic only; the task names the unit. Topics are few and known from the catalogue, so
they are created at start. Desk steps (receipt and return of the result) are done by the
receiving one-stop unit and send no task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from lienthong.bus import PermanentError
from lienthong.domain import (
    Catalogue,
    ClockStopped,
    DossierSchedule,
    NoCompetentUnit,
    Procedure,
    Topology,
    TopologyTimeline,
    Unit,
    WorkingCalendar,
    default_calendar,
    default_catalogue,
    default_timeline,
    local_day,
    to_local,
)
from lienthong.domain.localtime import local_moment
from lienthong.domain.workflow import Step
from lienthong.schemas.routing import DossierRouted, PlannedStep
from lienthong_routing.state import RECEIPT_STEP, RETURN_STEP, WorkflowState

_LEVELS = ("city.", "district.", "ward.")


class UnknownProcedureVersion(PermanentError):
    """A dossier names a version of a known procedure that this catalogue does not have."""


def agency_for(role: str) -> str:
    """The agency system that performs steps of `role` at any level."""
    for level in _LEVELS:
        if role.startswith(level):
            role = role.removeprefix(level)
            break
    return role.replace(".", "-")


def is_desk_step(step_id: str) -> bool:
    return step_id in (RECEIPT_STEP, RETURN_STEP)


@dataclass(frozen=True)
class RoutingRules:
    catalogue: Catalogue
    timeline: TopologyTimeline
    calendar: WorkingCalendar
    warning_working_days: int = 1
    apology_extension_working_days: int = 2

    @classmethod
    def shipped(
        cls, warning_working_days: int = 1, apology_days: int = 2, catalogue_dir: Path | None = None
    ) -> RoutingRules:
        return cls(
            default_catalogue(catalogue_dir),
            default_timeline(),
            default_calendar(),
            warning_working_days,
            apology_days,
        )

    def agencies(self) -> frozenset[str]:
        """Every agency a task may go to (one topic each)."""
        return frozenset(agency_for(role) for role in self.catalogue.roles())

    def procedure(self, state: WorkflowState) -> Procedure:
        """The version the dossier was received under. A version this catalogue does not have
        (yet) is not replaced by another: the event is dead-lettered, and an operator replays
        it once the version is published here. A dossier naming no version number follows
        the version in force at receipt."""
        versions = self.catalogue.versions(state.procedure)
        for version in versions:
            if version.version == state.procedure_version:
                return version
        if state.procedure_version > 0 and versions:
            known = ", ".join(str(v.version) for v in versions)
            raise UnknownProcedureVersion(
                f"procedure {state.procedure} version {state.procedure_version} is not in this "
                f"catalogue (it has version {known}); publish it, then replay the dead letter"
            )
        return self.catalogue.procedure(state.procedure, state.received_at)

    def schedule(self, state: WorkflowState) -> DossierSchedule:
        """The dossier's clock with every pause folded so far."""
        schedule = DossierSchedule.plan(
            self.procedure(state), self.calendar, state.received_at, state.selection
        )
        for pause in state.pauses:
            schedule = schedule.supplement_requested(pause.paused_at, pause.step)
            if pause.resumed_at is not None:
                schedule = schedule.supplement_provided(pause.resumed_at)
        return schedule

    def due_from(self, state: WorkflowState, step: str, opened_at: datetime) -> datetime:
        """When a step handed over at `opened_at` is due (its own share of the limit).

        While the clock is stopped the due moment is provisional: as if it ran again at the
        hand-off; the resumption recomputes it.
        """
        schedule = self.schedule(state)
        due: datetime
        try:
            due = schedule.step_due_from(step, opened_at)
        except ClockStopped:
            due = schedule.supplement_provided(opened_at).step_due_from(step, opened_at)
        return due

    def plan(self, state: WorkflowState) -> DossierRouted:
        """Resolve every step's competent unit at the receipt date for the applicant's ward."""
        procedure = self.procedure(state)
        selection = procedure.select(state.selection)
        if not state.ward_code:
            raise NoCompetentUnit("the dossier names no applicant ward (ward_code)")
        topology = self.timeline.at(state.received_at)
        steps = [
            self._planned(step, state, topology)
            for step in procedure.workflow.for_selection(selection).steps
        ]
        return DossierRouted(
            procedure=procedure.code,
            procedure_version=procedure.version,
            topology=topology.name,
            ward_code=state.ward_code,
            selection=sorted(selection),
            steps=steps,
        )

    def _planned(self, step: Step, state: WorkflowState, topology: Topology) -> PlannedStep:
        after = list(step.after)
        if is_desk_step(step.id):
            return PlannedStep(step=step.id, role=step.role, unit=state.receiving_unit, after=after)
        unit = topology.resolve(step.role, state.ward_code or "", state.received_at)
        return PlannedStep(
            step=step.id, role=step.role, unit=unit.code, agency=agency_for(step.role), after=after
        )

    def unit(self, code: str, at: datetime) -> Unit | None:
        try:
            return self.timeline.at(at).unit(code)
        except LookupError:  # no topology in force, or no such unit in it
            return None

    def warning_moment(self, due_at: datetime) -> datetime:
        """The same time of day, `warning_working_days` working days before the due moment."""
        local = to_local(due_at)
        day = local.date()
        for _ in range(self.warning_working_days):
            day -= timedelta(days=1)
            while not self.calendar.is_working_day(day):
                day -= timedelta(days=1)
        warning: datetime = local_moment(day, local.hour, local.minute)
        return warning

    def new_appointment(self, appointment_at: datetime, detected_at: datetime) -> datetime:
        """The appointment an apology sets: closing time, a few working days on."""
        base = max(appointment_at, detected_at)
        day = self.calendar.add_working_days(local_day(base), self.apology_extension_working_days)
        closing = self.calendar.hours.closing
        appointment: datetime = local_moment(day, closing.hour, closing.minute)
        return appointment
