"""Citizen tracking on real Kafka and FerretDB: the view is a projection of dossier.events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from lienthong.schemas.dossier import StepCompleted, StepOpened
from lienthong.schemas.routing import ResultReady
from lienthong.topics import DOSSIER_EVENTS
from tests.services.intake.conftest import Running
from tests.services.intake.flows import submit_and_wait, tracking_view
from tests.support import eventually_async

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]


async def test_a_dossier_is_tracked_by_code_and_secret(real: Running) -> None:
    answer = await submit_and_wait(real)
    response = await real.client.get(
        f"/v1/tracking/{answer['code']}", params={"secret": answer["tracking_secret"]}
    )
    assert response.status_code == 200
    tracked = response.json()
    assert tracked["status"] == "received"
    assert tracked["unit"] == "TTHCC-26506"
    assert tracked["appointment_at"] == answer["appointment_at"].replace("+00:00", "Z")
    assert tracked["overdue"] is False
    assert [t["type"] for t in tracked["timeline"]] == ["dossier.submitted", "dossier.received"]


async def test_hand_offs_appear_in_the_timeline_once_even_if_delivered_twice(
    real: Running,
) -> None:
    answer = await submit_and_wait(real)
    dossier_id = answer["dossier_id"]
    at = datetime.now(UTC)
    opened = StepOpened(
        step="register-birth", unit="UBND-26506", role="ward.civil-status", due_at=at
    ).to_event(dossier_id, source="/tests/routing")
    completed = StepCompleted(step="register-birth", unit="UBND-26506", timeliness="early")
    done = completed.to_event(dossier_id, source="/tests/routing")
    await real.host.bus.publish(DOSSIER_EVENTS, opened, done, opened, done)

    async def four_rows() -> bool:
        view = await tracking_view(real, answer["code"])
        return view is not None and len(view["timeline"]) >= 4

    await eventually_async(four_rows, what="the hand-offs in the tracking view")
    await asyncio.sleep(1)  # room for the duplicates to arrive (and be ignored)
    tracked = (
        await real.client.get(
            f"/v1/tracking/{answer['code']}", params={"secret": answer["tracking_secret"]}
        )
    ).json()
    assert tracked["status"] == "processing"
    assert tracked["unit"] == "UBND-26506"
    assert [(t["type"], t["timeliness"]) for t in tracked["timeline"]] == [
        ("dossier.submitted", None),
        ("dossier.received", None),
        ("dossier.step-opened", None),
        ("dossier.step-completed", "early"),
    ]


async def test_a_wrong_secret_looks_exactly_like_an_unknown_code(real: Running) -> None:
    answer = await submit_and_wait(real)
    wrong = await real.client.get(f"/v1/tracking/{answer['code']}", params={"secret": "WRONG"})
    unknown = await real.client.get(
        "/v1/tracking/000.00.00.H29-260101-9999", params={"secret": answer["tracking_secret"]}
    )
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.headers["content-type"] == "application/problem+json"
    assert wrong.json() == unknown.json()


async def test_repeated_failures_from_one_client_are_rate_limited(real: Running) -> None:
    answer = await submit_and_wait(real)
    path = f"/v1/tracking/{answer['code']}"
    async with real.client_from("203.0.113.7") as guesser:
        for attempt in range(5):
            wrong = await guesser.get(path, params={"secret": f"GUESS{attempt}"})
            assert wrong.status_code == 404
        held = await guesser.get(path, params={"secret": answer["tracking_secret"]})
        assert held.status_code == 429
        assert held.headers["content-type"] == "application/problem+json"
        assert int(held.headers["retry-after"]) > 0
    async with real.client_from("198.51.100.20") as citizen:
        ok = await citizen.get(path, params={"secret": answer["tracking_secret"]})
        assert ok.status_code == 200


async def test_an_event_handled_twice_changes_nothing(real: Running) -> None:
    answer = await submit_and_wait(real)
    events = await real.dossier_events(answer["dossier_id"])
    before = await tracking_view(real, answer["code"])
    for event in events:
        await real.host.specs[0].dispatch(event)
    assert await tracking_view(real, answer["code"]) == before


async def test_a_result_waiting_at_the_counter_reads_done_and_is_never_overdue(
    real: Running,
) -> None:
    """Every unit has finished and the result waits at the one-stop counter: the citizen's
    view says so (it said "processing", then "overdue" after the appointment)."""
    answer = await submit_and_wait(real)
    ready = ResultReady(unit="TTHCC-26506", delivery="counter")
    await real.host.bus.publish(
        DOSSIER_EVENTS, ready.to_event(answer["dossier_id"], source="/tests/routing")
    )

    async def done() -> bool:
        view = await tracking_view(real, answer["code"])
        return view is not None and view["status"] == "processing_done"

    await eventually_async(done, what="the result ready in the tracking view")
    tracked = (
        await real.client.get(
            f"/v1/tracking/{answer['code']}", params={"secret": answer["tracking_secret"]}
        )
    ).json()
    assert tracked["status"] == "processing_done"
    assert tracked["overdue"] is False
    assert [t["type"] for t in tracked["timeline"]][-1] == "dossier.result-ready"
    assert tracked["unit"] == "TTHCC-26506"
