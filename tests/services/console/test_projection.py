"""The console's read models on the in-memory bus: steps, the SLA board, counters, timeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from lienthong.schemas.dossier import Applicant, DossierWithdrawn
from lienthong.schemas.routing import ClockPaused, ClockResumed
from lienthong_console.views import BOARD_LIMIT
from tests.services.console.dossiers import (
    apology,
    at,
    dossier_completed,
    near,
    new_dossier_id,
    overdue,
    received,
    step_completed,
    step_opened,
    submitted,
)
from tests.services.console.served import RunningConsole

UNIT_A, UNIT_B = "UBND-P1", "UBND-P2"
PROC_1, PROC_2 = "1.001193", "2.000986"


async def step_state(it: RunningConsole, dossier: str, step: str) -> str:
    found = await it.get_json(f"/v1/console/dossiers/{dossier}")
    (row,) = [row for row in found["steps"] if row["step"] == step]
    return str(row["state"])


async def test_a_step_only_moves_forward(embedded: RunningConsole) -> None:
    it, d = embedded, new_dossier_id()
    opened = step_opened(d, "s1", UNIT_A)
    await it.publish(received(d, UNIT_A), opened)
    await it.settled()
    assert await step_state(it, d, "s1") == "open"
    moves = [
        (near(d, "s1", UNIT_A), "near"),
        (overdue(d, "s1", UNIT_A), "overdue"),
        (near(d, "s1", UNIT_A), "overdue"),  # a late warning
        (step_completed(d, "s1", UNIT_A, "late"), "done"),
        (near(d, "s1", UNIT_A), "done"),
        (overdue(d, "s1", UNIT_A), "done"),
        (opened, "done"),  # the opening, redelivered
    ]
    for event, expected in moves:
        await it.publish(event)
        await it.settled()
        assert await step_state(it, d, "s1") == expected, event.type
    board = await it.get_json("/v1/console/sla")
    assert board == {
        "near_total": 0,
        "overdue_total": 0,
        "near": [],
        "overdue": [],
        "by_unit": [],
        "by_procedure": [],
    }


async def test_the_sla_board_groups_by_unit_and_by_procedure(embedded: RunningConsole) -> None:
    it = embedded
    d1, d2, d3, d4, d5 = (new_dossier_id() for _ in range(5))
    await it.publish(
        # UBND-P1, procedure 1: one near, one overdue and escalated
        received(d1, UNIT_A, PROC_1),
        step_opened(d1, "s1", UNIT_A, due_in_h=5),
        near(d1, "s1", UNIT_A),
        received(d2, UNIT_A, PROC_1),
        step_opened(d2, "s1", UNIT_A, due_in_h=-1),
        overdue(d2, "s1", UNIT_A, escalated_to="UBND-Q1"),
        # UBND-P2, procedure 2: one overdue with an apology, one still open
        received(d3, UNIT_B, PROC_2),
        step_opened(d3, "s1", UNIT_B, due_in_h=-2),
        overdue(d3, "s1", UNIT_B),
        apology(d3, "s1", UNIT_B),
        received(d4, UNIT_B, PROC_2),
        step_opened(d4, "s1", UNIT_B),
        # UBND-P2, procedure 1: overdue, then done (off the board)
        received(d5, UNIT_B, PROC_1),
        step_opened(d5, "s1", UNIT_B, due_in_h=-3),
        overdue(d5, "s1", UNIT_B),
        step_completed(d5, "s1", UNIT_B, "late"),
    )
    await it.settled()
    board = await it.get_json("/v1/console/sla")
    assert [(r["dossier"], r["unit"], r["procedure"]) for r in board["near"]] == [
        (d1, UNIT_A, PROC_1)
    ]
    overdue_rows = {r["dossier"]: r for r in board["overdue"]}
    assert set(overdue_rows) == {d2, d3}
    assert overdue_rows[d2]["escalated_to"] == "UBND-Q1"
    assert overdue_rows[d3]["apologies"] == 1
    assert overdue_rows[d3]["new_appointment"] is not None
    assert board["by_unit"] == [
        {"unit": UNIT_A, "near": 1, "overdue": 1, "escalated": 1, "apologies": 0},
        {"unit": UNIT_B, "near": 0, "overdue": 1, "escalated": 0, "apologies": 1},
    ]
    assert board["by_procedure"] == [
        {"procedure": PROC_1, "near": 1, "overdue": 1, "escalated": 1, "apologies": 0},
        {"procedure": PROC_2, "near": 0, "overdue": 1, "escalated": 0, "apologies": 1},
    ]
    page = await it.client.get("/console/sla", headers=it.auth("auditor"))
    assert page.status_code == 200
    assert 'id="near-count">1<' in page.text
    assert 'id="overdue-count">2<' in page.text
    assert "UBND-Q1" in page.text


def on_time_rows(charts: dict[str, Any]) -> dict[str, tuple[int, int, int, float | None]]:
    return {
        r["unit"]: (r["completed"], r["on_time"], r["late"], r["on_time_rate"])
        for r in charts["on_time_by_unit"]
    }


async def test_a_redelivered_event_changes_no_counter(embedded: RunningConsole) -> None:
    it = embedded
    d1, d2 = new_dossier_id(), new_dossier_id()
    history = [
        received(d1, UNIT_A),
        step_opened(d1, "s1", UNIT_A),
        step_completed(d1, "s1", UNIT_A, "on_time"),
        dossier_completed(d1),
        received(d2, UNIT_A),
        step_opened(d2, "s1", UNIT_A),
        step_completed(d2, "s1", UNIT_A, "late"),
        received(new_dossier_id(), UNIT_B),
    ]
    await it.publish(*history)
    await it.settled()
    before = await it.get_json("/v1/console/charts")
    assert sum(before["throughput"]["received"]) == 3
    assert sum(before["throughput"]["completed"]) == 1
    assert on_time_rows(before) == {UNIT_A: (2, 1, 1, 0.5)}
    timeline = (await it.get_json(f"/v1/console/dossiers/{d1}"))["timeline"]

    await it.publish(*history)  # every event again, same ids: a redelivery
    await it.publish(history[3], history[2], history[0])
    await it.settled()
    assert await it.get_json("/v1/console/charts") == before
    assert (await it.get_json(f"/v1/console/dossiers/{d1}"))["timeline"] == timeline


# --- the dossier's timeline, and what it never shows ----------------------------------------

APPLICANT = Applicant(
    full_name="Nguyễn Thị Minh Khai",
    id_number="079188001234",
    phone="0912345678",
    email="minh.khai@example.vn",
    ward_code="26743",
    contact_channel="sms",
)
PERSONAL = (APPLICANT.full_name, APPLICANT.id_number, APPLICANT.phone, APPLICANT.email)


def personal_data_in(text: str) -> list[str]:
    # JSON escapes non-ASCII characters unless told not to; look for both spellings.
    spellings = {value for p in PERSONAL for value in (p, json.dumps(p)[1:-1])}
    return sorted(value for value in spellings if value in text)


async def test_the_timeline_is_in_order_and_shows_no_personal_data(
    embedded: RunningConsole,
) -> None:
    it, d = embedded, new_dossier_id()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    history = [
        at(submitted(d, APPLICANT), start),
        at(received(d, UNIT_A), start + timedelta(minutes=1)),
        at(step_opened(d, "s1", UNIT_A), start + timedelta(minutes=2)),
        at(near(d, "s1", UNIT_A), start + timedelta(minutes=3)),
        at(step_completed(d, "s1", UNIT_A), start + timedelta(minutes=4)),
        at(dossier_completed(d), start + timedelta(minutes=5)),
    ]
    async with it.tail("auditor") as tail:
        await it.publish(*history)
        lines = await tail.until_ids(*(e.id for e in history))
    await it.settled()
    found = await it.get_json(f"/v1/console/dossiers/{d}")
    assert [e["id"] for e in found["timeline"]] == [e.id for e in history]
    assert [e["time"] for e in found["timeline"]] == [e.time.isoformat() for e in history]
    assert found["status"] == "completed"
    by_code = await it.get_json(f"/v1/console/dossiers/{found['code']}")
    assert by_code == found
    page = await it.client.get(f"/console/dossiers/{d}", headers=it.auth("auditor"))
    assert page.status_code == 200
    assert page.text.index("dossier.submitted") < page.text.index("dossier.completed")
    assert lines[0]["type"] == "dossier.submitted"
    shown = {
        "api": json.dumps(found),
        "page": page.text,
        "stream": "\n".join(tail.lines),
    }
    leaked = {where: personal_data_in(text) for where, text in shown.items()}
    assert leaked == {"api": [], "page": [], "stream": []}


async def test_a_free_text_reason_is_not_shown(
    embedded: RunningConsole,
) -> None:
    """A withdrawal's reason is the applicant's own words: it may hold a phone number, an
    email or a name, so the console shows that the dossier was withdrawn, not why."""
    it, d = embedded, new_dossier_id()
    withdrawn = DossierWithdrawn(
        reason=f"Gọi lại cho tôi: {APPLICANT.phone}, {APPLICANT.email}"
    ).to_event(d, source="/intake")
    async with it.tail("operator") as tail:
        await it.publish(received(d, UNIT_A), withdrawn)
        await tail.until_ids(withdrawn.id)
    await it.settled()
    found = await it.get_json(f"/v1/console/dossiers/{d}")
    assert found["status"] == "withdrawn"
    (entry,) = [e for e in found["timeline"] if e["id"] == withdrawn.id]
    assert "reason" not in entry["detail"]
    assert "Gọi lại" not in json.dumps(found, ensure_ascii=False)
    assert personal_data_in(json.dumps(found)) == []
    assert personal_data_in("\n".join(tail.lines)) == []


# --- a bad day, a paused clock --------------------------------------------------------------


async def test_the_board_counts_every_overdue_step_on_a_bad_day(embedded: RunningConsole) -> None:
    it, many = embedded, BOARD_LIMIT + 20
    events = []
    for _ in range(many):
        d = new_dossier_id()
        events += [
            received(d, UNIT_A),
            step_opened(d, "s1", UNIT_A, due_in_h=-1),
            overdue(d, "s1", UNIT_A),
        ]
    await it.publish(*events)
    await it.settled()
    board = await it.get_json("/v1/console/sla")
    assert board["by_unit"][0]["overdue"] == many


async def test_a_resumed_clock_moves_the_due_moment_of_the_open_steps(
    embedded: RunningConsole,
) -> None:
    it, d = embedded, new_dossier_id()
    now = datetime.now(UTC).replace(microsecond=0)
    later = now + timedelta(days=5)
    resumed = ClockResumed(resumed_at=now, step_due={"s1": later}, appointment_at=later)
    await it.publish(
        received(d, UNIT_A),
        step_opened(d, "s1", UNIT_A, due_in_h=2),
        ClockPaused(step="s1", paused_at=now).to_event(d, source="/routing"),
        resumed.to_event(d, source="/routing"),
    )
    await it.settled()
    (step,) = (await it.get_json(f"/v1/console/dossiers/{d}"))["steps"]
    assert datetime.fromisoformat(step["due_at"]) == later
