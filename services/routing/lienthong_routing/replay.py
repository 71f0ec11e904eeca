"""Catching up with the stream: a fresh instance (empty database) folds what is already on
`dossier.events` before it handles live events.

Reactions are re-derived as the stream is folded, with the same ids as when they were first
made. A reaction is taken as published once its first dossier fact shows up later in the
stream (routing publishes a reaction's dossier facts before its tasks); only reactions that
never show up are published, so a replay of a complete stream emits nothing new.

Limitation: the stream is read whole into memory (`Bus.read_topic`); a city-sized stream
needs a paged reader on the bus port.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import structlog

from lienthong.events import Event, MalformedEvent, decode
from lienthong.topics import DOSSIER_EVENTS
from lienthong_routing.app import Routing
from lienthong_routing.reaction import Decider, Outgoing, react
from lienthong_routing.rules import RoutingRules
from lienthong_routing.state import WorkflowState

log = structlog.get_logger("lienthong.routing")


def rebuild(
    rules: RoutingRules, events: Iterable[Event], deciders: Mapping[str, Decider]
) -> tuple[dict[str, WorkflowState], list[Outgoing]]:
    """Workflow states after `events`, and the reactions the stream lacks (pure)."""
    states: dict[str, WorkflowState] = {}
    pending: dict[str, list[Outgoing]] = {}
    for event in events:
        pending.pop(event.id, None)
        decide = deciders.get(event.type)
        if decide is None:
            continue
        reaction = react(rules, states.get(event.subject), event, decide)
        if reaction is None:
            continue
        states[event.subject] = reaction.state
        if reaction.facts:
            pending[reaction.facts[0].id] = reaction.outgoing
    return states, [o for outgoing in pending.values() for o in outgoing]


async def catch_up(routing: Routing, deciders: Mapping[str, Decider]) -> int:
    """Fold the existing stream into an empty database; returns how many dossiers."""
    if not await routing.repository.is_empty():
        return 0
    events: list[Event] = []
    for record in await routing.bus.read_topic(DOSSIER_EVENTS):
        try:
            events.append(decode(record))
        except MalformedEvent:
            continue  # the live consumer dead-letters it
    states, missing = rebuild(routing.rules, events, deciders)
    await routing.publish(missing)
    for state in states.values():
        await routing.save(state)
    log.info("routing_caught_up", dossiers=len(states), republished=len(missing))
    return len(states)
