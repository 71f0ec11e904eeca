"""Routing end to end on the real Kafka broker and FerretDB; the test plays the agencies."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lienthong.runtime import ServiceContext
from lienthong.runtime.replay import replay_service
from lienthong.security import mint_token
from lienthong.topics import DOSSIER_EVENTS
from lienthong_routing.config import RoutingConfig
from lienthong_routing.reorganisation import transfer_open_steps
from lienthong_routing.service import compose
from lienthong_routing.state import WorkflowState
from tests.conftest import Infra
from tests.services.routing.helpers import (
    at,
    received,
    result,
    supplement_asked,
    supplement_provided,
    withdrawn,
)
from tests.services.routing.world import RoutingWorld

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

NOW = datetime.now(UTC)
BIRTH_GROUP = "2.000986"


def is_open(*steps: str) -> Callable[[WorkflowState], bool]:
    return lambda s: all(s.steps[step].status == "open" for step in steps)


async def test_a_birth_group_dossier_runs_to_completion_with_parallel_branches(
    world: RoutingWorld,
) -> None:
    dossier = received(BIRTH_GROUP, NOW, "26506", "TTHCC-26506")
    await world.publish(dossier)
    state = await world.until(dossier.subject, is_open("register-birth"))
    assert [t.unit for t in world.tasks(dossier.subject)] == ["26506"]

    await world.publish(result(state, "register-birth"))
    state = await world.until(dossier.subject, is_open("register-residence", "issue-health-card"))
    await world.publish(result(state, "register-residence"))
    await world.publish(result(state, "issue-health-card"))
    state = await world.until(dossier.subject, lambda s: s.status == "completed")

    assert {s.step: s.status for s in state.steps.values()} == dict.fromkeys(state.steps, "done")
    tasks = {t.step: t for t in world.tasks(dossier.subject)}
    assert set(tasks) == {"register-birth", "register-residence", "issue-health-card"}
    assert tasks["register-residence"].unit == "CA-26506"
    assert tasks["register-birth"].idempotency_key != tasks["register-birth"].task_id
    types = world.types(dossier.subject)
    assert types.count("dossier.step-opened") == 5  # each step opened exactly once
    assert types[-1] == "dossier.completed"


async def test_operators_read_a_workflow_with_staff_credentials_only(world: RoutingWorld) -> None:
    dossier = received(BIRTH_GROUP, NOW, "26506", "TTHCC-26506")
    await world.publish(dossier)
    state = await world.until(dossier.subject, is_open("register-birth"))
    path = f"/v1/workflows/{state.code}"
    settings = world.settings
    staff = {"authorization": f"Bearer {mint_token(settings, role='operator')}"}
    agency = {"authorization": f"Bearer {mint_token(settings, role='agency', agency='police')}"}

    assert (await world.client.get(path)).status_code == 401
    assert (await world.client.get(path, headers=agency)).status_code == 403
    missing = await world.client.get("/v1/workflows/nope", headers=staff)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    view = (await world.client.get(path, headers=staff)).json()
    assert view["status"] == "processing"
    assert view["topology"] == "hcmc-2025"
    birth = next(s for s in view["steps"] if s["step"] == "register-birth")
    assert birth["unit"] == "26506"
    assert birth["status"] == "open"
    assert birth["due_at"] is not None


async def test_a_supplement_pauses_the_clock_until_the_applicant_answers(
    world: RoutingWorld,
) -> None:
    dossier = received(BIRTH_GROUP, NOW, "26506", "TTHCC-26506")
    await world.publish(dossier)
    state = await world.until(dossier.subject, is_open("register-birth"))
    await world.publish(supplement_asked(state, "register-birth", ["giay-chung-sinh"]))
    state = await world.until(dossier.subject, lambda s: s.is_paused)
    assert state.supplement_missing == ["giay-chung-sinh"]
    asked = [e for e in world.events if e.type == "dossier.supplement-requested"]
    assert [e.data["missing"] for e in asked if e.subject == dossier.subject] == [
        ["giay-chung-sinh"]
    ]

    later = datetime.now(UTC) + timedelta(seconds=1)
    await world.publish(supplement_provided(state, at=later))
    state = await world.until(dossier.subject, lambda s: not s.is_paused)
    assert state.supplement_missing is None
    assert "dossier.clock-resumed" in world.types(dossier.subject)


async def test_a_refusal_ends_the_dossier_and_withdraws_the_other_tasks(
    world: RoutingWorld,
) -> None:
    dossier = received(BIRTH_GROUP, NOW, "26506", "TTHCC-26506")
    await world.publish(dossier)
    state = await world.until(dossier.subject, is_open("register-birth"))
    await world.publish(result(state, "register-birth"))
    state = await world.until(dossier.subject, is_open("register-residence"))
    await world.publish(result(state, "register-residence", outcome="refused"))
    state = await world.until(dossier.subject, lambda s: s.status == "refused")
    assert state.steps["issue-health-card"].status == "cancelled"
    await asyncio.sleep(0.5)
    cancelled = [e for e in world.events if e.type == "agency.task-cancelled"]
    assert any(e.data["dossier_id"] == dossier.subject for e in cancelled)


async def test_a_withdrawal_closes_the_open_steps(world: RoutingWorld) -> None:
    dossier = received(BIRTH_GROUP, NOW, "26506", "TTHCC-26506")
    await world.publish(dossier)
    state = await world.until(dossier.subject, is_open("register-birth"))
    await world.publish(withdrawn(state))
    state = await world.until(dossier.subject, lambda s: s.status == "withdrawn")
    assert state.steps["register-birth"].status == "cancelled"
    assert state.open_steps() == []


async def test_an_overdue_step_brings_one_apology_with_a_new_appointment(
    world: RoutingWorld,
) -> None:
    dossier = received("HCM-GPXD-NORL", NOW, "26506", "TTHCC-26506")
    await world.publish(dossier)
    state = await world.until(dossier.subject, is_open("appraise"))
    due = state.steps["appraise"].due_at
    assert due is not None

    world.clock.now = due + timedelta(minutes=1)  # the injected clock: a fake "now"
    assert await world.routing.sweep() >= 1
    state = await world.until(dossier.subject, lambda s: s.steps["appraise"].overdue_for == due)
    assert state.appointment_at > NOW
    await world.routing.sweep()  # the alarm rang already: nothing new for this step
    await asyncio.sleep(1.0)
    types = world.types(dossier.subject)
    assert types.count("dossier.step-overdue") == 1
    assert types.count("dossier.apology-issued") == 1
    assert types.count("dossier.deadline-approaching") == 1  # rang with the overdue alarm
    apology = next(
        e
        for e in world.events
        if e.type == "dossier.apology-issued" and e.subject == dossier.subject
    )
    assert apology.data["unit"] == "26506"


async def test_a_result_collected_at_the_counter_waits_for_the_officer(
    world: RoutingWorld,
) -> None:
    dossier = received("1.001193", NOW, "26506", "TTHCC-26506")
    await world.publish(dossier)
    state = await world.until(dossier.subject, is_open("register-birth"))
    await world.publish(result(state, "register-birth", delivery="counter"))
    state = await world.until(dossier.subject, lambda s: s.status == "result_ready")
    officer = {"authorization": f"Bearer {mint_token(world.settings, role='officer')}"}
    handed = await world.client.post(
        f"/v1/workflows/{state.code}/result-handed-over", headers=officer
    )
    assert handed.status_code == 202
    state = await world.until(dossier.subject, lambda s: s.status == "completed")
    completed = [e for e in world.events if e.type == "dossier.completed"]
    assert [e.data for e in completed if e.subject == dossier.subject] == [
        {"returned_by": "counter"}
    ]


async def test_a_reorganisation_in_the_middle_of_a_dossier_transfers_its_open_steps(
    world: RoutingWorld,
) -> None:
    friday = at("2025-06-27T09:00:00+07:00")
    dossier = received(BIRTH_GROUP, friday, "27010", "27010")
    await world.publish(dossier)
    state = await world.until(dossier.subject, is_open("register-birth"))
    await world.publish(result(state, "register-birth"))
    state = await world.until(dossier.subject, is_open("register-residence"))
    assert state.steps["register-residence"].unit == "CA-767"

    timeline = world.routing.rules.timeline
    old, new = timeline.version("hcmc-2019"), timeline.version("hcmc-2025")
    events, unresolved = await transfer_open_steps(world.routing, old, new)
    mine = [e for e in events if e.subject == dossier.subject]
    assert len(mine) == 2
    assert unresolved == []
    state = await world.until(
        dossier.subject, lambda s: s.steps["register-residence"].unit == "CA-27010"
    )
    await asyncio.sleep(0.5)
    police = [t for t in world.tasks(dossier.subject) if t.step == "register-residence"]
    assert [t.unit for t in police] == ["CA-767", "CA-27010"]
    again, _ = await transfer_open_steps(world.routing, old, new)
    assert [e.id for e in again if e.subject == dossier.subject] == []  # nothing left to move


async def test_an_officer_stops_processing_with_a_reason(world: RoutingWorld) -> None:
    dossier = received(BIRTH_GROUP, NOW, "26506", "TTHCC-26506")
    await world.publish(dossier)
    state = await world.until(dossier.subject, is_open("register-birth"))
    officer = {"authorization": f"Bearer {mint_token(world.settings, role='supervisor')}"}
    path = f"/v1/workflows/{state.code}/stop"
    blank = await world.client.post(path, json={"reason": ""}, headers=officer)
    assert blank.status_code == 422
    stopped = await world.client.post(path, json={"reason": "court order"}, headers=officer)
    assert stopped.status_code == 202
    state = await world.until(dossier.subject, lambda s: s.status == "stopped")
    assert state.steps["register-birth"].status == "cancelled"
    again = await world.client.post(path, json={"reason": "again"}, headers=officer)
    assert again.status_code == 409


async def test_replaying_the_stream_into_a_fresh_instance_rebuilds_the_same_state(
    world: RoutingWorld, infra: Infra
) -> None:
    """Runs last in this module: it replays everything the tests above produced."""
    before, originals = await settled(world)
    assert originals
    prefix = world.settings.topic_prefix.rstrip(".")
    async with RoutingWorld(infra, prefix, f"{prefix}r", name="routing-replay") as fresh:
        assert await states_of(fresh) == {d["_id"]: d["state"] for d in originals}
        await asyncio.sleep(2.0)  # its new consumer group reads the whole stream again
        assert await states_of(fresh) == {d["_id"]: d["state"] for d in originals}

        # `lienthong replay routing`: drop the projections, rebuild them from the topic
        store = fresh.host.stores["routing"]
        context = ServiceContext("routing-replay", fresh.settings, fresh.host.bus, store)
        spec, _ = compose(context, config=RoutingConfig(sweep_interval_s=0))
        assert await replay_service(spec, fresh.host.bus, store) == len(before)
        assert await states_of(fresh) == {d["_id"]: d["state"] for d in originals}
    after = await world.host.bus.read_topic(DOSSIER_EVENTS)
    assert len(after) == len(before)


async def states_of(world: RoutingWorld) -> dict[str, Any]:
    return {d["_id"]: d["state"] for d in await world.routing.repository.workflows.find()}


async def settled(world: RoutingWorld) -> tuple[list[object], list[dict[str, Any]]]:
    """The stream and the workflows once the instance has finished what is in flight."""
    previous: tuple[int, dict[str, Any]] | None = None
    for _ in range(60):
        records = await world.host.bus.read_topic(DOSSIER_EVENTS)
        documents = await world.routing.repository.workflows.find()
        current = (len(records), {d["_id"]: d["state"] for d in documents})
        if current == previous:
            return list(records), documents
        previous = current
        await asyncio.sleep(1.0)
    raise AssertionError("routing did not settle")
