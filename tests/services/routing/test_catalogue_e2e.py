"""Every procedure of the catalogue in force, on both topologies, end to end on the real
Kafka broker and FerretDB: the dossier arrives as `dossier.received`, the test answers every
task it is given with an approval, and the dossier completes. The death group is run with a
2-of-4 and a 4-of-4 choice."""

from __future__ import annotations

import asyncio

import pytest

from lienthong.domain.catalogue_loader import default_catalogue
from tests.services.routing.helpers import at, received, result
from tests.services.routing.world import RoutingWorld

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

# (topology, receipt moment, applicant's ward, receiving one-stop unit)
TOPOLOGIES = {
    "hcmc-2019": (at("2025-03-03T09:00:00+07:00"), "27010", "27010"),
    "hcmc-2025": (at("2026-03-09T09:00:00+07:00"), "26506", "TTHCC-26506"),
}
DEATH_GROUP = "1.006714"
DEATH_CHOICES = {
    "2-of-4": ("death-registration", "funeral-allowance"),
    "4-of-4": (
        "death-registration",
        "residence-deregistration",
        "survivor-benefit",
        "funeral-allowance",
    ),
}


def cases() -> list[object]:
    found: list[object] = []
    for topology, (moment, _, _) in TOPOLOGIES.items():
        for procedure in default_catalogue().in_force(moment):
            if procedure.code == DEATH_GROUP:
                for name, chosen in DEATH_CHOICES.items():
                    found.append(
                        pytest.param(
                            topology,
                            procedure.code,
                            chosen,
                            id=f"{topology}-{procedure.code}-{name}",
                        )
                    )
            else:
                found.append(
                    pytest.param(topology, procedure.code, (), id=f"{topology}-{procedure.code}")
                )
    return found


async def answer_until_completed(
    world: RoutingWorld, dossier_id: str, timeout: float = 60
) -> list[str]:
    """Play the agencies: approve every open task once; returns the steps answered."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    answered: set[str] = set()
    while "dossier.completed" not in world.types(dossier_id):
        if loop.time() > deadline:
            state = await world.state(dossier_id)
            raise AssertionError(
                f"{dossier_id} did not complete: {world.types(dossier_id)} {state}"
            )
        state = await world.state(dossier_id)
        if state is not None:
            assert state.status not in ("routing_failed", "refused"), state.status
            for step in state.open_steps():
                if step.agency is not None and step.task_id and step.task_id not in answered:
                    answered.add(step.task_id)
                    await world.publish(result(state, step.step))
        await asyncio.sleep(0.1)
    return sorted(answered)


@pytest.mark.parametrize(("topology", "procedure", "chosen"), cases())
async def test_every_procedure_completes_on_both_topologies(
    world: RoutingWorld, topology: str, procedure: str, chosen: tuple[str, ...]
) -> None:
    moment, ward, receiving_unit = TOPOLOGIES[topology]
    dossier = received(procedure, moment, ward, receiving_unit, sub_procedures=chosen)
    await world.publish(dossier)
    answered = await answer_until_completed(world, dossier.subject)

    # the consumer publishes before it saves: wait for the saved state
    state = await world.until(dossier.subject, lambda s: s.status == "completed")
    assert state.topology == topology
    assert all(s.status == "done" for s in state.steps.values())
    assert answered  # at least one agency took part
    assert {t.task_id for t in world.tasks(dossier.subject)} == set(answered)
    types = world.types(dossier.subject)
    assert types.count("dossier.completed") == 1
    opened = [
        e.data["step"]
        for e in world.events
        if e.subject == dossier.subject and e.type == "dossier.step-opened"
    ]
    assert len(opened) == len(set(opened)) == len(state.steps)  # every step opened once
