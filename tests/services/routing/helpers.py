"""Building blocks for routing tests: dossiers, agency answers, and an in-memory stream."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from lienthong.events import Event
from lienthong.schemas.agency import AgencyAskedForSupplement, ResultReturned
from lienthong.schemas.dossier import DossierReceived, DossierWithdrawn, SupplementProvided
from lienthong.topics import DOSSIER_EVENTS
from lienthong_routing.reaction import Outgoing, react
from lienthong_routing.rules import RoutingRules
from lienthong_routing.service import DECIDERS
from lienthong_routing.state import WorkflowState

RULES = RoutingRules.shipped()
TESTS = "/tests/routing"


def received(
    procedure: str,
    received_at: datetime,
    ward: str,
    receiving_unit: str,
    sub_procedures: Sequence[str] = (),
    dossier_id: str | None = None,
    appointment_at: datetime | None = None,
) -> Event:
    dossier_id = dossier_id or f"d-{uuid.uuid4().hex[:12]}"
    fact = DossierReceived(
        code=f"000.00.01.H29-{uuid.uuid4().hex[:6]}",
        procedure=procedure,
        procedure_version="",
        receiving_unit=receiving_unit,
        received_at=received_at,
        appointment_at=appointment_at or received_at,
        sub_procedures=list(sub_procedures),
        ward_code=ward,
    )
    return fact.to_event(dossier_id, source=TESTS)


def result(
    state: WorkflowState,
    step: str,
    outcome: str = "approved",
    at: datetime | None = None,
    delivery: str = "electronic",
) -> Event:
    row = state.steps[step]
    fact = ResultReturned.model_validate(
        {
            "task_id": row.task_id or "",
            "step": step,
            "unit": row.unit,
            "agency": row.agency or "",
            "outcome": outcome,
            "reasons": ["not eligible"] if outcome == "refused" else [],
            "delivery": delivery,
        }
    )
    event = fact.to_event(state.dossier_id, source="/tests/agency")
    return event.model_copy(update={"time": at}) if at else event


def supplement_asked(
    state: WorkflowState, step: str, missing: list[str], at: datetime | None = None
) -> Event:
    row = state.steps[step]
    fact = AgencyAskedForSupplement(
        task_id=row.task_id or "",
        step=step,
        unit=row.unit,
        agency=row.agency or "",
        missing=missing,
    )
    event = fact.to_event(state.dossier_id, source="/tests/agency")
    return event.model_copy(update={"time": at}) if at else event


def supplement_provided(state: WorkflowState, at: datetime | None = None) -> Event:
    event = SupplementProvided().to_event(state.dossier_id, source=TESTS)
    return event.model_copy(update={"time": at}) if at else event


def withdrawn(state: WorkflowState) -> Event:
    return DossierWithdrawn(reason="changed my mind").to_event(state.dossier_id, source=TESTS)


class Stream:
    """Routing fed in order, its dossier facts appended back to the stream (pure)."""

    def __init__(self, rules: RoutingRules = RULES) -> None:
        self.rules = rules
        self.events: list[Event] = []
        self.tasks: list[Outgoing] = []
        self.states: dict[str, WorkflowState] = {}

    def feed(self, event: Event) -> list[Outgoing]:
        self.events.append(event)
        decide = DECIDERS.get(event.type)
        if decide is None:
            return []
        reaction = react(self.rules, self.states.get(event.subject), event, decide)
        if reaction is None:
            return []
        self.states[event.subject] = reaction.state
        for outgoing in reaction.outgoing:
            if outgoing.topic == DOSSIER_EVENTS:
                self.feed(outgoing.event)  # our own facts come back: a no-op
            else:
                self.tasks.append(outgoing)
        return reaction.outgoing

    def types(self, dossier_id: str) -> list[str]:
        return [e.type for e in self.events if e.subject == dossier_id]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
