"""`lienthong up` with no flags: the shipped agencies.yaml and the embedded simulators make a
task run to its result by itself (in-process bus, in-memory store, real loopback HTTP)."""

from __future__ import annotations

import pytest

from lienthong.bus import Subscription
from lienthong.domain.catalogue_loader import default_catalogue
from lienthong.events import Event
from lienthong.runtime.host import Host
from lienthong.schemas.tasks import TaskAssigned
from lienthong.settings import Settings
from lienthong.topics import DOSSIER_EVENTS
from lienthong_agency_adapter.config import DEFAULT_AGENCIES_FILE, load_agencies
from lienthong_agency_adapter.simulators import serving
from lienthong_agency_adapter.simulators.embedded import (
    CIVIL_STATUS,
    DEPARTMENTS,
    RESIDENCE,
    SOCIAL_INSURANCE,
)
from lienthong_routing.rules import agency_for
from tests.support import eventually, free_port


def test_the_shipped_agencies_serve_every_agency_routing_assigns_tasks_to() -> None:
    shipped = {agency.code for agency in load_agencies(DEFAULT_AGENCIES_FILE).agencies}
    assert {agency_for(role) for role in default_catalogue().roles()} <= shipped


def test_the_shipped_agencies_point_at_the_embedded_simulators() -> None:
    simulators = {a.code: a.simulator for a in load_agencies(DEFAULT_AGENCIES_FILE).agencies}
    assert simulators["civil-status"] == CIVIL_STATUS
    assert simulators["police-residence"] == RESIDENCE
    assert simulators["social-insurance"] == SOCIAL_INSURANCE
    assert simulators["tax"] == DEPARTMENTS


async def test_tasks_for_the_simulated_agencies_come_back_answered_by_themselves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIENTHONG_ADAPTER_SIMULATOR_ANSWER_DELAY_S", "0.1")
    settings = Settings(port=free_port())
    host = Host(settings, ["agency-adapter"])
    results: list[Event] = []

    async def observe(event: Event) -> None:
        if event.type == "agency.result-returned":
            results.append(event)

    host.bus.subscribe(Subscription("observer", [DOSSIER_EVENTS], observe))
    async with serving(host.app(), port=settings.port):
        agencies = ("civil-status", "police-residence", "social-insurance", "tax")
        for number, agency in enumerate(agencies):
            task = TaskAssigned(
                task_id=f"t-{number}",
                dossier_id=f"d-{number}",
                dossier_code=f"HS-{number}",
                procedure="1.001193",
                step="s",
                unit="26743",
                due_at="2030-01-01T00:00:00Z",
                idempotency_key=f"k-{number}",
                agency=agency,
            )
            await host.bus.publish(
                f"agency.tasks.{agency}", task.to_event(task.task_id, source="/tests")
            )
        await eventually(lambda: len(results) == len(agencies), 30, "a result from each")
    assert {e.data["agency"] for e in results} == set(agencies)
