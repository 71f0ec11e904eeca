"""The appointment plan of one dossier: its due moment and the due moment of each step.

Step due moments come from the workflow: a step must be done by the longest chain of shares
leading to it (its own share included), applied to the dossier's statutory clock. The
process control sheet (Phiếu kiểm soát quá trình giải quyết hồ sơ) compares each hand-off
with these moments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from lienthong.domain.calendar import WorkingCalendar
from lienthong.domain.deadlines import Deadline, Limit, Timeliness, classify_completion
from lienthong.domain.procedure import Procedure
from lienthong.domain.workflow import Workflow


class DossierSchedule:
    """Immutable: recording a supplement request or its answer returns a new schedule."""

    def __init__(self, procedure: Procedure, selection: frozenset[str], deadline: Deadline) -> None:
        self.procedure = procedure
        self.selection = procedure.select(selection)
        self.workflow: Workflow = procedure.workflow.for_selection(self.selection)
        self.deadline = deadline
        self._offsets = self.workflow.cumulative_shares()

    @classmethod
    def plan(
        cls,
        procedure: Procedure,
        calendar: WorkingCalendar,
        received_at: datetime,
        chosen: Iterable[str] = (),
    ) -> DossierSchedule:
        """Schedule a dossier received at `received_at` under this procedure version."""
        deadline = Deadline(calendar, Limit.of(procedure.time_limit), received_at)
        return cls(procedure, frozenset(chosen), deadline)

    def _with(self, deadline: Deadline) -> DossierSchedule:
        return DossierSchedule(self.procedure, self.selection, deadline)

    @property
    def calendar(self) -> WorkingCalendar:
        return self.deadline.calendar

    @property
    def is_paused(self) -> bool:
        return self.deadline.is_paused

    def dossier_due(self) -> datetime:
        """The appointment for the result (ngày hẹn trả kết quả)."""
        return self.deadline.due_at()

    def step_due(self, step_id: str) -> datetime:
        """When the step must be done, counted from the dossier's receipt."""
        if step_id not in self._offsets:
            raise KeyError(f"no step {step_id!r} in this dossier's workflow")
        return self.deadline.due_at(self._offsets[step_id])

    def step_dues(self) -> dict[str, datetime]:
        return {step_id: self.step_due(step_id) for step_id in self.workflow.step_ids}

    def step_due_from(self, step_id: str, started_at: datetime) -> datetime:
        """When the step must be done if its allotted share starts at `started_at`.

        Hand-offs between units do not wait for a cut-off: the count starts at the hand-off.
        """
        step = self.workflow.step(step_id)
        limit = replace(self.deadline.limit, cutoff_applies=False)
        pauses = tuple(p for p in self.deadline.pauses if p.paused_at >= started_at)
        return Deadline(self.calendar, limit, started_at, pauses).due_at(step.share)

    def supplement_requested(self, at: datetime, step_id: str) -> DossierSchedule:
        """Stop the clock, if the step's rules say a supplement request does."""
        if not self.workflow.step(step_id).clock_pauses_on_supplement:
            return self
        return self._with(self.deadline.pause(at))

    def supplement_provided(self, at: datetime) -> DossierSchedule:
        """Restart the clock; a no-op when it was not stopped."""
        if not self.deadline.is_paused:
            return self
        return self._with(self.deadline.resume(at))

    def classify_step(self, step_id: str, finished_at: datetime) -> Timeliness:
        return classify_completion(finished_at, self.step_due(step_id))

    def classify_dossier(self, finished_at: datetime) -> Timeliness:
        return classify_completion(finished_at, self.dossier_due())
