"""Store and forward through an outage; malformed answers end as failures, not crashes."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import httpx
import pytest

from lienthong.events import new_id
from lienthong.ops import Actor, DeadLetterBook
from lienthong.schemas.tasks import TaskAssigned
from lienthong.security import mint_token
from lienthong.topics import agency_tasks
from tests.services.agency_adapter.conftest import World

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

# The issue's acceptance: an agency down for two minutes, then back. The test settings' short
# timings (breaker opens after 3 failed rounds, probes every 1 s) keep the wait after it short.
OUTAGE_S = 120.0


async def circuit_of(world: World, agency: str) -> str:
    token = mint_token(world.host.settings, role="operator")
    async with httpx.AsyncClient(base_url=world.url) as client:
        rows = await client.get("/v1/agencies", headers={"Authorization": f"Bearer {token}"})
        return str(next(r for r in rows.json() if r["agency"] == agency)["circuit"])


async def test_an_agency_down_for_a_while_gets_every_task_once_per_key_when_back(
    world: World,
) -> None:
    civil = world.civil
    civil.behaviour.outage_for(OUTAGE_S)
    tasks = [await world.assign("civil-status") for _ in range(5)]
    outage_ends = civil.behaviour.outages[-1][1]
    circuits = []
    while time.time() < outage_ends - 1:
        circuits.append(await circuit_of(world, "civil-status"))
        await asyncio.sleep(0.3)
    assert "open" in circuits
    for task in tasks:
        await world.fact("agency.result-returned", task.task_id, timeout=60)
    keys = {task.idempotency_key for task in tasks}
    assert {k: civil.processed[k] for k in keys} == dict.fromkeys(keys, 1)
    assert min(civil.processed_at[k] for k in keys) >= outage_ends  # none got through early
    assert all(civil.calls[k] > 1 for k in keys)  # retried through the outage …
    assert keys <= set(civil.calls)
    for task in tasks:  # … with one key per task, and one fact per task
        assert len({e.id for e in world.facts("agency.task-delivered", task.task_id)}) == 1
    assert await circuit_of(world, "civil-status") == "closed"


async def test_a_malformed_answer_becomes_a_failure_event_and_delivery_goes_on(
    world: World,
) -> None:
    world.residence.behaviour.malformed_rate = 1.0
    try:
        broken = await world.assign("residence")
        failed = await world.fact("agency.task-failed", broken.task_id)
    finally:
        world.residence.behaviour.malformed_rate = 0.0
    assert failed.data["retryable"] is False
    assert "XML" in failed.data["reason"]
    healthy = await world.assign("residence")
    await world.fact("agency.result-returned", healthy.task_id)
    assert not world.facts("agency.result-returned", broken.task_id)

    dead = await world.host.bus.read_topic("dlq.agency-adapter")
    assert broken.task_id in {(record.key or b"").decode() for record in dead}
    # An operator replays the dead letter once the agency is fixed: delivered, same key.
    book = DeadLetterBook(world.host.bus)
    replay = await book.replay_group("agency-adapter", Actor("tests", "operator"), pace_per_s=100)
    assert broken.task_id in {letter.subject for letter in replay.letters}
    await world.fact("agency.result-returned", broken.task_id)
    assert world.residence.processed[broken.idempotency_key] == 1


async def test_a_task_naming_no_configured_agency_is_dead_lettered_and_the_next_goes_through(
    world: World,
) -> None:
    stray = TaskAssigned(
        task_id="stray-" + new_id()[:8],
        dossier_id="d-stray",
        dossier_code="HS-stray",
        procedure="1.001193",
        step="verify",
        unit="26743",
        due_at=datetime.now(UTC),
        idempotency_key="k-stray",
        agency="",
    )
    await world.host.bus.publish(
        agency_tasks("ward-inbox"), stray.to_event(stray.task_id, source="/tests")
    )
    after = await world.assign("social-insurance")
    await world.fact("agency.result-returned", after.task_id)

    for _ in range(50):
        dead = await world.host.bus.read_topic("dlq.agency-adapter")
        if stray.task_id in {(record.key or b"").decode() for record in dead}:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the stray task never reached dlq.agency-adapter")
