"""Killing the routing process in the middle of a run and restarting it loses no step and
opens none twice (real Kafka, real FerretDB, a real `lienthong run routing` process)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from lienthong.bus import KafkaBus, Subscription
from lienthong.events import Event, derived_id
from lienthong.schemas.agency import ResultReturned
from lienthong.schemas.tasks import TaskAssigned
from lienthong.settings import Settings
from lienthong.topics import DOSSIER_EVENTS, agency_tasks
from lienthong_routing.rules import RoutingRules
from tests.conftest import ROOT, Infra
from tests.services.routing.helpers import received
from tests.support import eventually as until
from tests.support import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

DOSSIERS = 200
AGENCIES = sorted(RoutingRules.shipped().agencies())


class AgencyDouble:
    """Approves every task it is given, once per task id (as a real agency would)."""

    def __init__(self, bus: KafkaBus) -> None:
        self.bus = bus
        self.answered: set[str] = set()

    async def answer(self, event: Event) -> None:
        if event.type != "agency.task-assigned":
            return
        task = TaskAssigned.model_validate(event.data)
        if task.task_id in self.answered:
            return
        self.answered.add(task.task_id)
        fact = ResultReturned(
            task_id=task.task_id, step=task.step, unit=task.unit, agency="test", outcome="approved"
        )
        event_id = derived_id(task.task_id, "result")
        await self.bus.publish(
            DOSSIER_EVENTS, fact.to_event(task.dossier_id, source="/tests/agency", id=event_id)
        )


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def record(self, event: Event) -> None:
        self.events.append(event)

    def completed(self) -> set[str]:
        return {e.subject for e in self.events if e.type == "dossier.completed"}

    def opened(self) -> dict[tuple[str, str], set[str]]:
        found: dict[tuple[str, str], set[str]] = defaultdict(set)
        for e in self.events:
            if e.type == "dossier.step-opened":
                found[(e.subject, e.data["step"])].add(e.id)
        return found


def start_routing(infra: Infra, unique: str, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env |= {
        "LIENTHONG_TOPIC_PREFIX": f"{unique}.",
        "LIENTHONG_DATABASE_PREFIX": unique,
        "LIENTHONG_ROUTING_SWEEP_INTERVAL_S": "0",
    }
    command = [sys.executable, "-m", "lienthong.cli.main", "run", "routing", "--port", str(port)]
    flags = ["--kafka", infra.kafka_bootstrap, "--mongo", infra.mongo_url]
    return subprocess.Popen(
        [*command, *flags], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


async def until_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with httpx.AsyncClient() as client:
        while loop.time() < deadline:
            assert process.poll() is None, "routing exited while starting"
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("routing did not become ready")


@pytest.fixture
async def agencies_and_recorder(
    infra: Infra, unique: str
) -> AsyncIterator[tuple[KafkaBus, Recorder]]:
    settings = Settings()
    bus = KafkaBus(infra.kafka_bootstrap, client_id=f"{unique}-t", topic_prefix=f"{unique}.")
    await bus.ensure_topics(
        {
            DOSSIER_EVENTS: settings.dossier_partitions,
            **{agency_tasks(a): settings.agency_task_partitions for a in AGENCIES},
        }
    )
    recorder, double = Recorder(), AgencyDouble(bus)
    bus.subscribe(Subscription("agency-double", [agency_tasks(a) for a in AGENCIES], double.answer))
    bus.subscribe(Subscription("recorder", [DOSSIER_EVENTS], recorder.record))
    await bus.start()
    yield bus, recorder
    await bus.stop()


async def test_a_killed_routing_process_resumes_without_losing_or_repeating_a_step(
    infra: Infra, unique: str, agencies_and_recorder: tuple[KafkaBus, Recorder]
) -> None:
    bus, recorder = agencies_and_recorder
    port = free_port()
    first = start_routing(infra, unique, port)
    try:
        await until_ready(port, first)
        now = datetime.now(UTC)
        dossiers = [received("2.000986", now, "26506", "TTHCC-26506") for _ in range(DOSSIERS)]
        await bus.publish(DOSSIER_EVENTS, *dossiers)
        await until(lambda: len(recorder.opened()) >= DOSSIERS, 120, "steps to open")
        assert len(recorder.completed() & {d.subject for d in dossiers}) < DOSSIERS
        first.send_signal(signal.SIGKILL)  # in the middle of the run, no goodbye
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()

    second = start_routing(infra, unique, port)
    try:
        await until_ready(port, second)
        every = {d.subject for d in dossiers}
        await until(lambda: recorder.completed() >= every, 300, "every dossier to complete")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)

    opened = recorder.opened()
    mine = {key: ids for key, ids in opened.items() if key[0] in every}
    assert len(mine) == DOSSIERS * 5  # receive, birth, residence, card, return: no step lost
    assert all(len(ids) == 1 for ids in mine.values())  # none opened twice
