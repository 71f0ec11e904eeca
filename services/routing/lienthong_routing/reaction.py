"""The reaction to one event: the events routing emits, folded into the state as they go.

Every emitted event's id is derived from the cause's id and a reaction name, so handling
the same cause again emits the same ids. Dossier facts are emitted before any task of the
same reaction, so a reaction whose first dossier fact is on the stream was published whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lienthong.events import Event, Payload
from lienthong.topics import DOSSIER_EVENTS, agency_tasks
from lienthong_routing.rules import RoutingRules
from lienthong_routing.state import WorkflowState, apply, fold_into

SOURCE = "/services/routing"


@dataclass(frozen=True)
class Outgoing:
    topic: str
    event: Event


@dataclass
class Reaction:
    rules: RoutingRules
    cause: Event
    previous: WorkflowState | None
    state: WorkflowState
    outgoing: list[Outgoing] = field(default_factory=list)

    def emit(self, fact: Payload, reaction: str) -> Event:
        """Record a fact of this dossier on `dossier.events`."""
        event = fact.caused_by(self.cause, source=SOURCE, reaction=reaction)
        fold_into(self.state, event)  # the reaction owns this copy of the state
        self.outgoing.append(Outgoing(DOSSIER_EVENTS, event))
        return event

    def send(self, agency: str, work: Payload, reaction: str, task_id: str) -> Event:
        """Put a message on the agency's own topic (keyed by task id)."""
        event = work.caused_by(self.cause, source=SOURCE, reaction=reaction, subject=task_id)
        self.outgoing.append(Outgoing(agency_tasks(agency), event))
        return event

    @property
    def facts(self) -> list[Event]:
        return [o.event for o in self.outgoing if o.topic == DOSSIER_EVENTS]


Decider = Callable[[Reaction], None]


def react(
    rules: RoutingRules, state: WorkflowState | None, cause: Event, decide: Decider
) -> Reaction | None:
    """Fold `cause` and decide what follows; None when it was handled already or is not
    about a routed dossier."""
    if state is not None and cause.id in state.applied:
        return None
    folded = apply(state, cause)
    if folded is None:
        return None
    reaction = Reaction(rules, cause, state, folded)
    decide(reaction)
    return reaction
