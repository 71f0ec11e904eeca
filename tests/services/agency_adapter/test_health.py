"""Health snapshots on ops.health: an agency that keeps failing shows an open circuit, every
call failed and its tasks waiting; an inbox agency's unacknowledged task is waiting too."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from lienthong.bus import Subscription
from lienthong.events import Event, decode
from lienthong.runtime.host import Host
from lienthong.schemas.health import AgencyHealth, AgencyHealthReported
from lienthong.schemas.tasks import TaskAssigned
from lienthong.settings import Settings
from lienthong.topics import OPS_HEALTH, agency_tasks
from lienthong_agency_adapter.simulators import (
    Behaviour,
    SimulatedSystem,
    civil_status_app,
    serving,
)
from tests.services.agency_adapter.conftest import FAST, REST_MAPPING, World
from tests.support import eventually, eventually_async

TOKEN = "civil-token"


def task(number: int, agency: str) -> TaskAssigned:
    return TaskAssigned(
        task_id=f"h-{agency}-{number}",
        dossier_id=f"d-{number}",
        dossier_code=f"HS-{number}",
        procedure="1.001193",
        step="verify",
        unit="26743",
        due_at=datetime.now(UTC) + timedelta(days=3),
        idempotency_key=f"k-{agency}-{number}",
        agency=agency,
    )


def row(snapshot: AgencyHealthReported, agency: str) -> AgencyHealth:
    return next(r for r in snapshot.agencies if r.agency == agency)


def agencies_file(tmp_path: Path, civil_url: str) -> Path:
    rest = {
        "code": "civil-status",
        "connector": "rest",
        "endpoint": f"{civil_url}/api/records",
        "outbound_token": TOKEN,
        "mapping": REST_MAPPING,
        "concurrency": 1,  # one call at a time: none in flight once the breaker opens
    }
    path = tmp_path / "agencies.yaml"
    inbox = {"code": "ward-inbox", "connector": "inbox"}
    path.write_text(yaml.safe_dump({"agencies": [rest, inbox]}))
    return path


async def test_an_agency_that_keeps_failing_is_reported_open_with_its_tasks_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    civil = SimulatedSystem(Behaviour())
    civil.behaviour.outage_for(3600)
    async with serving(civil_status_app(civil, TOKEN)) as civil_url:
        monkeypatch.setenv(
            "LIENTHONG_ADAPTER_AGENCIES_FILE", str(agencies_file(tmp_path, civil_url))
        )
        for name, value in {
            **FAST,
            "BREAKER_FAILURES": "2",
            "BREAKER_OPEN_S": "3600",  # once open, it stays open for the test
            "HEALTH_INTERVAL_S": "0.1",
        }.items():
            monkeypatch.setenv(f"LIENTHONG_ADAPTER_{name}", value)
        host = Host(Settings(instance_id="adapter-7"), ["agency-adapter"])
        snapshots: list[Event] = []

        async def observe(event: Event) -> None:
            snapshots.append(event)

        def reports() -> list[AgencyHealthReported]:
            return [AgencyHealthReported.model_validate(e.data) for e in snapshots]

        def settled() -> bool:
            """Open, not called any more, and the inbox task taken in."""
            latest = reports()[-1] if snapshots else None
            return latest is not None and (
                (row(latest, "civil-status").circuit, row(latest, "civil-status").attempts)
                == ("open", 0)
                and row(latest, "ward-inbox").waiting == 1
            )

        host.bus.subscribe(Subscription("console", [OPS_HEALTH], observe))
        await host.start()
        try:
            accepted_from = time.time()
            for number in range(3):
                await host.bus.publish(
                    agency_tasks("civil-status"),
                    task(number, "civil-status").to_event(f"t-{number}", source="/tests"),
                )
            await host.bus.publish(
                agency_tasks("ward-inbox"), task(9, "ward-inbox").to_event("t-9", source="/t")
            )
            await eventually(settled, 30, "the circuit open and reported quiet")
        finally:
            await host.stop()

    every = reports()
    opened = next(r for r in every if row(r, "civil-status").circuit == "open")
    civil_row = row(opened, "civil-status")
    # The snapshot that first says open counts the failures that opened it: every call failed.
    assert civil_row.attempts > 0
    assert civil_row.error_rate == 1.0
    assert 0 < civil_row.attempts_total == civil_row.failures_total == sum(civil.calls.values())
    assert civil_row.waiting == 3
    assert civil_row.oldest_waiting_at is not None
    assert accepted_from - 1 <= civil_row.oldest_waiting_at.timestamp() <= time.time()
    # Open, nothing is called: later windows have no attempts, hence no error rate.
    later = row(every[-1], "civil-status")
    assert (later.circuit, later.attempts, later.error_rate, later.waiting) == ("open", 0, None, 3)
    assert later.attempts_total == civil_row.attempts_total
    # The inbox agency took its task into its inbox: a call that worked, a task still waiting.
    inbox = row(every[-1], "ward-inbox")
    assert (inbox.circuit, inbox.attempts_total, inbox.failures_total) == ("closed", 1, 0)
    assert inbox.waiting == 1
    assert {e.subject for e in snapshots} == {"agency-adapter/adapter-7"}
    assert all(r.instance == "adapter-7" and r.interval_s == 0.1 for r in every)
    assert all(b.window_start == a.at for a, b in itertools.pairwise(every))


@pytest.mark.kafka
@pytest.mark.mongo
async def test_snapshots_arrive_on_the_health_topic_keyed_by_service_and_instance(
    world: World,
) -> None:
    async def two_snapshots() -> bool:
        return len(await world.host.bus.read_topic(OPS_HEALTH)) >= 2

    await eventually_async(two_snapshots, 30, "two snapshots on ops.health")
    records = await world.host.bus.read_topic(OPS_HEALTH)
    assert {r.key for r in records} == {
        f"agency-adapter/{world.host.settings.instance_id}".encode()
    }
    assert {r.partition for r in records} == {0}
    events = [decode(r) for r in records]
    assert {e.type for e in events} == {"ops.agency-health"}
    latest = AgencyHealthReported.model_validate(events[-1].data)
    assert {r.agency for r in latest.agencies} == {
        "civil-status",
        "residence",
        "social-insurance",
        "ward-inbox",
        "other-inbox",
        "ward-manual",
    }
    assert latest.instance == world.host.settings.instance_id
