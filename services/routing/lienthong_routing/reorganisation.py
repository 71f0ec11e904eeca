"""Reorganisation: a new topology version moves open steps off abolished units.

`transfer_open_steps` is the entry point an operator (or a scheduled job) calls when a new
topology version takes effect. It only records `dossier.step-transferred` facts (ids derived
from the new version, the dossier and the step, so running it twice records nothing new);
the consumer folds them and sends the successor unit a new task.

Successor of a step's unit: the unit named as successor if it plays the step's role; else
the unit playing that role for the applicant's (successor) ward in the new version; else,
for a district role devolved to communes on 1 July 2025 (`district.x`), the `ward.x` unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lienthong.domain import Succession, Topology, Unit, UnitResolutionError, reorganisation
from lienthong.events import Event, derived_id
from lienthong.schemas.routing import StepTransferred
from lienthong.topics import DOSSIER_EVENTS
from lienthong_routing.app import Routing
from lienthong_routing.reaction import SOURCE
from lienthong_routing.rules import agency_for, is_desk_step
from lienthong_routing.state import StepState, WorkflowState


@dataclass(frozen=True)
class Unresolved:
    dossier_id: str
    step: str
    unit: str


def successor_unit(
    step: StepState, ward: str | None, succession: Succession, new: Topology
) -> Unit | None:
    named = succession.successor
    if named is not None and (is_desk_step(step.step) or step.role in named.roles):
        return named
    if ward is None:
        return named
    ward_now = new.successors.get(ward, (ward, None))[0]
    roles = [step.role]
    if step.role.startswith("district."):
        roles.append("ward." + step.role.removeprefix("district."))
    for role in roles:
        try:
            return new.resolve(role, ward_now, new.effective_from)
        except UnitResolutionError:
            continue
    return named


def plan_transfers(
    state: WorkflowState, abolished: Mapping[str, Succession], new: Topology
) -> tuple[list[StepTransferred], list[Unresolved]]:
    """Transfers of the dossier's open steps held by abolished units (pure)."""
    transfers: list[StepTransferred] = []
    unresolved: list[Unresolved] = []
    for step in state.open_steps():
        succession = abolished.get(step.unit)
        if succession is None:
            continue
        unit = successor_unit(step, state.ward_code, succession, new)
        if unit is None:
            unresolved.append(Unresolved(state.dossier_id, step.step, step.unit))
            continue
        reason = f"{succession.abolished.name} abolished by topology {new.name}"
        transfers.append(
            StepTransferred(
                step=step.step,
                from_unit=step.unit,
                to_unit=unit.code,
                to_agency=None if is_desk_step(step.step) else agency_for(step.role),
                reason=f"{reason} ({succession.note})" if succession.note else reason,
                topology=new.name,
            )
        )
    return transfers, unresolved


async def transfer_open_steps(
    routing: Routing, old: Topology, new: Topology
) -> tuple[list[Event], list[Unresolved]]:
    """Record a transfer for every open step held by a unit `new` abolishes."""
    abolished = {s.abolished.code: s for s in reorganisation(old, new)}
    dossiers: set[str] = set()
    for code in abolished:
        dossiers.update(d["dossier_id"] for d in await routing.repository.open_steps_at(code))
    events: list[Event] = []
    unresolved: list[Unresolved] = []
    for dossier_id in sorted(dossiers):
        state = await routing.repository.load(dossier_id)
        if state is None or state.finished:
            continue
        transfers, missed = plan_transfers(state, abolished, new)
        unresolved += missed
        for transfer in transfers:
            event_id = derived_id(f"{new.name}/{dossier_id}/{transfer.step}", "step-transferred")
            events.append(transfer.to_event(dossier_id, source=SOURCE, id=event_id))
    if events:
        await routing.bus.publish(DOSSIER_EVENTS, *events)
    return events, unresolved
