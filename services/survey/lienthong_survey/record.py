"""What the survey knows of one dossier, folded from its events (pure).

Each fold takes the record and one event and returns the new record. Folds *set* facts (keyed
by step or by event id) rather than count, so a redelivered or replayed event leaves the
record unchanged: the projection is idempotent by construction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lienthong.domain.localtime import to_local
from lienthong.events import Event, parse_payload
from lienthong.schemas.dossier import (
    DossierCompleted,
    DossierReceived,
    DossierSubmitted,
    StepCompleted,
    StepOpened,
    SupplementRequested,
)
from lienthong.schemas.routing import (
    ApologyIssued,
    ClockResumed,
    ResultHandedOver,
    ResultReady,
    StepTransferred,
)
from lienthong.schemas.survey import AnswerChannel, Level, SurveyAnswered, SurveyInvited
from lienthong_survey.questions import Timeliness


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StepRecord(_Frozen):
    """One row of the process control sheet (Phiếu kiểm soát quá trình giải quyết hồ sơ)."""

    step: str
    unit: str
    opened_at: datetime | None = None
    due_at: datetime | None = None
    completed_at: datetime | None = None
    timeliness: Timeliness | None = None


class InvitationFact(_Frozen):
    token_sha256: str
    invited_at: datetime
    expires_at: datetime
    reminded: bool = False


class AnswerFact(_Frozen):
    overall: Level
    units: dict[str, Level] = Field(default_factory=dict)
    factors: dict[str, Level] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)
    channel: AnswerChannel
    answered_at: datetime


class DossierRecord(_Frozen):
    dossier_id: str
    code: str | None = None
    procedure: str | None = None
    receiving_unit: str | None = None
    channel: str | None = None
    digitised: bool = False
    received_at: datetime | None = None
    appointment_at: datetime | None = Field(
        default=None, description="the statutory appointment, moved only by clock pauses"
    )
    steps: dict[str, StepRecord] = Field(default_factory=dict)
    supplement_requests: dict[str, str] = Field(
        default_factory=dict, description="event id → unit that asked"
    )
    apologies: dict[str, str] = Field(default_factory=dict, description="event id → unit")
    result_unit: str | None = None
    officer: str | None = Field(default=None, description="who handed the result over")
    completed_at: datetime | None = None
    returned_by: str | None = None
    month: str | None = Field(default=None, description="YYYY-MM of completion, local time")
    invitation: InvitationFact | None = None
    answer: AnswerFact | None = None
    step_invitations: dict[str, InvitationFact] = Field(
        default_factory=dict, description="step → the invitation after that step"
    )
    step_answers: dict[str, AnswerFact] = Field(default_factory=dict, description="step → answer")

    def with_(self, **changes: Any) -> DossierRecord:
        return self.model_copy(update=changes)

    @property
    def units(self) -> list[str]:
        """Units that handled a step, in order of first appearance."""
        return list(dict.fromkeys(step.unit for step in self.steps.values()))


Fold = Callable[[DossierRecord, Event], DossierRecord]


def submitted(record: DossierRecord, event: Event) -> DossierRecord:
    fact: DossierSubmitted = parse_payload(event)
    return record.with_(
        channel=fact.channel,
        digitised=bool(fact.document_sha256),
        procedure=record.procedure or fact.procedure,
    )


def received(record: DossierRecord, event: Event) -> DossierRecord:
    fact: DossierReceived = parse_payload(event)
    return record.with_(
        code=fact.code,
        procedure=fact.procedure,
        receiving_unit=fact.receiving_unit,
        received_at=fact.received_at,
        appointment_at=fact.appointment_at,
    )


def supplement_requested(record: DossierRecord, event: Event) -> DossierRecord:
    fact: SupplementRequested = parse_payload(event)
    return record.with_(
        supplement_requests={**record.supplement_requests, event.id: fact.requested_by}
    )


def step_opened(record: DossierRecord, event: Event) -> DossierRecord:
    fact: StepOpened = parse_payload(event)
    step = StepRecord(
        step=fact.step, unit=fact.unit, opened_at=fact.opened_at or event.time, due_at=fact.due_at
    )
    return record.with_(steps={**record.steps, fact.step: step})


def step_completed(record: DossierRecord, event: Event) -> DossierRecord:
    fact: StepCompleted = parse_payload(event)
    known = record.steps.get(fact.step) or StepRecord(step=fact.step, unit=fact.unit)
    step = known.model_copy(
        update={"unit": fact.unit, "completed_at": event.time, "timeliness": fact.timeliness}
    )
    return record.with_(steps={**record.steps, fact.step: step})


def step_transferred(record: DossierRecord, event: Event) -> DossierRecord:
    fact: StepTransferred = parse_payload(event)
    known = record.steps.get(fact.step) or StepRecord(step=fact.step, unit=fact.to_unit)
    return record.with_(
        steps={**record.steps, fact.step: known.model_copy(update={"unit": fact.to_unit})}
    )


def clock_resumed(record: DossierRecord, event: Event) -> DossierRecord:
    fact: ClockResumed = parse_payload(event)
    return record.with_(appointment_at=fact.appointment_at)


def apology_issued(record: DossierRecord, event: Event) -> DossierRecord:
    """An apology sets a new appointment for the citizen, not a new legal limit: the dossier
    stays late against `appointment_at`."""
    fact: ApologyIssued = parse_payload(event)
    return record.with_(apologies={**record.apologies, event.id: fact.unit})


def result_ready(record: DossierRecord, event: Event) -> DossierRecord:
    fact: ResultReady = parse_payload(event)
    return record.with_(result_unit=fact.unit)


def result_handed_over(record: DossierRecord, event: Event) -> DossierRecord:
    fact: ResultHandedOver = parse_payload(event)
    return record.with_(officer=fact.officer)


def completed(record: DossierRecord, event: Event) -> DossierRecord:
    fact: DossierCompleted = parse_payload(event)
    return record.with_(
        completed_at=event.time,
        returned_by=fact.returned_by,
        month=to_local(event.time).strftime("%Y-%m"),
    )


def invited(record: DossierRecord, event: Event) -> DossierRecord:
    fact: SurveyInvited = parse_payload(event)
    known = record.invitation if fact.step is None else record.step_invitations.get(fact.step)
    if fact.attempt > 1:
        if known is None:
            return record
        return _with_invitation(record, fact.step, known.model_copy(update={"reminded": True}))
    invitation = InvitationFact(
        token_sha256=fact.token_sha256,
        invited_at=event.time,
        expires_at=fact.expires_at,
        reminded=known.reminded if known else False,
    )
    return _with_invitation(record, fact.step, invitation)


def _with_invitation(
    record: DossierRecord, step: str | None, invitation: InvitationFact
) -> DossierRecord:
    if step is None:
        return record.with_(invitation=invitation)
    return record.with_(step_invitations={**record.step_invitations, step: invitation})


def answered(record: DossierRecord, event: Event) -> DossierRecord:
    fact: SurveyAnswered = parse_payload(event)
    answer = AnswerFact(
        overall=fact.overall,
        units=fact.units,
        factors=dict(fact.factors),
        flags=list(fact.flags),
        channel=fact.channel,
        answered_at=fact.answered_at,
    )
    if fact.step is not None:
        return record.with_(step_answers={**record.step_answers, fact.step: answer})
    return record.with_(answer=answer)
